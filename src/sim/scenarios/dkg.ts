/**
 * The beacon DKG of one cycle over the WAN: n committee members (validators in seven regions)
 * deal with the real `makeDealing`, sign with `dealingMessage`, and gossip the dealing to the
 * proposers; blocks carry what has arrived, and every block goes through the real on-chain
 * transition `applyBeacon` (dealing signature, shape and point checks; complaint proofs; the
 * outcome with `judgeDkg` + `dkgKey` at the fixed height). Silent members never deal; malicious
 * ones corrupt the share of one honest member, who finds it with the real `receiveShare` and
 * posts the complaint that disqualifies them. Shares of honest dealings are decrypted and checked
 * for real by one member (its work is the per-node figure); the other members' checks are the
 * same work and are not repeated.
 */
import {
  applyBeacon,
  type BeaconParams,
  complaintMessage,
  type DealingMessage,
  dealingMessage,
  initialBeaconState,
  makeDealing,
  receiveShare,
} from "../../beacon/index.ts";
import { blsKeyFromIkm } from "../../crypto/index.ts";
import { beaconMessageCodec, encode } from "../../encoding/index.ts";
import { mainnet } from "../../params/index.ts";
import type { BeaconMessage } from "../../types/index.ts";
import { Simulator } from "../engine.ts";
import { Rng } from "../rng.ts";
import { percentile, r } from "../stats.ts";
import { spreadLinks, Wan } from "../wan.ts";

export interface DkgOptions {
  seed: string;
  members: number;
  silent: number;
  malicious: number;
  blockMs: number;
  measure: boolean;
}

export const defaultDkgOptions: DkgOptions = {
  seed: "racecoin",
  members: 64,
  silent: 0,
  malicious: 0,
  blockMs: 5550,
  measure: false,
};

const CHAIN_ID = 7227n;

export function runDkg(o: DkgOptions): Record<string, unknown> {
  const rng = new Rng(o.seed);
  const sim = new Simulator();
  const n = o.members;
  const p: BeaconParams = { cycleLength: mainnet.cycleLength, ...mainnet.beacon, committeeSize: n };
  const wan = new Wan(sim, rng.fork("wan"), spreadLinks(n, rng.fork("regions"), 100, 100));
  const keyRng = rng.fork("keys");
  const keys = Array.from({ length: n }, () => blsKeyFromIkm(keyRng.bytes(32)));
  const validators = keys.map((k, i) => {
    const address = new Uint8Array(20);
    address[19] = i + 1;
    address[18] = (i + 1) >> 8;
    return { address, weight: BigInt(10_000 - i), blsKey: k.publicKey };
  });
  let state = initialBeaconState(validators, p);
  const committee = state.committee;
  // Member k (0-based) holds share index k + 1; the roles are drawn from the seed.
  const order = rng.fork("roles").shuffle([...Array(n).keys()]);
  const silent = new Set(order.slice(0, o.silent));
  const malicious = new Set(order.slice(o.silent, o.silent + o.malicious));
  const honest = order.slice(o.silent + o.malicious);

  const pending: { msg: BeaconMessage; arrived: number }[] = [];
  const toProposers = (from: number, msg: BeaconMessage) => {
    const bytes = encode(beaconMessageCodec, msg).length;
    // Gossip to one peer, then to the proposer: two WAN hops.
    const via = honest[rng.int(honest.length)]!;
    wan.send(from, via, bytes, () =>
      wan.send(via, rng.int(n), bytes, () => pending.push({ msg, arrived: sim.now })),
    );
  };

  let dealWallMs = 0;
  const dealings = new Map<number, DealingMessage>();
  const victims = new Map<number, number>();
  for (let k = 0; k < n; k++) {
    if (silent.has(k)) continue;
    const dealer = committee.members[k]!.index;
    // Each dealer deals within the first 30 s of the cycle (its computation is charged: 2 s).
    sim.at(rng.next() * 30_000 + 2000, () => {
      const t = performance.now();
      const d = makeDealing(committee, dealer);
      if (malicious.has(k)) {
        const victim = honest[rng.int(honest.length)]!;
        victims.set(dealer, victim);
        const enc = d.shares[victim]!;
        const ciphertext = enc.ciphertext.slice();
        ciphertext[0]! ^= 0xff;
        d.shares[victim] = { ...enc, ciphertext };
      }
      dealings.set(dealer, d);
      const msg = dealingMessage(CHAIN_ID, 0, d, keys[k]!.secretKey);
      dealWallMs += performance.now() - t;
      toProposers(k, msg);
    });
  }

  const bytesPerBlock: number[] = [];
  let dealingsIncluded = 0;
  let complaintsIncluded = 0;
  let lastDealingBlock = 0;
  let applyWallMs = 0;
  let outcome:
    | { qualified: number; disqualified: number; faults: number; ok: boolean; reason?: string }
    | undefined;
  let checkWallMs = 0;
  const checker = honest[0]!;
  const checked = new Set<number>();
  const outcomeHeight = p.dealingBlocks + p.complaintBlocks;
  for (let h = 1; h <= outcomeHeight; h++) {
    sim.at(h * o.blockMs, () => {
      const msgs = pending.splice(0, 256).map((x) => x.msg);
      const t = performance.now();
      const tr = applyBeacon(state, h, msgs, validators, p, CHAIN_ID);
      applyWallMs += performance.now() - t;
      state = tr.state;
      const bytes = msgs.reduce((s, m) => s + encode(beaconMessageCodec, m).length, 0);
      if (bytes > 0) bytesPerBlock.push(bytes);
      for (const m of msgs) {
        if (m.kind === 1) {
          dealingsIncluded++;
          lastDealingBlock = h;
          onDealing(m.sender, h);
        } else if (m.kind === 2) complaintsIncluded++;
      }
      if (tr.dkg)
        outcome = {
          qualified: tr.dkg.key?.qualified.length ?? 0,
          disqualified: dealingsIncluded - (tr.dkg.key?.qualified.length ?? 0),
          faults: tr.dkg.faults.length,
          ok: tr.dkg.key !== null,
          reason: tr.dkg.reason,
        };
    });
  }
  // A member reads each dealing from the chain and checks its own share; the victim complains
  // once the complaint phase opens.
  const onDealing = (dealer: number, h: number) => {
    const d = dealings.get(dealer)!;
    const victim = victims.get(dealer);
    if (!checked.has(dealer)) {
      checked.add(dealer);
      const t = performance.now();
      const res = receiveShare(committee, d, committee.members[checker]!, keys[checker]!.secretKey);
      checkWallMs += performance.now() - t;
      if ("complaint" in res && victim !== checker) throw new Error("an honest dealing failed its check");
    }
    if (victim === undefined) return;
    const res = receiveShare(committee, d, committee.members[victim]!, keys[victim]!.secretKey);
    if (!("complaint" in res)) throw new Error("a corrupted share passed its check");
    sim.at(Math.max(h, p.dealingBlocks) * o.blockMs + 1000, () =>
      toProposers(victim, complaintMessage(0, res.complaint)),
    );
  };

  sim.run(outcomeHeight * o.blockMs + 1);
  const totalBytes = bytesPerBlock.reduce((s, x) => s + x, 0);
  const threshold = committee.threshold;
  const summary: Record<string, unknown> = {
    scenario: "dkg",
    seed: o.seed,
    members: n,
    threshold,
    silent: o.silent,
    malicious: o.malicious,
    dealingsOnChain: dealingsIncluded,
    complaintsOnChain: complaintsIncluded,
    lastDealingIncludedAtBlock: lastDealingBlock,
    dealingPhaseBlocks: p.dealingBlocks,
    outcomeAtBlock: outcomeHeight,
    outcomeAfterMinutes: r((outcomeHeight * o.blockMs) / 60_000, 1),
    outcome,
    bytesOnChain: totalBytes,
    beaconBytesPerBlock: { p50: percentile(bytesPerBlock, 50), max: Math.max(0, ...bytesPerBlock) },
  };
  if (o.measure)
    summary.measuredMs = {
      dealAllMembers: r(dealWallMs, 0),
      checkOwnSharesOneMember: r(checkWallMs, 0),
      applyBeaconAllBlocks: r(applyWallMs, 0),
    };
  return summary;
}
