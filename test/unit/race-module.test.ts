// The race module's rules, driven hook by hook over a cycle: the seed comes from the first beacon
// output in the race window, commits only inside the window and once, reveals checked against the
// commitment and the sample randomness, order fraud proofs, and settled weights that become the
// next validator set. Cheaters end with weight 0; honest miners keep theirs.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  ModuleError,
  RACE_VERIFY_DOMAIN,
  RaceClaimState,
  raceAttestations,
  raceClaimFee,
  raceClaims,
  raceCommits,
  raceForfeitsOf,
  raceFrauds,
  raceReveals,
  raceSampleSeeds,
  raceSeeds,
  raceVerifierInput,
  raceWeights,
  registrations,
  setNextWeight,
  validatorSets,
  validators,
} from "../../contracts/index.ts";
import { vrfProve } from "../../src/beacon/index.ts";
import { deriveBlsKeys, TEST_MNEMONIC } from "../../src/crypto/index.ts";
import { minimal, RACE_MODULE_ADDRESS, TRAINING_FUND_ADDRESS } from "../../src/params/index.ts";
import {
  buildTree,
  commit,
  multiproof,
  nonceDistance,
  raceThreshold,
  rootOf,
  sampleIndices,
  type Tree,
  treeOver,
  ZERO32,
} from "../../src/race/index.ts";
import { storeIn } from "../../src/state/index.ts";
import { type Address, equalBytes } from "../../src/types/index.ts";
import { devAddresses, devGenesis } from "../helpers/chain.ts";
import { raceHarness } from "../helpers/raceModule.ts";

const L = minimal.cycleLength;
const w = minimal.windows;
const CYCLE = 2;
const start = CYCLE * L;
const genesis = devGenesis();

function setup() {
  const h = raceHarness(minimal, genesis.chainId);
  return {
    ...h,
    beaconOutput: (height: number, fill: number) =>
      h.beaconOutput(height, new Uint8Array(32).fill(fill), true),
    /** A beacon output of round `round` (opened at round × roundInterval) landing at `height`. */
    roundOutput: (height: number, fill: number, round: number) =>
      h.beaconOutput(height, new Uint8Array(32).fill(fill), round),
  };
}

function revealFor(nonces: bigint[], tree: Tree, randomness: Uint8Array, miner: Address) {
  const sampled = sampleIndices(randomness, miner, nonces.length, minimal.race.samples);
  return {
    nonces: sampled.map((index) => ({ index, nonce: nonces[index]! })),
    proof: multiproof(tree, sampled),
  };
}

const refused = (f: () => void, reason: RegExp) =>
  assert.throws(f, (e: unknown) => e instanceof ModuleError && reason.test(e.message));

describe("race module", () => {
  // Review (after the training module's score seed): a beacon round's partials circulate from the
  // block it opens at, blocks before it may land. A round opened before the commit deadline that
  // lands after it was taken as the sample randomness: whoever aggregated its partials first could
  // commit a set padded with non-proofs exactly where no index is sampled. Likewise a race seed from
  // a round opened before the race window let miners start early.
  it("takes its seeds only from beacon rounds that opened inside their window, not ones that landed there late", () => {
    const { call, endBlocks, roundOutput, store } = setup();
    const I = minimal.beacon.roundInterval;
    // The round that opened at the cycle's start lands in the race window: not the seed.
    endBlocks(start, start + w.raceStart);
    roundOutput(start + w.raceStart + 1, 0x01, start / I);
    endBlocks(start + w.raceStart + 1, start + w.raceStart + 1);
    assert.equal(
      raceSeeds.get(store, CYCLE),
      undefined,
      "a round opened before the window is not the race seed",
    );
    const seed = roundOutput(start + w.raceStart + 2, 0x02, (start + w.raceStart) / I);
    endBlocks(start + w.raceStart + 2, start + w.raceStart + 2);
    assert.ok(equalBytes(raceSeeds.get(store, CYCLE)!, seed), "the round that opened with the window is");
    const good = Array.from({ length: 8 }, (_, i) => BigInt(1000 + 7 * i));
    call(start + w.raceStart + 3, devAddresses[1]!, "commit", commit(good));
    endBlocks(start + w.raceStart + 3, start + w.commitDeadline - 1);
    // The round that opened before the deadline lands after it: not the sample randomness.
    const lateOpen = Math.floor((start + w.commitDeadline - 1) / I);
    assert.ok(lateOpen * I < start + w.commitDeadline);
    roundOutput(start + w.commitDeadline + 1, 0x03, lateOpen);
    endBlocks(start + w.commitDeadline, start + w.revealStart - 1);
    assert.equal(
      raceSampleSeeds.get(store, CYCLE),
      undefined,
      "a round opened before the deadline is not the sample randomness",
    );
    refused(
      () => call(start + w.revealStart, devAddresses[1]!, "reveal", { nonces: [], proof: [] }),
      /no sample randomness yet/,
    );
    const randomness = roundOutput(start + w.revealStart, 0x04, (start + w.revealStart) / I);
    endBlocks(start + w.revealStart, start + w.revealStart);
    assert.ok(
      equalBytes(raceSampleSeeds.get(store, CYCLE)!, randomness),
      "the round that opened after the deadline is",
    );
  });

  it("runs a cycle: seed, commits, reveals, fraud, settled weights → the next validator set", () => {
    const { ctx, call, endBlocks, beaconOutput, store, state } = setup();
    const [honest, cheater, inflater, late, watcher] = [1, 2, 3, 4, 9].map((i) => devAddresses[i]!) as [
      Address,
      Address,
      Address,
      Address,
      Address,
    ];
    // Before the race window's first beacon output there is no race to commit to.
    endBlocks(start, start + w.raceStart);
    refused(
      () => call(start + w.raceStart, honest, "commit", { count: 0, root: ZERO32 }),
      /no race seed yet/,
    );
    const seed = beaconOutput(start + w.raceStart + 1, 0xaa);
    endBlocks(start + w.raceStart + 1, start + w.raceStart + 1);
    assert.ok(
      equalBytes(raceSeeds.get(store, CYCLE)!, seed),
      "the seed is the first output in the race window",
    );

    const good = Array.from({ length: 40 }, (_, i) => BigInt(1000 + 7 * i));
    const goodCommit = commit(good);
    const bad = [...good];
    [bad[20], bad[21]] = [bad[21]!, bad[20]!]; // one unsorted pair
    const badLevels = treeOver(bad);
    const badRoot = rootOf(badLevels);
    const h = start + w.raceStart + 2;
    call(h, honest, "commit", goodCommit);
    call(h, cheater, "commit", { count: bad.length, root: badRoot });
    call(h, inflater, "commit", { count: 1000, root: goodCommit.root }); // claims more than it has
    refused(() => call(h + 1, honest, "commit", goodCommit), /already committed/);
    refused(
      () => call(start + w.commitDeadline, late, "commit", goodCommit),
      /commitments are accepted in blocks/,
    );
    refused(
      () => call(h, late, "commit", { count: 0, root: goodCommit.root }),
      /empty commitment has the zero root/,
    );
    assert.equal(raceCommits.keys(store, new Uint8Array([0, 0, 0, CYCLE])).length, 3);

    // Sample randomness: the first output at or after the commit deadline.
    endBlocks(h, start + w.commitDeadline);
    refused(
      () => call(start + w.revealStart, honest, "reveal", { nonces: [], proof: [] }),
      /no sample randomness yet/,
    );
    const randomness = beaconOutput(start + w.revealStart, 0xbb);
    endBlocks(start + w.revealStart, start + w.revealStart);
    const r = start + w.revealStart + 1;
    refused(
      () => call(start + w.revealStart - 1, honest, "reveal", { nonces: [], proof: [] }),
      /reveals are accepted/,
    );
    call(r, honest, "reveal", revealFor(good, buildTree(good), randomness, honest));
    refused(
      () => call(r, honest, "reveal", revealFor(good, buildTree(good), randomness, honest)),
      /already revealed/,
    );
    // The inflater cannot reveal indices beyond its real proofs.
    const inflated = sampleIndices(randomness, inflater, 1000, minimal.race.samples);
    assert.ok(inflated.some((i) => i >= good.length));
    refused(
      () =>
        call(r, inflater, "reveal", {
          nonces: inflated.filter((i) => i < good.length).map((index) => ({ index, nonce: good[index]! })),
          proof: [],
        }),
      /reveal is missing index|Merkle|out of range/,
    );
    // A false fraud proof against the honest miner is refused; a true one against the cheater stands.
    const honestLevels = buildTree(good);
    refused(
      () =>
        call(r, watcher, "fraudOrder", {
          miner: honest,
          index: 20,
          nonce: good[20]!,
          proof: multiproof(honestLevels, [20]),
        }),
      /no fraud/,
    );
    call(r, watcher, "fraudOrder", {
      miner: cheater,
      index: 20,
      nonce: bad[20]!,
      proof: multiproof(badLevels, [20]),
    });
    assert.match(raceFrauds.get(store, [CYCLE, cheater])!.reason, /not sorted on the path to index 20/);
    refused(
      () =>
        call(r, watcher, "fraudOrder", {
          miner: cheater,
          index: 21,
          nonce: bad[21]!,
          proof: multiproof(badLevels, [21]),
        }),
      /already stands/,
    );
    assert.ok(raceReveals.get(store, [CYCLE, honest]));

    // Settlement at the fraud window's end; the validators module turns weights into the next set.
    const vstore = storeIn(state, validators);
    validatorSets.set(vstore, CYCLE, genesis.validators);
    registrations.set(vstore, honest, {
      blsKey: new Uint8Array(48).fill(7),
      peerId: new Uint8Array(0),
      height: 1,
    });
    endBlocks(r, start + L - 1);
    assert.deepEqual(
      raceWeights(store, CYCLE).map(([a, wt]) => [a, wt]),
      [[honest, BigInt(good.length)]],
      "only the honest miner has weight",
    );
    assert.deepEqual(
      raceForfeitsOf(store, CYCLE)
        .map(([a, reason]) => [a, reason.replace(/:.*/, "")])
        .sort(),
      [
        [cheater, "fraud"],
        [inflater, "no verified reveal"],
      ].sort(),
      "the escrow hook lists every commitment that earned nothing, with its reason",
    );
    validators.endCycle!(ctx(start + L - 1, validators));
    assert.deepEqual(
      validatorSets.get(vstore, CYCLE + 1),
      genesis.validators,
      "one racer is too small a set to tolerate a fault: the previous set carries forward",
    );
  });

  it("small sets: fewer than four racers keep the previous set; a lucky count is capped below a third", () => {
    const { ctx, state } = setup();
    const vstore = storeIn(state, validators);
    validatorSets.set(vstore, CYCLE, genesis.validators);
    const racers = [1, 2, 3, 4, 5].map((i) => devAddresses[i]!);
    for (const [i, a] of racers.entries())
      registrations.set(vstore, a, {
        blsKey: new Uint8Array(48).fill(i + 1),
        peerId: new Uint8Array(0),
        height: 1,
      });
    const next = (counts: bigint[]) => {
      counts.forEach((c, i) => {
        setNextWeight(vstore, racers[i]!, c);
      });
      validators.endCycle!(ctx(start + L - 1, validators));
      return validatorSets.get(vstore, CYCLE + 1)!.map((v) => [v.address, v.weight]);
    };
    assert.deepEqual(
      next([1n, 0n, 0n]).map(([a]) => a),
      genesis.validators.map((v) => v.address),
      "one lucky miner with one proof does not become the whole set",
    );
    assert.deepEqual(
      next([60n, 55n, 50n]).length,
      genesis.validators.length,
      "three racers: carried forward",
    );
    const capped = next([400n, 60n, 55n, 50n, 45n]);
    const total = capped.reduce((t, [, w]) => t + (w as bigint), 0n);
    assert.ok(
      capped.every(([, w]) => 3n * (w as bigint) < total),
      `no member holds a third: ${capped.map(([, w]) => w)}`,
    );
    assert.deepEqual(
      capped.map(([a]) => a),
      racers,
      "membership and order are the race's",
    );
    assert.deepEqual(
      capped.slice(1).map(([, w]) => w),
      [60n, 55n, 50n, 45n],
      "only the lucky count is capped",
    );
    const even = next([60n, 55n, 50n, 45n]);
    assert.deepEqual(
      even.map(([, w]) => w),
      [60n, 55n, 50n, 45n],
      "counts below a third stand as they are",
    );
  });

  it("a cycle whose beacon produced no seed runs no race and keeps the previous set", () => {
    const { ctx, call, endBlocks, state } = setup();
    endBlocks(start, start + L - 1);
    refused(
      () => call(start + w.raceStart + 2, devAddresses[1]!, "commit", { count: 0, root: ZERO32 }),
      /no race seed/,
    );
    const vstore = storeIn(state, validators);
    validatorSets.set(vstore, CYCLE, genesis.validators);
    validators.endCycle!(ctx(start + L - 1, validators));
    assert.deepEqual(validatorSets.get(vstore, CYCLE + 1), genesis.validators);
  });

  it("nonce fraud claims lock a bond and are judged by the set, off the chain; verifiers chosen by BLS-VRF attest", () => {
    const { call, endBlocks, beaconOutput, store, state } = setup();
    const [honest, cheater, watcher] = [1, 2, 9].map((i) => devAddresses[i]!) as [Address, Address, Address];
    const seed = beaconOutput(start + w.raceStart, 0xcc);
    endBlocks(start, start + w.raceStart);
    const threshold = raceThreshold(seed, minimal.race);
    const isProof = (miner: Address, n: bigint) =>
      BigInt(nonceDistance(seed, minimal.race, miner, n)) < threshold;
    const proofsOf = (miner: Address, k: number) => {
      const found: bigint[] = [];
      for (let n = 0n; found.length < k; n++) if (isProof(miner, n)) found.push(n);
      return found;
    };
    const good = proofsOf(honest, 3);
    // The cheater pads two real proofs with a nonce that is not one (sorted, so order checks pass).
    const real = proofsOf(cheater, 2);
    let fake = real[1]! + 1n;
    while (isProof(cheater, fake)) fake++;
    const padded = [...real, fake];
    const h = start + w.raceStart + 1;
    call(h, honest, "commit", commit(good));
    call(h, cheater, "commit", commit(padded));
    endBlocks(h, start + w.commitDeadline);
    const randomness = beaconOutput(start + w.revealStart, 0xdd);
    endBlocks(start + w.revealStart, start + w.revealStart);
    const r = start + w.revealStart + 1;
    call(r, honest, "reveal", revealFor(good, buildTree(good), randomness, honest));
    call(r, cheater, "reveal", revealFor(padded, buildTree(padded), randomness, cheater));

    // The cycle's set judges claims (and its members are the VRF verifiers below).
    const keys = deriveBlsKeys(TEST_MNEMONIC, 4);
    const members = keys.map((k, i) => ({
      address: devAddresses[i]!,
      weight: i === 0 ? 300n : 100n,
      blsKey: k.publicKey,
    }));
    validatorSets.set(storeIn(state, validators), CYCLE, members);
    const bond = minimal.raceFraudBond;
    const fee = raceClaimFee(bond);
    const fund = (a: Address, balance: bigint) => state.setAccount(a, { ...state.getAccount(a), balance });
    const balance = (a: Address) => state.getAccount(a).balance;

    // A claim needs the bond; a false claim against an honest miner is accepted but decided by the
    // judges' weight, never by a forward pass inside the transition.
    const [sampled] = sampleIndices(randomness, honest, good.length, minimal.race.samples);
    const falseClaim = { miner: honest, index: sampled!, nonce: good[sampled!]!, proof: [] };
    refused(() => call(r, watcher, "fraudNonce", falseClaim), /locks a bond of/);
    refused(() => call(start + w.revealStart - 1, watcher, "fraudNonce", falseClaim), /accepted in blocks/);
    fund(watcher, 3n * (bond + fee));
    refused(
      () => call(r, watcher, "fraudNonce", { miner: honest, index: 0, nonce: 5n, proof: [] }),
      /without a multiproof the nonce must be one the miner revealed/,
    );
    refused(
      () =>
        call(r, watcher, "fraudNonce", {
          miner: honest,
          index: 0,
          nonce: good[0]! + 1n,
          proof: multiproof(buildTree(good), [0]),
        }),
      /root|Merkle/i,
    );
    call(r, watcher, "fraudNonce", falseClaim);
    assert.equal(balance(watcher), 2n * bond + 3n * fee - fee, "the bond is locked and the fee paid");
    assert.equal(balance(RACE_MODULE_ADDRESS), bond);
    refused(() => call(r, watcher, "fraudNonce", falseClaim), /already claimed/);
    const verdictOf = (miner: Address, n: bigint) => (isProof(miner, n) ? 0 : 1);
    refused(
      () => call(r, watcher, "judge", { miner: honest, index: sampled!, fraud: 0 }),
      /not in cycle 2's validator set/,
    );
    refused(
      () => call(r, honest, "judge", { miner: honest, index: sampled!, fraud: 0 }),
      /does not judge itself/,
    );
    call(r + 1, devAddresses[0]!, "judge", {
      miner: honest,
      index: sampled!,
      fraud: verdictOf(honest, good[sampled!]!),
    });
    const decided = raceClaims.get(store, [[CYCLE, honest], sampled!])!;
    assert.equal(decided.state, RaceClaimState.refused, "300 of 600 judged it a proof: past a third");
    assert.equal(balance(RACE_MODULE_ADDRESS), 0n);
    assert.equal(
      balance(TRAINING_FUND_ADDRESS),
      bond + fee,
      "a refused claim's bond and its fee go to the training fund",
    );
    assert.ok(!raceFrauds.has(store, [CYCLE, honest]));
    refused(
      () => call(r + 1, devAddresses[2]!, "judge", { miner: honest, index: sampled!, fraud: 1 }),
      /already refused/,
    );

    // The padded nonce is claimed with its multiproof, whether or not it was sampled, and upheld.
    call(r, watcher, "fraudNonce", {
      miner: cheater,
      index: 2,
      nonce: fake,
      proof: multiproof(buildTree(padded), [2]),
    });
    refused(
      () => call(r + 1, cheater, "judge", { miner: cheater, index: 2, fraud: 0 }),
      /does not judge itself/,
    );
    call(r + 1, devAddresses[1]!, "judge", { miner: cheater, index: 2, fraud: verdictOf(cheater, fake) });
    assert.equal(raceClaims.get(store, [[CYCLE, cheater], 2])!.state, RaceClaimState.pending, "100 of 600");
    // A lying judge (a member voting "a proof") cannot outweigh the rest.
    call(r + 1, devAddresses[3]!, "judge", { miner: cheater, index: 2, fraud: 0 });
    assert.equal(raceClaims.get(store, [[CYCLE, cheater], 2])!.state, RaceClaimState.pending, "100 : 100");
    call(r + 2, devAddresses[0]!, "judge", { miner: cheater, index: 2, fraud: verdictOf(cheater, fake) });
    assert.equal(raceClaims.get(store, [[CYCLE, cheater], 2])!.state, RaceClaimState.upheld);
    assert.match(
      raceFrauds.get(store, [CYCLE, cheater])!.reason,
      /is not a proof: judged so by 400 of 600 weight/,
    );
    assert.equal(balance(watcher), 2n * bond + fee, "an upheld claim's bond comes back (its fee does not)");
    // Once a fraud stands, nothing is left to judge.
    refused(
      () => call(r + 2, devAddresses[1]!, "judge", { miner: cheater, index: 2, fraud: 1 }),
      /already upheld/,
    );

    // A claim nobody decides lapses at settlement and its bond comes back.
    const [other] = sampleIndices(randomness, honest, good.length, minimal.race.samples).filter(
      (i) => i !== sampled,
    );
    if (other !== undefined) {
      call(r + 2, watcher, "fraudNonce", { miner: honest, index: other, nonce: good[other]!, proof: [] });
      refused(
        () =>
          call(start + w.claimEnd, watcher, "fraudNonce", {
            miner: honest,
            index: 0,
            nonce: good[0]!,
            proof: multiproof(buildTree(good), [0]),
          }),
        /nonce fraud claims are accepted in blocks/,
      );
    }

    // Verifiers: members of the cycle's set, chosen with probability min(1, 2·weight/total).
    const input = raceVerifierInput(randomness, CYCLE, honest);
    const proofOf = (i: number) => vrfProve(keys[i]!.secretKey, RACE_VERIFY_DOMAIN, input).proof;
    // Member 0 holds half the weight: 2 · 300 / 600 = 1, always chosen.
    call(r, devAddresses[0]!, "attest", { miner: honest, proof: proofOf(0) });
    refused(
      () => call(r, devAddresses[0]!, "attest", { miner: honest, proof: proofOf(0) }),
      /already attested/,
    );
    refused(
      () => call(r, devAddresses[1]!, "attest", { miner: honest, proof: proofOf(0) }),
      /VRF proof does not verify/,
    );
    refused(
      () => call(r, watcher, "attest", { miner: honest, proof: proofOf(0) }),
      /not in cycle 2's validator set/,
    );
    const verdicts = [1, 2, 3].map((i) => {
      try {
        call(r, devAddresses[i]!, "attest", { miner: honest, proof: proofOf(i) });
        return "chosen";
      } catch (e) {
        assert.match((e as Error).message, /does not choose the sender/);
        return "not chosen";
      }
    });
    assert.ok(
      verdicts.includes("not chosen"),
      `each other member is chosen with probability 1/3: ${verdicts}`,
    );
    assert.equal(
      raceAttestations.keys(store, new Uint8Array([0, 0, 0, CYCLE])).length,
      1 + verdicts.filter((v) => v === "chosen").length,
    );
    refused(
      () => call(start + w.fraudEnd, devAddresses[0]!, "attest", { miner: cheater, proof: proofOf(0) }),
      /attestations are accepted in blocks/,
    );

    endBlocks(r, start + w.fraudEnd);
    assert.deepEqual(raceWeights(store, CYCLE), [[honest, 3n]], "the padded commitment earns nothing");
    assert.match(raceForfeitsOf(store, CYCLE)[0]![1], /^fraud: committed nonce/);
    if (other !== undefined) {
      assert.equal(raceClaims.get(store, [[CYCLE, honest], other])!.state, RaceClaimState.lapsed);
      assert.equal(balance(watcher), 2n * bond, "a lapsed claim's bond comes back (its fee does not)");
    }
    assert.equal(balance(RACE_MODULE_ADDRESS), 0n, "the module holds no bond after settlement");
  });
});
