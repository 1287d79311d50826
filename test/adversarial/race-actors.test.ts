// One race cycle against every Byzantine actor we know, with invariants checked after every block:
// miners that inflate, repeat, reorder, duplicate, pad with non-proofs or never reveal; fraud
// provers that claim honest leaves, prove order fraud on sorted paths, and replay refused claims;
// a judge that lies. After every step: no fraud stands against an honest miner and no claim against
// one is upheld; at settlement only honest miners hold weight, each exactly its proof count; and
// the next set is built from settled weights alone (validators.md, race-cycle.md §Small sets).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  capBelowThird,
  RaceClaimState,
  raceClaimFee,
  raceClaims,
  raceFrauds,
  raceWeights,
  registrations,
  validatorSets,
  validators,
} from "../../contracts/index.ts";
import { minimal, RACE_MODULE_ADDRESS } from "../../src/params/index.ts";
import {
  multiproof,
  nonceDistance,
  raceThreshold,
  rootOf,
  sampleIndices,
  treeOver,
} from "../../src/race/index.ts";
import { storeIn } from "../../src/state/index.ts";
import { type Address, toHex } from "../../src/types/index.ts";
import { raceHarness } from "../helpers/raceModule.ts";
import { adversaryLeaves } from "./actors.ts";

const preset = minimal;
const w = preset.windows;
const CYCLE = 1;
const start = CYCLE * preset.cycleLength;
const addr = (i: number) => new Uint8Array(20).fill(0x10 + i) as Address;

describe("the race against Byzantine actors", () => {
  it("honest miners keep exactly their counts; every liar ends with 0; invariants hold after every block", () => {
    const h = raceHarness(preset, 1n);
    const seed = h.beaconOutput(start + w.raceStart, new Uint8Array(32).fill(0x71), true);
    h.endBlocks(start, start + w.raceStart);
    const threshold = raceThreshold(seed, preset.race);
    const isProof = (m: Address, n: bigint) => BigInt(nonceDistance(seed, preset.race, m, n)) < threshold;
    const proofsOf = (m: Address, k: number) => {
      const out: bigint[] = [];
      for (let n = 0n; out.length < k; n++) if (isProof(m, n)) out.push(n);
      return out;
    };
    const honest = [addr(0), addr(1), addr(2), addr(3)];
    const [inflater, periodic, repeater, unsorted, padder, silent] = [4, 5, 6, 7, 8, 9].map(
      addr,
    ) as Address[];
    const liar = addr(10);
    const real = new Map<string, bigint[]>();
    const leavesOf = new Map<string, bigint[]>();
    const counts = new Map<string, number>();
    const commitLeaves = (m: Address, leaves: bigint[], count = leaves.length) => {
      leavesOf.set(toHex(m), leaves);
      counts.set(toHex(m), count);
      h.call(start + w.raceStart + 1, m, "commit", { count, root: rootOf(treeOver(leaves)) });
    };
    for (const [i, m] of honest.entries()) {
      const p = proofsOf(m, 6 + i);
      real.set(toHex(m), p);
      commitLeaves(m, p);
    }
    for (const m of [inflater, periodic, repeater, unsorted, padder, silent])
      real.set(toHex(m!), proofsOf(m!, 4));
    const r = (m: Address) => real.get(toHex(m))!;
    commitLeaves(inflater!, r(inflater!), 1 << 20); // claims 2^20 over 4 proofs
    commitLeaves(periodic!, adversaryLeaves("periodic", r(periodic!), 4 * 64));
    commitLeaves(repeater!, adversaryLeaves("block-repeated", r(repeater!), 4 * 64));
    const swapped = [...r(unsorted!)];
    [swapped[1], swapped[2]] = [swapped[2]!, swapped[1]!];
    commitLeaves(unsorted!, swapped);
    let fake = r(padder!)[3]! + 1n;
    const padded = [...r(padder!)];
    while (padded.length < 16) {
      if (!isProof(padder!, fake)) padded.push(fake);
      fake++;
    }
    commitLeaves(padder!, padded);
    commitLeaves(silent!, r(silent!));

    // The judges and verifiers: the four honest miners hold the cycle's set; the liar holds none.
    const vstore = storeIn(h.state, validators);
    validatorSets.set(
      vstore,
      CYCLE,
      honest.map((a, i) => ({
        address: a,
        weight: 100n + BigInt(i),
        blsKey: new Uint8Array(48).fill(i + 1),
      })),
    );
    for (const [i, a] of [...honest, inflater, periodic, repeater, unsorted, padder, silent].entries())
      registrations.set(vstore, a!, {
        blsKey: new Uint8Array(48).fill(i + 1),
        peerId: new Uint8Array(0),
        height: 1,
      });
    const bond = preset.raceFraudBond;
    h.state.setAccount(liar, { ...h.state.getAccount(liar), balance: 100n * bond });
    // (a0 proves below; its balance is checked around the flood.)
    h.state.setAccount(honest[0]!, { ...h.state.getAccount(honest[0]!), balance: 10n * bond });

    const invariants = (at: string) => {
      for (const m of honest) {
        assert.ok(!raceFrauds.has(h.store, [CYCLE, m]), `${at}: a fraud stands against honest ${toHex(m)}`);
        for (const [[[, who]], c] of raceClaims.entries(h.store, new Uint8Array([0, 0, 0, CYCLE])))
          if (toHex(who) === toHex(m))
            assert.notEqual(
              c.state,
              RaceClaimState.upheld,
              `${at}: a claim against an honest miner was upheld`,
            );
      }
    };
    const tryCall = (height: number, sender: Address, method: string, args: unknown) => {
      try {
        h.call(height, sender, method, args);
        return true;
      } catch {
        return false;
      }
    };

    h.endBlocks(start + w.raceStart + 1, start + w.commitDeadline);
    const randomness = h.beaconOutput(start + w.revealStart, new Uint8Array(32).fill(0x72), true);
    h.endBlocks(start + w.revealStart, start + w.revealStart);
    const rv = start + w.revealStart + 1;
    const reveal = (m: Address) => {
      const leaves = leavesOf.get(toHex(m))!;
      const sampled = sampleIndices(randomness, m, counts.get(toHex(m))!, preset.race.samples);
      const known = sampled.filter((i) => i < leaves.length);
      return tryCall(rv, m, "reveal", {
        nonces: known.map((index) => ({ index, nonce: leaves[index]! })),
        proof: multiproof(treeOver(leaves), known),
      });
    };
    for (const m of honest) assert.ok(reveal(m), "an honest miner reveals");
    assert.equal(reveal(inflater!), false, "an inflated count cannot reveal");
    assert.equal(reveal(periodic!), false, "a periodic list's paths do not open");
    assert.equal(reveal(repeater!), false, "a block-repeated list's paths do not open");
    const unsortedRevealed = reveal(unsorted!); // refused if a sample crosses the swapped pair
    const padderRevealed = reveal(padder!);
    invariants("after reveals");

    // Lying fraud provers.
    const a0 = honest[0]!;
    const [s0] = sampleIndices(randomness, a0, r(a0).length, preset.race.samples);
    assert.ok(tryCall(rv + 1, liar, "fraudNonce", { miner: a0, index: s0!, nonce: r(a0)[s0!]!, proof: [] }));
    assert.equal(
      tryCall(rv + 1, liar, "fraudNonce", { miner: a0, index: s0!, nonce: r(a0)[s0!]!, proof: [] }),
      false,
      "a claim on the same leaf twice",
    );
    assert.equal(
      tryCall(rv + 1, liar, "fraudOrder", {
        miner: a0,
        index: 1,
        nonce: r(a0)[1]!,
        proof: multiproof(treeOver(r(a0)), [1]),
      }),
      false,
      "order fraud on an honest, sorted path",
    );
    // The liar judges nothing (not in the set); one honest judge lies; the others decide.
    assert.equal(tryCall(rv + 1, liar, "judge", { miner: a0, index: s0!, fraud: 1 }), false);
    assert.ok(tryCall(rv + 2, honest[3]!, "judge", { miner: a0, index: s0!, fraud: 1 }), "a lying member");
    invariants("after a lying judgement");
    for (const j of [honest[1]!, honest[2]!])
      tryCall(rv + 2, j, "judge", { miner: a0, index: s0!, fraud: isProof(a0, r(a0)[s0!]!) ? 0 : 1 });
    assert.equal(raceClaims.get(h.store, [[CYCLE, a0], s0!])!.state, RaceClaimState.refused);
    invariants("after the false claim was refused");

    // Honest provers: order fraud against the unsorted list (on a path through the swap) and a claim
    // on one of the padder's fakes, judged by the set.
    assert.ok(
      tryCall(rv + 3, a0, "fraudOrder", {
        miner: unsorted!,
        index: 1,
        nonce: swapped[1]!,
        proof: multiproof(treeOver(swapped), [1]),
      }),
      "order fraud through the swapped pair",
    );
    // A flood: four claims against the padder's fakes. One is judged and upheld; the rest are
    // refused to judges from then on (nothing left to decide) and lapse at settlement.
    const fakes = padded.map((n, i) => [n, i] as const).filter(([n]) => !isProof(padder!, n));
    const a0Before = h.state.getAccount(a0).balance;
    for (const [n, i] of fakes.slice(0, 4))
      assert.ok(
        tryCall(rv + 3, a0, "fraudNonce", {
          miner: padder!,
          index: i,
          nonce: n,
          proof: multiproof(treeOver(padded), [i]),
        }),
      );
    const fakeIndex = fakes[0]![1];
    for (const j of honest.slice(1))
      tryCall(rv + 4, j, "judge", { miner: padder!, index: fakeIndex, fraud: 1 });
    assert.equal(raceClaims.get(h.store, [[CYCLE, padder!], fakeIndex])!.state, RaceClaimState.upheld);
    assert.equal(
      tryCall(rv + 4, honest[1]!, "judge", { miner: padder!, index: fakes[1]![1], fraud: 1 }),
      false,
      "judging a claim against a miner already convicted is refused",
    );
    invariants("after honest fraud proofs");

    for (let height = rv + 5; height <= start + preset.cycleLength - 1; height++) {
      h.endBlocks(height, height);
      invariants(`block ${height}`);
    }
    const settled = new Map(raceWeights(h.store, CYCLE).map(([a, v]) => [toHex(a), v]));
    for (const m of honest)
      assert.equal(settled.get(toHex(m)), BigInt(r(m).length), "an honest miner's weight is its count");
    for (const m of [inflater, periodic, repeater, unsorted, padder, silent])
      assert.equal(
        settled.get(toHex(m!)),
        undefined,
        `liar ${toHex(m!)} ends with 0 (revealed: unsorted ${unsortedRevealed}, padder ${padderRevealed})`,
      );
    assert.equal(h.state.getAccount(RACE_MODULE_ADDRESS).balance, 0n, "no bond left locked");
    for (const [, i] of fakes.slice(1, 4))
      assert.equal(raceClaims.get(h.store, [[CYCLE, padder!], i])!.state, RaceClaimState.lapsed);
    assert.equal(
      a0Before - h.state.getAccount(a0).balance,
      4n * raceClaimFee(bond),
      "the flood cost its sender one fee per claim; every bond came back",
    );

    // The next set comes from settled weights only (four honest racers: built, capped below a third).
    validators.endCycle!(h.ctx(start + preset.cycleLength - 1, validators));
    const next = validatorSets.get(vstore, CYCLE + 1)!;
    const expected = capBelowThird(
      honest.map((a) => ({ address: a, weight: settled.get(toHex(a))!, blsKey: new Uint8Array(48) })),
    );
    assert.deepEqual(
      next.map((v) => [toHex(v.address), v.weight]).sort(),
      expected.map((v) => [toHex(v.address), v.weight]).sort(),
    );
  });
});
