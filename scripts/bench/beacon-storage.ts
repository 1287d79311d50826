// bench:beacon-storage — bytes a node writes per block for the beacon during a 64-member DKG
// (mainnet committee and schedule), before and after the beacon moved into module storage.
//   before: the whole beacon state as one msgpack blob, rewritten at every block that changes it
//           (what the node stored until the module runtime);
//   after:  the beacon module's entries that the block writes (one per message, plus the head
//           record) in the flat storage bucket, plus the new trie nodes of its storage trie and of
//           the account trie, i.e. everything the block's batch adds for the beacon.
// Two cycles run: cycle 0's DKG produces the key that cycle 1 uses, so cycle 1's blocks carry the
// active key's dealings in the old blob too (the steady state). One dealing per block.
// Ceiling: the dealing's own bytes, what any storage must write; the ratio is that over the mean
// bytes per steady-state block.
// Usage: npm run bench:beacon-storage -- [--members 64]
import { parseArgs } from "node:util";
import { Packr } from "msgpackr";
import { beacon as beaconModule, writeBeaconTransition } from "../../contracts/index.ts";
import {
  applyBeacon,
  type BeaconState,
  dealingMessage,
  initialBeaconState,
  makeDealing,
  selectCommittee,
} from "../../src/beacon/index.ts";
import { deriveBlsKeys, keccak256, TEST_MNEMONIC } from "../../src/crypto/index.ts";
import { mainnet } from "../../src/params/index.ts";
import { beaconParams, computeDelta, StateOverlay, storeIn, WorldState } from "../../src/state/index.ts";
import { equalBytes, type Validator } from "../../src/types/index.ts";
import { ratioOf, report } from "./report.ts";

const { values } = parseArgs({ options: { members: { type: "string", default: "64" } } });
const n = Number(values.members);
const chainId = 72270n;
const preset = { ...mainnet, beacon: { ...mainnet.beacon, committeeSize: n } };
const p = beaconParams(preset);
const keys = deriveBlsKeys(TEST_MNEMONIC, n);
const validators: Validator[] = keys.map((k) => ({
  address: keccak256(k.publicKey).slice(12),
  weight: 100n,
  blsKey: k.publicKey,
}));
const committee = selectCommittee(validators, n, 0);
const skOf = (index: number) =>
  keys.find((k) => equalBytes(k.publicKey, committee.members.find((m) => m.index === index)!.blsKey))!
    .secretKey;
process.stdout.write(`making ${n} dealings (t = ${committee.threshold})… `);
const dealings = committee.members.map((m) => makeDealing(committee, m.index));
process.stdout.write("done\n");

const blobPackr = new Packr({ useRecords: false });
let state: BeaconState = initialBeaconState(validators, p);
const world = new WorldState();
const rows: { cycle: number; height: number; beforeBytes: number; afterBytes: number }[] = [];

function step(height: number, msgs: ReturnType<typeof dealingMessage>[]): void {
  const t = applyBeacon(state, height, msgs, validators, p, chainId);
  const before = t.state === state ? 0 : blobPackr.pack(t.state).length;
  const overlay = new StateOverlay(world);
  writeBeaconTransition(storeIn(overlay, beaconModule), state, t, msgs, height);
  const delta = computeDelta(world, overlay.changes, overlay.storage.values(), (a) => overlay.getAccount(a));
  let after = 0;
  for (const s of delta.storage) after += 1 + 20 + s.key.length + (s.value?.length ?? 0);
  const nodes = [
    ...delta.trie.takeUnpersisted(),
    ...[...delta.storageTries.values()].flatMap((x) => x.takeUnpersisted()),
  ];
  for (const [h, node] of nodes) after += 1 + h.length + node.length;
  world.apply(delta);
  state = t.state;
  if (msgs.length > 0) rows.push({ cycle: t.state.cycle, height, beforeBytes: before, afterBytes: after });
}

for (const cycle of [0, 1]) {
  const start = cycle * p.cycleLength;
  for (const [k, d] of dealings.entries())
    step(start + 1 + k, [dealingMessage(chainId, cycle, d, skOf(d.dealer))]);
  step(start + p.dealingBlocks + p.complaintBlocks, []); // the outcome block
  if (state.next === null || state.next === undefined)
    throw new Error(`cycle ${cycle}: DKG did not produce a key`);
}

const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
const summary = [0, 1].map((cycle) => {
  const r = rows.filter((x) => x.cycle === cycle);
  return {
    cycle,
    blocksWithDealings: r.length,
    before: {
      meanBytesPerBlock: Math.round(sum(r.map((x) => x.beforeBytes)) / r.length),
      maxBytesPerBlock: Math.max(...r.map((x) => x.beforeBytes)),
      totalBytes: sum(r.map((x) => x.beforeBytes)),
    },
    after: {
      meanBytesPerBlock: Math.round(sum(r.map((x) => x.afterBytes)) / r.length),
      maxBytesPerBlock: Math.max(...r.map((x) => x.afterBytes)),
      totalBytes: sum(r.map((x) => x.afterBytes)),
    },
  };
});
const dealingBytes = dealingMessage(chainId, 0, dealings[0]!, skOf(dealings[0]!.dealer)).body.length;
const steady = summary[1]!.after.meanBytesPerBlock;
report({
  bench: "beacon-storage",
  members: n,
  threshold: committee.threshold,
  cycles: summary,
  ceiling: { dealingBytesPerBlock: dealingBytes },
  ratio: ratioOf(dealingBytes, steady),
  target: null,
  note: "spec/beacon.md sets no target; 'before' is the old whole-state blob, 'after' what a block writes now",
});
