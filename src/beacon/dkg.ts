/**
 * Joint-Feldman DKG, commit-first, evaluated from what the chain recorded (spec/beacon.md §DKG).
 * Pure: given the committee, the dealings posted before the dealing deadline and the complaints
 * posted before the complaint deadline, every node computes the same qualified set, group key
 * and public shares. Each member computes its own secret share from the encrypted shares.
 */
import { CodedError } from "../types/index.ts";
import {
  decryptWithSharedKey,
  type EncryptedShare,
  encryptShare,
  proveSharedKey,
  sharedKey,
  verifySharedKey,
} from "./ecies.ts";
import { commitmentAt, deal, parseCommitments, shareFor, sumCommitments, verifyShare } from "./feldman.ts";
import { type BeaconCryptoError, type G1Point, mod } from "./field.ts";

export interface CommitteeMember {
  /** 1-based share index. */
  index: number;
  blsKey: Uint8Array;
}

export interface Committee {
  members: CommitteeMember[];
  threshold: number;
}

export interface DealingMessage {
  dealer: number;
  commitments: Uint8Array[];
  /** shares[k] is for members[k]. */
  shares: EncryptedShare[];
}

export interface ComplaintMessage {
  complainer: number;
  dealer: number;
  sharedKey: Uint8Array;
  proof: Uint8Array;
}

export type DkgErrorCode = "DKG_ERROR_DEALING" | "DKG_ERROR_COMPLAINT" | "DKG_ERROR_FAILED";
export class DkgError extends CodedError<DkgErrorCode> {}

/** Majority threshold: t = ⌊n/2⌋ + 1 (spec/beacon.md §Threshold). */
export function thresholdFor(n: number): number {
  return Math.floor(n / 2) + 1;
}

function member(c: Committee, index: number, what: string, code: DkgErrorCode): CommitteeMember {
  const m = c.members.find((x) => x.index === index);
  if (!m) throw new DkgError(code, `${what} ${index} is not in the committee`);
  return m;
}

/** Stateless checks every node runs before recording a dealing. */
export function checkDealing(c: Committee, d: DealingMessage): G1Point[] {
  member(c, d.dealer, "dealer", "DKG_ERROR_DEALING");
  if (d.commitments.length !== c.threshold)
    throw new DkgError(
      "DKG_ERROR_DEALING",
      `expected ${c.threshold} commitments, got ${d.commitments.length}`,
    );
  if (d.shares.length !== c.members.length)
    throw new DkgError(
      "DKG_ERROR_DEALING",
      `expected ${c.members.length} encrypted shares, got ${d.shares.length}`,
    );
  for (const [k, s] of d.shares.entries())
    if (s.ephemeral.length !== 48 || s.ciphertext.length !== 32)
      throw new DkgError(
        "DKG_ERROR_DEALING",
        `encrypted share ${k}: expected 48-byte ephemeral key and 32-byte ciphertext`,
      );
  try {
    return parseCommitments(d.commitments);
  } catch (e) {
    throw new DkgError("DKG_ERROR_DEALING", (e as Error).message);
  }
}

/** A dealer's side: a fresh polynomial, commitments, and every member's encrypted share. */
export function makeDealing(c: Committee, dealer: number): DealingMessage {
  const d = deal(c.threshold);
  return {
    dealer,
    commitments: d.commitments,
    shares: c.members.map((m) => encryptShare(shareFor(d, m.index), m.blsKey, dealer, m.index)),
  };
}

/** A member's side: decrypt and check its share from `d`; a complaint if it is bad. */
export function receiveShare(
  c: Committee,
  d: DealingMessage,
  self: CommitteeMember,
  secretKey: Uint8Array,
): { share: bigint } | { complaint: ComplaintMessage } {
  const commitments = checkDealing(c, d);
  const k = c.members.findIndex((m) => m.index === self.index);
  const enc = d.shares[k]!;
  const share = decryptWithSharedKey(enc, sharedKey(secretKey, enc.ephemeral), d.dealer, self.index);
  if (share !== undefined && verifyShare(commitments, self.index, share)) return { share };
  const { shared, proof } = proveSharedKey(secretKey, enc.ephemeral);
  return { complaint: { complainer: self.index, dealer: d.dealer, sharedKey: shared, proof } };
}

/**
 * Judge a complaint: true if it proves the dealer gave the complainer a bad share, false if the
 * share was fine (a false accusation). Throws DkgError if the complaint itself is malformed.
 */
export function complaintUpheld(c: Committee, d: DealingMessage, x: ComplaintMessage): boolean {
  const complainer = member(c, x.complainer, "complainer", "DKG_ERROR_COMPLAINT");
  if (x.dealer !== d.dealer) throw new DkgError("DKG_ERROR_COMPLAINT", "complaint is about another dealing");
  const k = c.members.findIndex((m) => m.index === x.complainer);
  const enc = d.shares[k]!;
  let K: G1Point;
  try {
    K = verifySharedKey(complainer.blsKey, enc.ephemeral, x.sharedKey, x.proof);
  } catch (e) {
    throw new DkgError("DKG_ERROR_COMPLAINT", (e as BeaconCryptoError).message);
  }
  const share = decryptWithSharedKey(enc, K, d.dealer, x.complainer);
  return share === undefined || !verifyShare(checkDealing(c, d), x.complainer, share);
}

export interface DkgVerdicts {
  /** Dealers with a well-formed dealing and no upheld complaint, ascending. */
  qualified: number[];
  disqualified: { dealer: number; reason: string }[];
  /**
   * Complaints whose revealed key decrypts a share that verifies: the complainer accused a dealing
   * the chain shows to be good. Only the complainer could have made the key proof, and an honest
   * member complains only when that same decryption fails, so each one proves a fault.
   */
  falseComplaints: { complainer: number; dealer: number }[];
}

export interface DkgResult extends DkgVerdicts {
  groupKey: Uint8Array;
  /** publicShares[k] belongs to members[k]. */
  publicShares: Uint8Array[];
}

export interface JudgedDkg extends DkgVerdicts {
  /** The parsed commitments of each qualified dealer. */
  commitments: Map<number, G1Point[]>;
}

/**
 * Judge what was recorded: dealers with a well-formed dealing and no upheld complaint are
 * qualified. Every complaint about a well-formed dealing is judged, also after its dealer is
 * already out, so each false complaint is found; that is no more work than judging each
 * complaint once, as its inclusion already did.
 */
export function judgeDkg(
  c: Committee,
  dealings: DealingMessage[],
  complaints: ComplaintMessage[],
): JudgedDkg {
  const disqualified: DkgResult["disqualified"] = [];
  const falseComplaints: DkgResult["falseComplaints"] = [];
  const wellFormed = new Map<number, { d: DealingMessage; commitments: G1Point[] }>();
  const dealt = new Set<number>();
  for (const d of dealings) {
    if (dealt.has(d.dealer)) continue; // the first dealing counts (the chain accepts one per member)
    dealt.add(d.dealer);
    try {
      wellFormed.set(d.dealer, { d, commitments: checkDealing(c, d) });
    } catch (e) {
      disqualified.push({ dealer: d.dealer, reason: (e as Error).message });
    }
  }
  const good = new Map(wellFormed);
  for (const x of complaints) {
    const g = wellFormed.get(x.dealer);
    if (!g) continue;
    let upheld: boolean;
    try {
      upheld = complaintUpheld(c, g.d, x);
    } catch {
      continue; // a malformed complaint proves nothing about anyone (the chain refuses them anyway)
    }
    if (!upheld) falseComplaints.push({ complainer: x.complainer, dealer: x.dealer });
    else if (good.delete(x.dealer))
      disqualified.push({ dealer: x.dealer, reason: `upheld complaint by member ${x.complainer}` });
  }
  const qualified = [...good.keys()].sort((a, b) => a - b);
  const commitments = new Map(qualified.map((q) => [q, good.get(q)!.commitments]));
  return { qualified, disqualified, falseComplaints, commitments };
}

/**
 * The outcome every node derives at the complaint deadline (judgeDkg): at least `threshold`
 * dealers must qualify, or the DKG fails.
 */
export function finalizeDkg(
  c: Committee,
  dealings: DealingMessage[],
  complaints: ComplaintMessage[],
): DkgResult {
  return dkgKey(c, judgeDkg(c, dealings, complaints));
}

/** The group key and public shares from judged dealings; throws DKG_ERROR_FAILED below threshold. */
export function dkgKey(c: Committee, v: JudgedDkg): DkgResult {
  const { qualified, disqualified, falseComplaints } = v;
  if (qualified.length < c.threshold)
    throw new DkgError(
      "DKG_ERROR_FAILED",
      `only ${qualified.length} qualified dealers; ${c.threshold} needed`,
    );
  const group = sumCommitments(qualified.map((q) => v.commitments.get(q)!));
  return {
    qualified,
    groupKey: group[0]!.toBytes(),
    publicShares: c.members.map((m) => commitmentAt(group, m.index).toBytes()),
    disqualified,
    falseComplaints,
  };
}

/** A member's secret share of the group key: the sum of its shares from the qualified dealers. */
export function combineShares(received: Map<number, bigint>, qualified: number[]): bigint {
  let x = 0n;
  for (const q of qualified) {
    const s = received.get(q);
    if (s === undefined) throw new DkgError("DKG_ERROR_FAILED", `no share from qualified dealer ${q}`);
    x = mod(x + s);
  }
  return x;
}
