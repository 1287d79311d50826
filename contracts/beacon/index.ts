/**
 * beacon: the threshold beacon's chain state as module storage (spec/beacon.md §On chain), one
 * entry per message: each accepted DKG dealing and complaint as the block carried it, each round
 * output, each cycle's DKG outcome, and a small head record. The crypto and the pure transition
 * stay in src/beacon; this module stores what that transition accepted and rebuilds its state
 * from storage on start.
 *
 * Beacon messages stay a block-body section rather than module transactions (spec/beacon.md
 * §Messages in blocks says why); the state transition calls `writeBeaconTransition` after
 * `applyBeacon` in every block.
 */
import {
  type ActiveKey,
  type BeaconCommittee,
  type BeaconState,
  type BeaconTransition,
  decodeStoredDealing,
  initialBeaconState,
  readComplaint,
} from "../../src/beacon/index.ts";
import { beaconMessageCodec, bytes, hash32, list, str, struct, uint } from "../../src/encoding/index.ts";
import { BEACON_MODULE_ADDRESS, roundOpenHeight } from "../../src/params/index.ts";
import { type BeaconMessage, BeaconMessageKind } from "../../src/types/index.ts";
import type { Module } from "../module.ts";
import { pairKey, type RawStore, type ReadStore, StoreItem, StoreMap, u32Key } from "../store.ts";

interface BeaconHead {
  cycle: number;
  round: number;
  output: Uint8Array;
  /** dkgCycle + 1 of the active key; 0: none yet. */
  active: number;
  /** This cycle's DKG outcome: 0 not fixed, 1 failed, 2 a key (in `dkgs`). */
  next: number;
}
const headCodec = struct<BeaconHead>("beacon.Head", {
  cycle: uint,
  round: uint,
  output: hash32,
  active: uint,
  next: uint,
});

export interface DkgRecord {
  cycle: number;
  /** 1 if the DKG produced a key, 0 if it failed. */
  ok: number;
  groupKey: Uint8Array;
  publicShares: Uint8Array[];
  qualified: number[];
  reason: string;
  height: number;
}
const dkgCodec = struct<DkgRecord>("beacon.Dkg", {
  cycle: uint,
  ok: uint,
  groupKey: bytes({ max: 96 }),
  publicShares: list(bytes({ max: 96 }), 1024),
  qualified: list(uint, 1024),
  reason: str(512),
  height: uint,
});

export interface StoredRound {
  round: number;
  output: Uint8Array;
  signature: Uint8Array;
  signers: number[];
  height: number;
  /** The output this round signed over (zero for round 1). */
  previous: Uint8Array;
  groupKey: Uint8Array;
  dkgCycle: number;
}
const roundCodec = struct<StoredRound>("beacon.Round", {
  round: uint,
  output: hash32,
  signature: bytes({ length: 96 }),
  signers: list(uint, 1024),
  height: uint,
  previous: hash32,
  groupKey: bytes({ max: 96 }),
  dkgCycle: uint,
});

export const beaconHead = new StoreItem("head", headCodec);
/** (cycle, dealer) → the dealing message as the block carried it. */
export const dealings = new StoreMap("dealing", pairKey(u32Key, 4, u32Key), beaconMessageCodec);
/** (cycle, n) → the n-th complaint of that cycle. */
export const complaints = new StoreMap("complaint", pairKey(u32Key, 4, u32Key), beaconMessageCodec);
export const dkgs = new StoreMap("dkg", u32Key, dkgCodec);
export const rounds = new StoreMap("round", u32Key, roundCodec);

const ZERO32 = new Uint8Array(32);

function headOf(s: BeaconState): BeaconHead {
  return {
    cycle: s.cycle,
    round: s.round,
    output: s.output,
    active: s.active ? s.active.dkgCycle + 1 : 0,
    next: s.next === undefined ? 0 : s.next === null ? 1 : 2,
  };
}

/** The latest completed round and the height of the block that completed it, if any. */
export function latestRound(
  store: ReadStore,
): { round: number; output: Uint8Array; height: number } | undefined {
  const head = beaconHead.get(store);
  if (!head || head.round === 0) return undefined;
  const r = rounds.get(store, head.round);
  return r && { round: r.round, output: r.output, height: r.height };
}

/**
 * The latest output if its round *opened* at or after `height`: its partials did not exist before
 * that block, so nobody could know it while the window it guards was open. Landing after the window
 * is not enough — a round's partials circulate from the block it opens at (round × roundInterval),
 * often a block or more before it lands. The rule for every seed that guards a window: the race's
 * seed and sample randomness, training's score seed (spec/beacon.md §Consumers).
 */
export function latestOpenedSince(
  store: ReadStore,
  height: number,
  roundInterval: number,
): { round: number; output: Uint8Array; height: number } | undefined {
  const latest = latestRound(store);
  return latest && roundOpenHeight(latest.round, roundInterval) >= height ? latest : undefined;
}

/** The beacon's genesis state: cycle 0, no key, round 0. */
export function writeBeaconGenesis(store: RawStore, s: BeaconState): void {
  beaconHead.set(store, headOf(s));
}

/**
 * Store what one block's beacon transition accepted: its dealings and complaints one entry each,
 * round outputs, a fixed DKG outcome, and the head record when it moved. Messages of cycles no
 * longer needed (older than the active key's DKG) are removed at a cycle change.
 */
export function writeBeaconTransition(
  store: RawStore,
  pre: BeaconState,
  t: BeaconTransition,
  msgs: readonly BeaconMessage[],
  height: number,
): void {
  const s = t.state;
  if (s === pre) return;
  if (s.cycle !== pre.cycle) {
    const keep = Math.min(s.cycle, s.active?.dkgCycle ?? s.cycle);
    for (const k of dealings.scan(store, { to: u32Key.encode(keep) })) dealings.delete(store, k);
    for (const k of complaints.scan(store, { to: u32Key.encode(s.cycle) })) complaints.delete(store, k);
  }
  let complaintIndex = pre.cycle === s.cycle ? pre.complaints.length : 0;
  for (const m of msgs) {
    if (m.kind === BeaconMessageKind.dealing) dealings.set(store, [m.epoch, m.sender], m);
    else if (m.kind === BeaconMessageKind.complaint) complaints.set(store, [m.epoch, complaintIndex++], m);
  }
  let previous = pre.output;
  for (const r of t.rounds) {
    rounds.set(store, r.round, {
      ...r,
      height,
      previous,
      groupKey: s.active!.groupKey,
      dkgCycle: s.active!.dkgCycle,
    });
    previous = r.output;
  }
  if (t.dkg) {
    const key = t.dkg.key;
    dkgs.set(store, t.dkg.cycle, {
      cycle: t.dkg.cycle,
      ok: key ? 1 : 0,
      groupKey: key?.groupKey ?? new Uint8Array(0),
      publicShares: key?.publicShares ?? [],
      qualified: key?.qualified ?? [],
      reason: key ? "" : (t.dkg.reason ?? "").slice(0, 512),
      height,
    });
  }
  beaconHead.set(store, headOf(s));
}

function keyFromStore(store: ReadStore, dkgCycle: number, committee: BeaconCommittee): ActiveKey {
  const rec = dkgs.get(store, dkgCycle);
  if (rec?.ok !== 1) throw new Error(`beacon state: no DKG key for cycle ${dkgCycle}`);
  const prefix = u32Key.encode(dkgCycle);
  const qualifiedDealings = dealings
    .entries(store, prefix)
    .map(([, m]) => decodeStoredDealing(m))
    .filter((d) => rec.qualified.includes(d.dealer));
  return {
    dkgCycle,
    committee,
    groupKey: rec.groupKey,
    publicShares: rec.publicShares,
    qualified: rec.qualified,
    dealings: qualifiedDealings,
  };
}

/** Rebuild the in-memory beacon state from storage (node start). */
export function loadBeaconState(
  store: ReadStore,
  committeeOf: (cycle: number) => BeaconCommittee,
): BeaconState {
  const head = beaconHead.get(store);
  if (!head) throw new Error("beacon state: no head record");
  const prefix = u32Key.encode(head.cycle);
  const committee = committeeOf(head.cycle);
  return {
    cycle: head.cycle,
    committee,
    dealings: dealings.entries(store, prefix).map(([, m]) => decodeStoredDealing(m)),
    complaints: complaints.entries(store, prefix).map(([, m]) => readComplaint(m)),
    next: head.next === 0 ? undefined : head.next === 1 ? null : keyFromStore(store, head.cycle, committee),
    active:
      head.active === 0 ? undefined : keyFromStore(store, head.active - 1, committeeOf(head.active - 1)),
    round: head.round,
    output: head.round === 0 ? ZERO32 : head.output,
  };
}

export const roundQueryArgs = struct<{ round: number }>("beacon.round", { round: uint });
export const roundQueryResult = struct<{ rounds: StoredRound[] }>("beacon.round.result", {
  rounds: list(roundCodec, 1),
});
export const dkgQueryArgs = struct<{ cycle: number }>("beacon.dkg", { cycle: uint });
export const dkgQueryResult = struct<{ outcomes: DkgRecord[] }>("beacon.dkg.result", {
  outcomes: list(dkgCodec, 1),
});

export const beacon: Module = {
  id: 2,
  name: "beacon",
  address: BEACON_MODULE_ADDRESS,
  genesis: (ctx) =>
    writeBeaconGenesis(
      ctx.store,
      initialBeaconState(ctx.validators, { cycleLength: ctx.preset.cycleLength, ...ctx.preset.beacon }),
    ),
  methods: {},
  queries: {
    round: {
      args: roundQueryArgs,
      result: roundQueryResult,
      run: (ctx, a: { round: number }) => {
        const r = rounds.get(ctx.store, a.round);
        return { rounds: r ? [r] : [] };
      },
    },
    dkg: {
      args: dkgQueryArgs,
      result: dkgQueryResult,
      run: (ctx, a: { cycle: number }) => {
        const r = dkgs.get(ctx.store, a.cycle);
        return { outcomes: r ? [r] : [] };
      },
    },
  },
};
