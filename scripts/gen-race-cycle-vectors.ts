// Generates spec/vectors/race/cycle.json: one race cycle of the race module (spec/race-cycle.md)
// as a sequence of blocks — beacon outputs, race transactions as call data with their outcome
// (accepted, or refused with the reason) — and the weights and forfeits it settles. Real proofs of
// a minimal race; honest miners, and one cheater of each kind.
// Usage: node --import tsx scripts/gen-race-cycle-vectors.ts [--check]

import { sha256 } from "@noble/hashes/sha2.js";
import {
  ENVELOPE_VERSION,
  envelopeCodec,
  RACE_VERIFY_DOMAIN,
  race,
  raceAttestArgs,
  raceClaimFee,
  raceClaims,
  raceCommitArgs,
  raceForfeitsOf,
  raceJudgeArgs,
  raceNonceFraudArgs,
  raceOrderFraudArgs,
  raceRevealArgs,
  raceVerifierInput,
  raceWeights,
  resolveCall,
  validatorSets,
  validators,
} from "../contracts/index.ts";
import { vrfProve } from "../src/beacon/index.ts";
import { deriveBlsKeys, TEST_MNEMONIC } from "../src/crypto/index.ts";
import { type Codec, encode } from "../src/encoding/index.ts";
import { minimal, RACE_MODULE_ADDRESS, TRAINING_FUND_ADDRESS } from "../src/params/index.ts";
import {
  buildTree,
  commit,
  multiproof,
  nonceDistance,
  raceThreshold,
  rootOf,
  sampleIndices,
  treeOver,
} from "../src/race/index.ts";
import { storeIn } from "../src/state/index.ts";
import { type Address, toChecksumAddress, toHex } from "../src/types/index.ts";
import { devAddresses } from "../test/helpers/chain.ts";
import { raceHarness } from "../test/helpers/raceModule.ts";
import { vectorFiles } from "./vectorFiles.ts";

const preset = minimal;
const chainId = 72270n;
const CYCLE = 1;
const start = CYCLE * preset.cycleLength;
const w = preset.windows;
const seed = sha256(new TextEncoder().encode("racecoin race-cycle vectors: race seed"));
const sampleSeed = sha256(new TextEncoder().encode("racecoin race-cycle vectors: sample randomness"));
const [honestA, honestB, padder, inflater, silent, doubler, late, watcher] = devAddresses as Address[];

const threshold = raceThreshold(seed, preset.race);
const isProof = (miner: Address, n: bigint) => BigInt(nonceDistance(seed, preset.race, miner, n)) < threshold;
function proofsOf(miner: Address, k: number, from = 0n): bigint[] {
  const found: bigint[] = [];
  for (let n = from; found.length < k; n++) if (isProof(miner, n)) found.push(n);
  return found;
}
const setA = proofsOf(honestA!, 3);
const setB = proofsOf(honestB!, 2);
const realP = proofsOf(padder!, 1);
let fake = realP[0]! + 1n;
while (isProof(padder!, fake)) fake++;
const setP = [...realP, fake];
const setI = proofsOf(inflater!, 2);
const setN = proofsOf(silent!, 1);
const setD = proofsOf(doubler!, 1).flatMap((n) => [n, n]);

// The cycle's validator set (the verifiers): A holds half the weight, so 2·300/600 = 1: always chosen.
const keys = deriveBlsKeys(TEST_MNEMONIC, 4);
const set = [honestA, honestB, devAddresses[8], devAddresses[9]].map((address, i) => ({
  address: address!,
  weight: i === 0 ? 300n : 100n,
  blsKey: keys[i]!.publicKey,
}));

const envelope = <A>(method: string, codec: Codec<A>, args: A) =>
  encode(envelopeCodec, { version: ENVELOPE_VERSION, method, args: encode(codec, args) });
const revealOf = (miner: Address, leaves: bigint[]) => {
  const sampled = sampleIndices(sampleSeed, miner, leaves.length, preset.race.samples);
  return envelope("reveal", raceRevealArgs, {
    nonces: sampled.map((index) => ({ index, nonce: leaves[index]! })),
    proof: multiproof(treeOver(leaves), sampled),
  });
};
const firstSampled = (miner: Address, count: number) =>
  sampleIndices(sampleSeed, miner, count, preset.race.samples)[0]!;

type Call = { sender: Address; data: Uint8Array; note: string };
const blocks = new Map<number, { beacon?: Uint8Array; calls: Call[] }>();
const at = (h: number) => {
  if (!blocks.has(h)) blocks.set(h, { calls: [] });
  return blocks.get(h)!;
};
const c = (h: number, sender: Address, data: Uint8Array, note: string) =>
  at(h).calls.push({ sender, data, note });
const commitOf = (leaves: bigint[]) => ({ count: leaves.length, root: rootOf(treeOver(leaves)) });

at(start + w.raceStart).beacon = seed;
const h1 = start + w.raceStart + 1;
c(
  start + w.raceStart,
  honestA!,
  envelope("commit", raceCommitArgs, commit(setA)),
  "commit in the window's first block, before the seed is recorded: refused",
);
c(h1, honestA!, envelope("commit", raceCommitArgs, commit(setA)), "honest commitment");
c(h1, honestB!, envelope("commit", raceCommitArgs, commit(setB)), "honest commitment");
c(h1, padder!, envelope("commit", raceCommitArgs, commitOf(setP)), "a proof padded with a non-proof");
c(
  h1,
  inflater!,
  envelope("commit", raceCommitArgs, { count: 9, root: commit(setI).root }),
  "count 9 over 2 proofs",
);
c(h1, silent!, envelope("commit", raceCommitArgs, commit(setN)), "commits, never reveals");
c(h1, doubler!, envelope("commit", raceCommitArgs, commitOf(setD)), "one proof committed twice");
c(h1 + 1, honestA!, envelope("commit", raceCommitArgs, commit(setA)), "second commitment: refused");
c(
  start + w.commitDeadline,
  late!,
  envelope("commit", raceCommitArgs, commit(proofsOf(late!, 1))),
  "after the deadline: refused",
);
// The sample randomness comes from a round that opened at or after the commit deadline: the first
// opens with the reveal window (round × roundInterval) and lands in its first block, recorded by
// that block's endBlock; reveals start the block after.
at(start + w.revealStart).beacon = sampleSeed;
const r = start + w.revealStart + 1;
c(start + w.revealStart - 1, honestA!, revealOf(honestA!, setA), "reveal before the window: refused");
c(r, honestA!, revealOf(honestA!, setA), "honest reveal");
c(r, honestB!, revealOf(honestB!, setB), "honest reveal");
c(r, padder!, revealOf(padder!, setP), "the padded set reveals (its tree is consistent)");
c(r, inflater!, revealOf(inflater!, setI), "cannot reveal the indices its count asks for: refused");
c(r, doubler!, revealOf(doubler!, setD), "the duplicated pair is revealed: refused");
c(r, late!, revealOf(late!, [1n]), "no commitment to reveal: refused");
c(r, honestA!, revealOf(honestA!, setA), "second reveal: refused");
const claimA = firstSampled(honestA!, setA.length);
c(
  r + 1,
  late!,
  envelope("fraudNonce", raceNonceFraudArgs, {
    miner: honestA!,
    index: claimA,
    nonce: setA[claimA]!,
    proof: [],
  }),
  "nonce fraud claim by an account that cannot lock the bond: refused",
);
c(
  r + 1,
  watcher!,
  envelope("fraudNonce", raceNonceFraudArgs, {
    miner: honestA!,
    index: claimA,
    nonce: setA[claimA]!,
    proof: [],
  }),
  "false nonce fraud claim against an honest miner: accepted, bond locked, to be judged",
);
c(
  r + 1,
  watcher!,
  envelope("fraudOrder", raceOrderFraudArgs, {
    miner: honestA!,
    index: 0,
    nonce: setA[0]!,
    proof: multiproof(buildTree(setA), [0]),
  }),
  "false order fraud (the path is in order): refused",
);
c(
  start + w.revealStart - 1,
  watcher!,
  envelope("fraudNonce", raceNonceFraudArgs, {
    miner: honestA!,
    index: 0,
    nonce: setA[0]!,
    proof: multiproof(buildTree(setA), [0]),
  }),
  "a claim before the reveal window opens: refused",
);
const judge = (miner: Address, index: number, fraud: number) =>
  envelope("judge", raceJudgeArgs, { miner, index, fraud });
c(r + 2, honestA!, judge(honestA!, claimA, 0), "the accused judging its own claim: refused");
c(r + 2, watcher!, judge(honestA!, claimA, 1), "a judgement by a non-member: refused");
c(r + 2, honestB!, judge(honestA!, claimA, 0), "judged a proof (100 of 600)");
c(r + 2, honestB!, judge(honestA!, claimA, 0), "judging twice: refused");
c(r + 2, devAddresses[8]!, judge(honestA!, claimA, 2), "a judgement that is neither 0 nor 1: refused");
c(r + 2, devAddresses[8]!, judge(honestA!, claimA, 0), "judged a proof (200 of 600)");
c(
  r + 2,
  devAddresses[9]!,
  judge(honestA!, claimA, 0),
  "judged a proof (300 of 600 > 1/3): the claim is refused and its bond goes to the training fund",
);
c(r + 3, devAddresses[8]!, judge(honestA!, claimA, 0), "judging a decided claim: refused");
const paddedFraud = envelope("fraudNonce", raceNonceFraudArgs, {
  miner: padder!,
  index: 1,
  nonce: fake,
  proof: multiproof(treeOver(setP), [1]),
});
c(r + 1, watcher!, paddedFraud, "nonce fraud claim on the padded leaf (with its multiproof): accepted");
c(r + 1, watcher!, paddedFraud, "the same leaf claimed twice: refused");
c(r + 2, honestA!, judge(padder!, 1, 1), "judged not a proof (300 of 600 > 1/3): upheld, the fraud stands");
c(
  r + 3,
  watcher!,
  envelope("fraudNonce", raceNonceFraudArgs, {
    miner: padder!,
    index: 0,
    nonce: setP[0]!,
    proof: multiproof(treeOver(setP), [0]),
  }),
  "a claim against a miner whose fraud already stands: refused",
);
const claimB = firstSampled(honestB!, setB.length);
c(
  r + 3,
  watcher!,
  envelope("fraudNonce", raceNonceFraudArgs, {
    miner: honestB!,
    index: claimB,
    nonce: setB[claimB]!,
    proof: [],
  }),
  "a claim only one member judges: it lapses at settlement and its bond comes back (not its fee)",
);
c(r + 4, devAddresses[8]!, judge(honestB!, claimB, 0), "judged a proof (100 of 600)");
c(
  start + w.claimEnd,
  watcher!,
  envelope("fraudNonce", raceNonceFraudArgs, {
    miner: honestB!,
    index: claimB,
    nonce: setB[claimB]!,
    proof: [],
  }),
  "a claim after the claim window: refused",
);
c(
  r + 4,
  watcher!,
  envelope("fraudOrder", raceOrderFraudArgs, {
    miner: doubler!,
    index: 0,
    nonce: setD[0]!,
    proof: multiproof(treeOver(setD), [0]),
  }),
  "order fraud: the duplicated pair's node is out of order",
);
const vrf = (i: number, miner: Address) =>
  vrfProve(keys[i]!.secretKey, RACE_VERIFY_DOMAIN, raceVerifierInput(sampleSeed, CYCLE, miner)).proof;
c(
  r + 2,
  honestA!,
  envelope("attest", raceAttestArgs, { miner: honestB!, proof: vrf(0, honestB!) }),
  "attestation by a chosen verifier",
);
c(
  r + 2,
  honestB!,
  envelope("attest", raceAttestArgs, { miner: honestA!, proof: vrf(0, honestA!) }),
  "attestation with another member's VRF proof: refused",
);
c(
  r + 2,
  watcher!,
  envelope("attest", raceAttestArgs, { miner: honestA!, proof: vrf(0, honestA!) }),
  "attestation by a non-member: refused",
);

// Play the cycle block by block: beacon step, transactions, the race module's endBlock.
const h = raceHarness(preset, chainId);
validatorSets.set(storeIn(h.state, validators), CYCLE, set);
// The watcher can lock three bonds; nobody else holds anything.
const balances: [Address, bigint][] = [
  [watcher!, 3n * (preset.raceFraudBond + raceClaimFee(preset.raceFraudBond))],
];
for (const [a, b] of balances) h.state.setAccount(a, { ...h.state.getAccount(a), balance: b });
const outBlocks = [];
for (let height = start; height < start + preset.cycleLength; height++) {
  const b = blocks.get(height);
  if (b?.beacon) h.beaconOutput(height, b.beacon, true);
  const calls = [];
  for (const call of b?.calls ?? []) {
    const resolved = resolveCall(race, call.data);
    let result = "accepted";
    try {
      resolved.def.execute(h.callCtx(height, call.sender), resolved.args);
    } catch (e) {
      result = `refused: ${(e as Error).message}`;
    }
    if (/: refused$/.test(call.note) !== result.startsWith("refused"))
      throw new Error(`scenario broke: "${call.note}" → ${result}`);
    const logs = h.logs
      .splice(0)
      .map((l) => ({ topics: l.topics.map((t) => toHex(t)), data: toHex(l.data) }));
    calls.push({
      note: call.note,
      sender: toChecksumAddress(call.sender),
      data: toHex(call.data),
      result,
      logs,
    });
  }
  race.endBlock!(h.ctx(height));
  if (b)
    outBlocks.push({
      height,
      // The round is the latest open by its height (round × roundInterval): seeds come only from
      // rounds that opened inside the window they guard (spec/race-cycle.md §Seeds).
      ...(b.beacon
        ? { beaconOutput: toHex(b.beacon), beaconRound: Math.floor(height / preset.beacon.roundInterval) }
        : {}),
      calls,
    });
}
const file = {
  kind: "race-cycle",
  description:
    "One cycle of the race module (spec/race-cycle.md), block by block: each listed block's beacon output (of round beaconRound, which opened at beaconRound × roundInterval) is recorded first, then its race transactions (call data to the race module; accepted, or refused with the reason), with the logs an accepted call emits (spec/events.md), then the module's endBlock runs; every other height of the cycle runs endBlock alone. validators: the cycle's set (the VRF verifiers and the judges of nonce fraud claims); balances: account balances before the cycle. Expected: every claim with its state (0 pending, 1 upheld, 2 refused, 3 lapsed) and judged weights, balances after settlement, the settled weights and forfeits.",
  preset: preset.name,
  chainId: chainId.toString(),
  cycle: CYCLE,
  threshold: threshold.toString(),
  validators: set.map((v) => ({
    address: toChecksumAddress(v.address),
    weight: v.weight.toString(),
    blsKey: toHex(v.blsKey),
  })),
  blocks: outBlocks,
  balances: balances.map(([a, b]) => [toChecksumAddress(a), b.toString()]),
  claims: raceClaims.entries(h.store, new Uint8Array(0)).map(([[[, miner], index], cl]) => ({
    miner: toChecksumAddress(miner),
    index,
    by: toChecksumAddress(cl.by),
    state: cl.state,
    fraud: cl.fraud.toString(),
    valid: cl.valid.toString(),
  })),
  balancesAfter: [watcher!, RACE_MODULE_ADDRESS, TRAINING_FUND_ADDRESS].map((a) => [
    toChecksumAddress(a),
    h.state.getAccount(a).balance.toString(),
  ]),
  weights: raceWeights(h.store, CYCLE).map(([a, v]) => [toChecksumAddress(a), v.toString()]),
  forfeits: raceForfeitsOf(h.store, CYCLE).map(([a, reason]) => [toChecksumAddress(a), reason]),
};
const { write, done } = vectorFiles();
write("spec/vectors/race/cycle.json", file);
done();
