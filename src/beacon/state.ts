/**
 * The beacon's chain state and its per-block transition (spec/beacon.md §On chain). Pure: every
 * node applies the same messages to the same state and gets the same DKG outcome, group key and
 * round outputs. The state at the head is all a node needs (finality: no forks to roll back).
 */
import { sha256 } from "@noble/hashes/sha2.js";
import { cycleOf, type DkgPhase, dkgPhaseAt, isDkgOutcomeHeight, roundOpenHeight } from "../params/index.ts";
import {
  type Address,
  type BeaconMessage,
  CodedError,
  compareBytes,
  equalBytes,
  type Validator,
} from "../types/index.ts";
import {
  type Committee,
  type ComplaintMessage,
  checkDealing,
  complaintUpheld,
  type DealingMessage,
  type DkgVerdicts,
  dkgKey,
  judgeDkg,
  thresholdFor,
} from "./dkg.ts";
import { combinePartials, verifyPartial, verifyRound } from "./threshold.ts";
import { readComplaint, readDealing, readOutput } from "./wire.ts";

export interface BeaconParams {
  cycleLength: number;
  committeeSize: number;
  /** Blocks from the cycle start in which dealings are accepted. */
  dealingBlocks: number;
  /** Blocks after the dealing phase in which complaints are accepted; the outcome is fixed after. */
  complaintBlocks: number;
  /** Round r opens at height r × roundInterval (and stays open until it completes). */
  roundInterval: number;
}

export interface BeaconCommittee extends Committee {
  cycle: number;
  addresses: Address[];
}

export interface ActiveKey {
  /** The cycle whose DKG produced the key. */
  dkgCycle: number;
  committee: BeaconCommittee;
  groupKey: Uint8Array;
  publicShares: Uint8Array[];
  qualified: number[];
  /** The qualified dealings: members decrypt their shares of the key from them. */
  dealings: DealingMessage[];
}

export interface BeaconState {
  cycle: number;
  committee: BeaconCommittee;
  dealings: DealingMessage[];
  complaints: ComplaintMessage[];
  /** This cycle's DKG outcome once fixed: a key for the next cycle, or null if it failed. */
  next: ActiveKey | null | undefined;
  active: ActiveKey | undefined;
  round: number;
  output: Uint8Array;
}

export interface RoundRecord {
  round: number;
  output: Uint8Array;
  signature: Uint8Array;
  signers: number[];
}

export class BeaconError extends CodedError<"BEACON_ERROR_MESSAGE" | "BEACON_ERROR_OUTPUT"> {}

/** Top `size` validators by weight (ties: lower address), indices 1..n in that order. */
export function selectCommittee(
  validators: readonly Validator[],
  size: number,
  cycle: number,
): BeaconCommittee {
  const chosen = [...validators]
    .sort((a, b) =>
      a.weight === b.weight ? compareBytes(a.address, b.address) : a.weight > b.weight ? -1 : 1,
    )
    .slice(0, size);
  return {
    cycle,
    members: chosen.map((v, i) => ({ index: i + 1, blsKey: v.blsKey })),
    addresses: chosen.map((v) => v.address),
    threshold: thresholdFor(chosen.length),
  };
}

export function initialBeaconState(validators: readonly Validator[], p: BeaconParams): BeaconState {
  return {
    cycle: 0,
    committee: selectCommittee(validators, p.committeeSize, 0),
    dealings: [],
    complaints: [],
    next: undefined,
    active: undefined,
    round: 0,
    output: new Uint8Array(32),
  };
}

/** Where height sits in its cycle's DKG schedule. */
export function dkgPhase(height: number, p: BeaconParams): DkgPhase {
  return dkgPhaseAt(height, p);
}

/** The round that may complete next, if it has opened by `height`. */
export function openRound(s: BeaconState, height: number, p: BeaconParams): number | undefined {
  const r = s.round + 1;
  return s.active && height >= roundOpenHeight(r, p.roundInterval) ? r : undefined;
}

/** A committee member whose own signed message the DKG's outcome shows to be wrong. */
export interface DkgFault {
  /** Share index of the member in the cycle's committee. */
  member: number;
  address: Address;
  reason: string;
}

export interface BeaconTransition {
  state: BeaconState;
  rounds: RoundRecord[];
  /** Set when this block fixed the cycle's DKG outcome; `faults` are proven whether or not it failed. */
  dkg?: { cycle: number; key: ActiveKey | null; reason?: string; faults: DkgFault[] };
}

/**
 * The faults a DKG outcome proves (spec/beacon.md §Faults): a dealer disqualified by an upheld
 * complaint signed a dealing with a bad share; a member whose complaint was judged false accused
 * a good one. Absence (no dealing, no complaint, no partial) is not a fault: a network failure or
 * a censoring proposer looks the same. One fault per member, the first found.
 */
export function dkgFaults(committee: BeaconCommittee, v: DkgVerdicts): DkgFault[] {
  const faults = new Map<number, string>();
  for (const d of v.disqualified)
    if (!faults.has(d.dealer)) faults.set(d.dealer, `dealt a bad share (${d.reason})`);
  for (const x of v.falseComplaints)
    if (!faults.has(x.complainer)) faults.set(x.complainer, `false complaint against member ${x.dealer}`);
  const out: DkgFault[] = [];
  for (const [member, reason] of [...faults].sort(([a], [b]) => a - b)) {
    const k = committee.members.findIndex((m) => m.index === member);
    if (k >= 0) out.push({ member, address: committee.addresses[k]!, reason });
  }
  return out;
}

/**
 * Apply one block's beacon messages at `height`. Throws BeaconError naming the bad message; the
 * caller turns it into an invalid block. Does not mutate `pre`.
 */
export function applyBeacon(
  pre: BeaconState,
  height: number,
  msgs: BeaconMessage[],
  validators: readonly Validator[],
  p: BeaconParams,
  chainId: bigint,
): BeaconTransition {
  let s: BeaconState = { ...pre, dealings: [...pre.dealings], complaints: [...pre.complaints] };
  const cycle = cycleOf(height, p.cycleLength);
  if (cycle !== s.cycle) {
    // A new cycle: the last DKG's key takes over (a failed DKG keeps the old key), a new DKG starts.
    s = {
      ...s,
      cycle,
      committee: selectCommittee(validators, p.committeeSize, cycle),
      dealings: [],
      complaints: [],
      next: undefined,
      active: s.next ?? s.active,
    };
  }
  const rounds: RoundRecord[] = [];
  const phase = dkgPhase(height, p);
  for (const [i, m] of msgs.entries()) {
    const bad: (msg: string) => never = (msg) => {
      throw new BeaconError("BEACON_ERROR_MESSAGE", `beacon message ${i}: ${msg}`);
    };
    const member = (index: number) =>
      s.committee.members.find((x) => x.index === index) ?? bad(`sender ${index} is not in the committee`);
    if (m.kind === 1) {
      if (m.epoch !== cycle) bad(`dealing for cycle ${m.epoch} in cycle ${cycle}`);
      if (phase !== "dealing") bad("dealing outside the dealing phase");
      if (s.dealings.some((d) => d.dealer === m.sender)) bad(`member ${m.sender} already dealt`);
      let d: DealingMessage;
      try {
        d = readDealing(chainId, m, member(m.sender).blsKey);
        checkDealing(s.committee, d);
      } catch (e) {
        bad((e as Error).message);
      }
      s.dealings.push(d);
    } else if (m.kind === 2) {
      if (m.epoch !== cycle) bad(`complaint for cycle ${m.epoch} in cycle ${cycle}`);
      if (phase !== "complaint") bad("complaint outside the complaint phase");
      member(m.sender);
      let c: ComplaintMessage;
      try {
        c = readComplaint(m);
      } catch (e) {
        bad((e as Error).message);
      }
      const d = s.dealings.find((x) => x.dealer === c.dealer) ?? bad(`no dealing by member ${c.dealer}`);
      if (s.complaints.some((x) => x.complainer === c.complainer && x.dealer === c.dealer))
        bad("duplicate complaint");
      try {
        complaintUpheld(s.committee, d, c); // malformed proofs are refused here; the verdict comes at the end
      } catch (e) {
        bad((e as Error).message);
      }
      s.complaints.push(c);
    } else {
      const round = openRound(s, height, p);
      if (round === undefined || m.epoch !== round)
        bad(`round ${m.epoch} is not open (next: ${s.round + 1})`);
      if (rounds.length > 0) bad("one round output per block");
      const key = s.active!;
      let partials: { index: number; signature: Uint8Array }[];
      try {
        partials = readOutput(m).partials;
      } catch (e) {
        bad((e as Error).message);
      }
      const t = key.committee.threshold;
      if (partials.length !== t) bad(`an output lists exactly ${t} partials`);
      const seen = new Set<number>();
      for (const q of partials) {
        const k = key.committee.members.findIndex((x) => x.index === q.index);
        if (k < 0 || seen.has(q.index)) bad(`partial index ${q.index} is not a distinct committee member`);
        seen.add(q.index);
        if (!verifyPartial(key.publicShares[k]!, chainId, m.epoch, s.output, q.signature))
          bad(`partial of member ${q.index} does not verify`);
      }
      if (!equalBytes(combinePartials(partials, t), m.signature))
        bad("signature is not the combination of the partials");
      if (!verifyRound(key.groupKey, chainId, m.epoch, s.output, m.signature))
        bad("group signature does not verify");
      const output = sha256(m.signature);
      rounds.push({ round: m.epoch, output, signature: m.signature, signers: partials.map((q) => q.index) });
      s = { ...s, round: m.epoch, output };
    }
  }
  let dkg: BeaconTransition["dkg"];
  if (isDkgOutcomeHeight(height, p) && s.next === undefined) {
    const verdicts = judgeDkg(s.committee, s.dealings, s.complaints);
    const faults = dkgFaults(s.committee, verdicts);
    try {
      const r = dkgKey(s.committee, verdicts);
      const key: ActiveKey = {
        dkgCycle: cycle,
        committee: s.committee,
        groupKey: r.groupKey,
        publicShares: r.publicShares,
        qualified: r.qualified,
        dealings: s.dealings.filter((d) => r.qualified.includes(d.dealer)),
      };
      s = { ...s, next: key };
      dkg = { cycle, key, faults };
    } catch (e) {
      s = { ...s, next: null };
      dkg = { cycle, key: null, reason: (e as Error).message, faults };
    }
  }
  // Nothing happened: hand back the same object, so the caller can tell and skip storing it.
  const unchanged = cycle === pre.cycle && msgs.length === 0 && dkg === undefined;
  return { state: unchanged ? pre : s, rounds, dkg };
}
