// Offences (spec/consensus.md §Evidence, §Attacks; beacon.md §Faults; validators.md §Offences;
// rewards.md §Release): equivocation evidence and proven DKG faults carried by blocks are recorded
// in the validators module for the cycle of the offence; the offender is kept out of the first set
// not yet decided and forfeits that cycle's rewards. Honest validators are untouched, and evidence
// cannot be turned against them.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  accountRewards,
  hpTranche,
  nextValidatorSet,
  type OffenceView,
  offencesOf,
  race,
  raceSettled,
  raceWeightStore,
  recordOffence,
  registrations,
  rewards,
  setNextWeight,
  TaskStatus,
  tasks,
  validatorExclusions,
  validators,
  voterWeights,
} from "../../contracts/index.ts";
import {
  type BeaconState,
  complaintMessage,
  dealingMessage,
  makeDealing,
  proveSharedKey,
  receiveShare,
} from "../../src/beacon/index.ts";
import { Chain } from "../../src/chain/index.ts";
import { localCertificate, makeEvidence, signVote } from "../../src/consensus/index.ts";
import { inlineRecovery, privateKeyToAddress } from "../../src/crypto/index.ts";
import { ChainDb, MemoryKV } from "../../src/db/index.ts";
import { evidenceRoot } from "../../src/encoding/index.ts";
import { silentLogger } from "../../src/logger/index.ts";
import { HP_POOL_ADDRESS, minimal, TRAINING_FUND_ADDRESS } from "../../src/params/index.ts";
import {
  BlockError,
  MapAccountReader,
  queryContext,
  readStoreIn,
  StateOverlay,
  storeIn,
} from "../../src/state/index.ts";
import {
  type Address,
  type BeaconMessage,
  type Block,
  type CommitCertificate,
  type Evidence,
  equalBytes,
  toHex,
  VoteType,
} from "../../src/types/index.ts";
import { devAddresses, devBlsKeys, devGenesis } from "../helpers/chain.ts";
import { answeredTask, tasksHarness } from "../helpers/tasksModule.ts";

const genesis = devGenesis();
const L = genesis.preset.cycleLength;
const { chainId } = genesis;

async function openChain() {
  return Chain.open(genesis, {
    db: new ChainDb(new MemoryKV()),
    recovery: inlineRecovery,
    log: silentLogger(),
  });
}

const secretKeyOf = (blsKey: Uint8Array) =>
  devBlsKeys.find((k) => equalBytes(k.publicKey, blsKey))!.secretKey;

/** Two conflicting precommits by dev account `dev` at `height`, indexed as that height's set orders it. */
function equivocation(chain: Chain, dev: number, height: number, index?: number): Evidence {
  const set = chain.validatorsAt(height);
  const i = set.validators.findIndex((v) => equalBytes(v.address, devAddresses[dev]!));
  const sk = secretKeyOf(set.validators[i]!.blsKey);
  const vote = (hash: Uint8Array) =>
    signVote(chainId, sk, {
      type: VoteType.precommit,
      height,
      round: 0,
      blockHash: hash,
      validator: index ?? i,
    });
  return makeEvidence(vote(new Uint8Array(32).fill(1)), vote(new Uint8Array(32).fill(2)));
}

/** Builds and commits blocks, keeping each with its certificate for a fresh node to import. */
function producer(chain: Chain) {
  const log: { block: Block; commit: CommitCertificate }[] = [];
  const produce = async (evidence: Evidence[] = [], beacon: BeaconMessage[] = []) => {
    const h = chain.head.height + 1;
    const set = chain.validatorsAt(h);
    const built = await chain.buildProposal(
      () => [],
      set.validators[0]!.address,
      chain.head.time + 500n,
      evidence,
      beacon,
    );
    const keys = set.validators.map((v) => secretKeyOf(v.blsKey));
    const commit = localCertificate(set, chainId, keys, h, built.hash);
    await chain.commitDecided(built.block, commit);
    log.push({ block: built.block, commit });
    return built;
  };
  const until = async (height: number) => {
    while (chain.head.height < height) await produce();
  };
  return { produce, until, log };
}

/** The reason the chain refuses a block on its head that carries `evidence` (its root matching). */
async function refusal(chain: Chain, evidence: Evidence[]): Promise<string> {
  const h = chain.head.height + 1;
  const built = await chain.buildProposal(
    () => [],
    chain.validatorsAt(h).validators[0]!.address,
    chain.head.time + 500n,
  );
  const block = {
    ...built.block,
    evidence,
    header: { ...built.block.header, evidenceRoot: evidenceRoot(evidence) },
  };
  try {
    await chain.validateProposal(block);
    return "";
  } catch (e) {
    if (!(e instanceof BlockError)) throw e;
    return `${e.code}: ${e.message}`;
  }
}

const validatorsStore = (chain: Chain) => readStoreIn(chain.state, validators);
const setOf = (chain: Chain, cycle: number) =>
  chain.validatorsAt(cycle * L).validators.map((v) => [toHex(v.address), v.weight]);
const devSet = (...devs: number[]) => devs.map((d) => [toHex(devAddresses[d]!), 100n]);
const offenders = (chain: Chain, cycle: number) =>
  offencesOf(validatorsStore(chain), cycle).map(([a, o]) => [toHex(a), o.reason]);

describe("offences", () => {
  it("equivocation: recorded for the votes' cycle, kept out of the first undecided set, that cycle's rewards forfeited; late evidence too; honest validators untouched; a fresh node agrees", async () => {
    const chain = await openChain();
    const p = producer(chain);
    assert.deepEqual(setOf(chain, 0), devSet(0, 1, 2, 3));
    await p.until(6);
    // Dev 1 double-precommits at height 5; the proof lands in block 7, in the same cycle.
    const timely = equivocation(chain, 1, 5);
    const b7 = await p.produce([timely]);
    assert.equal(b7.block.evidence.length, 1);
    assert.deepEqual(offenders(chain, 0), [
      [toHex(devAddresses[1]!), "equivocation: two precommits at height 5 round 0"],
    ]);
    // A second equivocation by dev 1 in cycle 0 changes nothing (one penalty per offender and cycle).
    await p.produce([equivocation(chain, 1, 6)]);
    assert.equal(offencesOf(validatorsStore(chain), 0)[0]![1].height, 7, "the first proof is the one kept");
    // Dev 3 double-precommits at height 50; its proof lands only in block 65 (cycle 1, inside the window).
    await p.until(51);
    const late = equivocation(chain, 3, 50);
    await p.until(L + 4);
    assert.deepEqual(
      setOf(chain, 1),
      devSet(0, 2, 3),
      "dev 1 is out of cycle 1's set; the others keep their weight",
    );
    // Evidence from cycle 0 is read under cycle 0's set even though cycle 1's set orders validators
    // differently: relabelled to dev 3's index in cycle 1 (dev 2's in cycle 0), it no longer verifies.
    const relabelled = equivocation(chain, 3, 50, 2);
    assert.match(await refusal(chain, [relabelled]), /^BLOCK_ERROR_EVIDENCE: .*signature does not verify/);
    const b65 = await p.produce([relabelled, late]);
    assert.deepEqual(b65.block.evidence, [late], "the proposer leaves the relabelled proof out");
    assert.deepEqual(
      offenders(chain, 0).map(([a]) => a),
      [1, 3].map((d) => toHex(devAddresses[d]!)).sort(),
      "dev 3's offence belongs to cycle 0, the cycle of its votes",
    );
    assert.ok(
      validatorExclusions.has(validatorsStore(chain), [2, devAddresses[3]!]),
      "cycle 1's set was decided: dev 3 is kept out of cycle 2's",
    );
    const query = validators.queries.offences!.run(
      queryContext(chain.state, validators, chain.head.height, genesis.preset),
      { cycle: 0 },
    );
    assert.deepEqual(
      query.offences.map((o: OffenceView) => [toHex(o.address), o.height, o.excludedFrom]),
      [
        [toHex(devAddresses[1]!), 7, 1],
        [toHex(devAddresses[3]!), L + 5, 2],
      ].sort(([a], [b]) => (a! < b! ? -1 : 1)),
    );
    // Evidence from the height being decided is refused (honest validators could not check it).
    assert.match(
      await refusal(chain, [equivocation(chain, 2, chain.head.height + 1)]),
      /not for an earlier height/,
    );
    // Replays are refused: a block carrying already-included evidence is invalid, and proposers
    // leave it out.
    assert.match(await refusal(chain, [late]), /already included/);
    const again = await p.produce([late, timely]);
    assert.deepEqual(again.block.evidence, []);
    await p.until(2 * L + 1);
    assert.deepEqual(setOf(chain, 1), devSet(0, 2, 3));
    assert.deepEqual(setOf(chain, 2), devSet(0, 2), "no race: the set carries forward without dev 3");
    // Cycle 0 settles at the end of cycle 2: both offenders forfeit it, with the reason.
    await p.until(3 * L);
    const rewardsStore = readStoreIn(chain.state, rewards);
    for (const d of [1, 3]) {
      const r = accountRewards.get(rewardsStore, [0, devAddresses[d]!])!;
      assert.equal(r.released, 0n);
      assert.match(r.reason, /^offence: equivocation: two precommits at height (5|50) round 0$/);
    }
    for (const d of [0, 2]) assert.equal(accountRewards.get(rewardsStore, [0, devAddresses[d]!]), undefined);
    // A fresh node imports every block (certificates checked under each height's set) to the same state.
    const fresh = await openChain();
    await fresh.importBlocks(p.log);
    assert.equal(toHex(fresh.headHash), toHex(chain.headHash));
    assert.deepEqual(offenders(fresh, 0), offenders(chain, 0));
  });

  it("DKG faults: a dealer whose bad share a complaint proves and a member whose complaint was false are recorded and kept out of the next set, even when the DKG fails; an absent member is not", async () => {
    const chain = await openChain();
    const p = producer(chain);
    const s: BeaconState = chain.beacon;
    const c = s.committee;
    const member = (index: number) => c.members.find((m) => m.index === index)!;
    const devOf = (index: number) =>
      devAddresses.findIndex((a) => equalBytes(a, c.addresses[c.members.indexOf(member(index))]!));
    const sk = (index: number) => secretKeyOf(member(index).blsKey);
    // Member 1 deals member 2 a bad share (signed: the dealing is its own); 2 and 3 deal honestly;
    // member 4 never deals.
    const d1 = makeDealing(c, 1);
    const bad = {
      ...d1,
      shares: d1.shares.map((x, k) => (k === 1 ? { ...x, ciphertext: x.ciphertext.map((b) => b ^ 1) } : x)),
    };
    const d2 = makeDealing(c, 2);
    const d3 = makeDealing(c, 3);
    await p.produce(
      [],
      [bad, d2, d3].map((d) => dealingMessage(chainId, 0, d, sk(d.dealer))),
    );
    await p.until(19);
    // Member 2 complains about member 1 (upheld); member 3 falsely accuses member 2's good dealing.
    const upheld = receiveShare(c, bad, member(2), sk(2));
    assert.ok("complaint" in upheld);
    const { shared, proof } = proveSharedKey(sk(3), d2.shares[2]!.ephemeral);
    const falseComplaint = { complainer: 3, dealer: 2, sharedKey: shared, proof };
    const b20 = await p.produce(
      [],
      [complaintMessage(0, upheld.complaint), complaintMessage(0, falseComplaint)],
    );
    assert.equal(b20.block.beacon.length, 2);
    await p.until(39);
    assert.deepEqual(offenders(chain, 0), []);
    const b40 = await p.produce();
    assert.equal(b40.beacon.dkg?.key, null, "only member 2 and 3 qualify: the DKG fails");
    const want = [
      [toHex(devAddresses[devOf(1)]!), "dkg of cycle 0: dealt a bad share (upheld complaint by member 2)"],
      [toHex(devAddresses[devOf(3)]!), "dkg of cycle 0: false complaint against member 2"],
    ].sort(([a], [b]) => (a! < b! ? -1 : 1));
    assert.deepEqual(offenders(chain, 0), want);
    await p.until(L);
    const kept = [2, 4].map(devOf);
    assert.deepEqual(
      setOf(chain, 1),
      devSet(...[0, 1, 2, 3].filter((d) => kept.includes(d))),
      "the honest complainer and the absent member keep their place",
    );
    const fresh = await openChain();
    await fresh.importBlocks(p.log);
    assert.deepEqual(offenders(fresh, 0), want);
  });

  it("the next set leaves excluded accounts out of proposed weights and of a carried-forward set, but never empties it", () => {
    const state = new StateOverlay(new MapAccountReader(new Map()));
    const store = storeIn(state, validators);
    const current = genesis.validators;
    for (const v of current)
      registrations.set(store, v.address, { blsKey: v.blsKey, peerId: new Uint8Array(0), height: 0 });
    const hexesOf = (set: { address: Address }[]) => set.map((v) => toHex(v.address));
    recordOffence(store, { height: 3, cycle: 0 }, devAddresses[2]!, 0, "equivocation");
    assert.deepEqual(
      hexesOf(nextValidatorSet(store, current, 16, 1)),
      hexesOf(current.filter((_, i) => i !== 2)),
      "carried forward without the offender",
    );
    setNextWeight(store, devAddresses[2]!, 500n);
    setNextWeight(store, devAddresses[0]!, 10n);
    setNextWeight(store, devAddresses[1]!, 20n);
    setNextWeight(store, devAddresses[3]!, 30n);
    assert.deepEqual(
      hexesOf(nextValidatorSet(store, current, 16, 1)),
      hexesOf(current.filter((_, i) => i !== 2)),
      "without the offender the race set has three members: too small, the set carries forward without it",
    );
    assert.deepEqual(
      nextValidatorSet(store, current, 16, 2).map((v) => [toHex(v.address), v.weight]),
      [
        [toHex(current[2]!.address), 29n],
        [toHex(current[3]!.address), 29n],
        [toHex(current[1]!.address), 20n],
        [toHex(current[0]!.address), 10n],
      ],
      "the exclusion is for one set only (and the lucky count is capped below a third)",
    );
    for (const i of [0, 1, 3])
      recordOffence(store, { height: 4, cycle: 0 }, devAddresses[i]!, 0, "equivocation");
    assert.deepEqual(
      nextValidatorSet(store, current, 16, 1),
      current,
      "every validator offended: kept whole",
    );
  });

  it("settlement: the offender's earnings of the cycle and its additional reward go to the training fund with the reason; every other account is paid as if no offence had happened; no weight in the next cycle", () => {
    const run = (offender?: Address) => {
      const h = tasksHarness();
      const apiKey = new Uint8Array(32).fill(0x2a); // fixed: both runs route the same tasks
      const dev = devAddresses[7]!;
      const output = h.beaconOutput(5, new Uint8Array(32).fill(9));
      h.call(6, dev, "deposit", { amount: 10n ** 20n });
      h.call(6, dev, "authorizeKey", { key: privateKeyToAddress(apiKey), limit: 10n ** 20n });
      const answered = Array.from({ length: 24 }, (_, i) =>
        answeredTask({
          apiKey,
          beaconOutput: output,
          round: 1,
          cycle: 0,
          serial: BigInt(100 + i),
          intermediary: devAddresses[0]!,
          state: h.state,
        }),
      );
      for (const t of answered) h.call(8, t.executor, "settle", { receipts: [t.receipt] });
      h.beaconOutput(15, new Uint8Array(32).fill(10));
      h.endBlocks(8, 15);
      for (const t of answered) {
        const r = tasks.get(h.store(), t.taskId)!;
        if (r.status === TaskStatus.checking) h.call(16, r.verifier, "verdict", { taskId: t.taskId });
      }
      const raceStore = storeIn(h.state, race);
      raceSettled.set(raceStore, 0, 1);
      for (const [i, w] of [50n, 40n, 30n, 20n].entries())
        raceWeightStore.set(raceStore, [0, devAddresses[i]!], w);
      // What the evidence step does for a proof in block 20 of an offence in cycle 0.
      if (offender)
        recordOffence(
          storeIn(h.state, validators),
          { height: 20, cycle: 0 },
          offender,
          0,
          "equivocation: two precommits at height 12 round 0",
        );
      const voters = voterWeights(readStoreIn(h.state, race), readStoreIn(h.state, validators), 1);
      const hpPool = h.state.getAccount(HP_POOL_ADDRESS).balance;
      const fund = h.state.getAccount(TRAINING_FUND_ADDRESS).balance;
      h.endBlocks(16, 3 * L - 1);
      const store = readStoreIn(h.state, rewards);
      const accounts = new Map(
        accountRewards.entries(store, new Uint8Array(4)).map(([[, a], r]) => [toHex(a), r]),
      );
      return {
        accounts,
        voters: voters.map(([a]) => toHex(a)),
        hpPaid: hpPool - h.state.getAccount(HP_POOL_ADDRESS).balance,
        toFund: h.state.getAccount(TRAINING_FUND_ADDRESS).balance - fund,
        balance: (a: Address) => h.state.getAccount(a).balance,
      };
    };
    const base = run();
    const offender = devAddresses[1]!;
    const key = toHex(offender);
    const earned = base.accounts.get(key)!;
    assert.ok(earned.released > 0n, "without the offence the offender is paid");
    const punished = run(offender);
    const r = punished.accounts.get(key)!;
    assert.equal(r.released, 0n);
    assert.equal(r.forfeited, earned.execution + earned.verification + earned.issuance);
    assert.equal(r.reason, "offence: equivocation: two precommits at height 12 round 0");
    const each = hpTranche(minimal.cycleLength, minimal.blocksPerDay) / 10n;
    assert.equal(base.hpPaid - punished.hpPaid, each, "its additional reward stays in the pool");
    assert.equal(punished.toFund - base.toFund, earned.released, "the forfeit goes to the training fund");
    for (const [k, a] of base.accounts)
      if (k !== key) assert.deepEqual(punished.accounts.get(k), a, `${k} untouched`);
    const hexes = (...devs: number[]) => devs.map((i) => toHex(devAddresses[i]!)).sort();
    assert.deepEqual(base.voters, hexes(0, 1, 2, 3));
    assert.deepEqual(punished.voters, hexes(0, 2, 3), "no weight in cycle 1");
  });
});
