import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { keccak256 } from "../../src/crypto/index.ts";
import { getBackend } from "../../src/miner/index.ts";
import { mainnet, minimal } from "../../src/params/index.ts";
import {
  buildTree,
  calibrate,
  checkRaceConfig,
  commit,
  depthFor,
  type FraudProof,
  type LoadedRace,
  leafHash,
  MAX_NONCE,
  macsPerNonce,
  multiproof,
  nodeSeed,
  ProofError,
  parameterCount,
  permutation,
  RaceConfigError,
  rootOf,
  sampleIndices,
  treeOver,
  verifyFraudProof,
  verifyMultiproof,
  verifySample,
  ZERO32,
} from "../../src/race/index.ts";
import { EXP_TABLE, requantU8 } from "../../src/race/intmath.ts";
import { toWeights } from "../../src/race/weights.ts";

const miner = new Uint8Array(20).fill(0x42);

const seed = new Uint8Array(32).fill(0x17);

async function raceWithProofs(): Promise<{
  race: LoadedRace;
  threshold: bigint;
  proofs: bigint[];
  nonProofs: bigint[];
}> {
  const race = await getBackend("reference").load(seed, minimal.race);
  const { threshold } = await calibrate(race);
  const nonces = Array.from({ length: 12_000 }, (_, i) => BigInt(i));
  const { distances } = await race.evaluate(nodeSeed(miner), nonces);
  const proofs = nonces.filter((_, i) => BigInt(distances[i]!) < threshold);
  const nonProofs = nonces.filter((_, i) => BigInt(distances[i]!) >= threshold);
  return { race, threshold, proofs, nonProofs };
}
const shared = raceWithProofs();

describe("race model", () => {
  it("presets satisfy the exactness bounds and match the spec's figures", () => {
    checkRaceConfig(minimal.race);
    checkRaceConfig(mainnet.race);
    assert.equal(parameterCount(minimal.race), 28_672);
    assert.equal(parameterCount(mainnet.race), 2_285_895_680);
    assert.equal(macsPerNonce(mainnet.race), 9_126_805_504);
  });

  it("refuses configs that break exactness, saying why", () => {
    const bad = [
      [{ vocab: 1000 }, /power of two/],
      [{ ffn: 140_000 }, /overflow int32/],
      [{ heads: 3 }, /multiple of heads/],
      [{ seqLen: 40 }, /seqLen/],
    ] as const;
    for (const [patch, why] of bad) {
      assert.throws(
        () => checkRaceConfig({ ...minimal.race, ...patch }),
        (e: unknown) => e instanceof RaceConfigError && why.test(e.message),
      );
    }
  });

  it("maps keystream bytes to weights as (int8(b) >> 1) | 1, word-wise and byte-wise alike", () => {
    const bytes = new Uint8Array(1027);
    for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 37 + 11) & 0xff;
    const expect = Array.from(bytes, (b) => (((b << 24) >> 24) >> 1) | 1);
    assert.deepEqual(Array.from(toWeights(bytes.slice())), expect);
    const unaligned = new Uint8Array(2000).subarray(1, 1028);
    unaligned.set(bytes);
    assert.deepEqual(Array.from(toWeights(unaligned)), expect);
    // Every byte value: the 64 odd values in [−63, 63], each from exactly 4 bytes (uniform, mean 0).
    const all = Array.from(toWeights(Uint8Array.from({ length: 256 }, (_, i) => i)));
    const counts = new Map<number, number>();
    for (const w of all) counts.set(w, (counts.get(w) ?? 0) + 1);
    assert.equal(counts.size, 64);
    assert.ok([...counts].every(([w, n]) => n === 4 && w % 2 !== 0 && w >= -63 && w <= 63));
  });

  it("requantises like QLinearMatMul: float32, scale 2^−s, round half to even, saturate", () => {
    assert.equal(requantU8(3 * 128, 8, 128), 128 + 2); // 1.5 → 2 (ties to even)
    assert.equal(requantU8(5 * 128, 8, 128), 128 + 2); // 2.5 → 2
    assert.equal(requantU8(-3 * 128, 8, 128), 128 - 2); // −1.5 → −2
    assert.equal(requantU8(-1000000, 8, 128), 0); // saturates
    assert.equal(requantU8(-5, 0, 0), 0); // ReLU at zero point 0
    // Past 2^24 the accumulator is first rounded to 24 significant bits (float32), ties to even.
    assert.equal(requantU8(2 ** 24 + 1, 17, 0), 128); // 16777217 → 16777216 → 128
    assert.equal(requantU8(2 ** 24 + 3, 0, 0), 255);
  });

  it("builds the exp table by integer recursion", () => {
    assert.equal(EXP_TABLE[0], 65536);
    assert.ok(Math.abs(EXP_TABLE[4]! - 32768) < 16, `E[4] = ${EXP_TABLE[4]} ≈ 65536 / 2`);
    for (let i = 1; i < 64; i++) assert.ok(EXP_TABLE[i]! <= EXP_TABLE[i - 1]! && EXP_TABLE[i]! >= 0);
  });

  it("derives a true permutation, deterministically", () => {
    const p = permutation(new Uint8Array(32).fill(5), 512);
    assert.deepEqual(
      [...p].sort((a, b) => a - b),
      Array.from({ length: 512 }, (_, i) => i),
    );
    assert.deepEqual(permutation(new Uint8Array(32).fill(5), 512), p);
    assert.notDeepEqual(permutation(new Uint8Array(32).fill(6), 512), p);
  });

  it("is deterministic and depends on seed, miner and nonce", async () => {
    const { race } = await shared;
    const a = await race.evaluate(nodeSeed(miner), [5n, 6n], { outputs: true });
    const b = await race.evaluate(nodeSeed(miner), [5n, 6n], { outputs: true });
    assert.deepEqual(a, b);
    assert.notDeepEqual(a.outputs!.subarray(0, 32), a.outputs!.subarray(32, 64));
    const other = await race.evaluate(nodeSeed(new Uint8Array(20).fill(1)), [5n], { outputs: true });
    assert.notDeepEqual(other.outputs, a.outputs!.subarray(0, 32));
  });
});

describe("race proofs", () => {
  it("finds proofs at roughly the configured rate on this seed", async () => {
    const { proofs } = await shared;
    assert.ok(proofs.length >= 3 && proofs.length <= 40, `${proofs.length} proofs in 12,000 nonces`);
  });

  it("multiproofs rebuild the root for any subset, and nothing else does", () => {
    const nonces = Array.from({ length: 37 }, (_, i) => BigInt(i * 7 + 3));
    const tree = buildTree(nonces);
    const c = commit(nonces);
    for (const subset of [
      [0],
      [36],
      [0, 1],
      [5, 6, 20],
      [1, 2, 3, 4, 30, 31],
      Array.from({ length: 37 }, (_, i) => i),
    ]) {
      const proof = multiproof(tree, subset);
      verifyMultiproof(c, new Map(subset.map((i) => [i, nonces[i]!])), proof);
    }
    const proof = multiproof(tree, [5, 6]);
    const revealed = new Map([
      [5, nonces[5]!],
      [6, nonces[6]!],
    ]);
    const tamper: [string, () => void, RegExp][] = [
      [
        "wrong nonce",
        () =>
          verifyMultiproof(
            c,
            new Map([
              [5, 999n],
              [6, nonces[6]!],
            ]),
            proof,
          ),
        /does not match/,
      ],
      [
        "wrong path",
        () => verifyMultiproof(c, revealed, [new Uint8Array(48), ...proof.slice(1)]),
        /does not match/,
      ],
      ["short path", () => verifyMultiproof(c, revealed, proof.slice(1)), /too short/],
      [
        "long path",
        () => verifyMultiproof(c, revealed, [...proof, new Uint8Array(48)]),
        /too many|more than/,
      ],
      [
        "a 32-byte node",
        () => verifyMultiproof(c, revealed, [new Uint8Array(32), ...proof.slice(1)]),
        /malformed/,
      ],
      ["index out of range", () => verifyMultiproof(c, new Map([[37, 1n]]), proof), /out of range/],
      [
        "count mismatch",
        () => verifyMultiproof({ ...c, count: 70 }, revealed, proof),
        /too short|does not match/,
      ],
      [
        "count mismatch (smaller)",
        () => verifyMultiproof({ ...c, count: 20 }, revealed, proof),
        /too many|does not match/,
      ],
    ];
    for (const [name, fn, why] of tamper)
      assert.throws(fn, (e: unknown) => e instanceof ProofError && why.test(e.message), name);
  });

  it("refuses unsorted, duplicate and out-of-range proof sets", () => {
    assert.throws(() => commit([1n, 1n]), /sorted and unique/);
    assert.throws(() => commit([2n, 1n]), /sorted and unique/);
    assert.throws(() => commit([MAX_NONCE + 1n]), /outside/);
    assert.deepEqual(commit([]).count, 0);
  });

  it("accepts an honest sample and rejects a non-proof, a missing reveal and a padded count", async () => {
    const { race, threshold, proofs, nonProofs } = await shared;
    const randomness = new Uint8Array(32).fill(9);
    const honest = proofs;
    const c = commit(honest);
    const reveal = (set: bigint[], count = set.length) => {
      const revealed = sampleIndices(randomness, miner, count, minimal.race.samples);
      const tree = buildTree(set);
      return {
        nonces: new Map(revealed.filter((i) => i < set.length).map((i) => [i, set[i]!])),
        proof: multiproof(
          tree,
          revealed.filter((i) => i < set.length),
        ),
      };
    };
    await verifySample(race, threshold, miner, c, randomness, reveal(honest));

    // Every committed nonce a non-proof: any sample exposes it.
    const cheat = nonProofs.slice(0, 50);
    await assert.rejects(
      verifySample(race, threshold, miner, commit(cheat), randomness, reveal(cheat)),
      /is not a proof/,
    );

    // Claiming more proofs than the tree holds: sampled indices past the real leaves cannot be revealed.
    const padded = { count: honest.length * 8, root: c.root };
    await assert.rejects(
      verifySample(race, threshold, miner, padded, randomness, reveal(honest, padded.count)),
      /missing index|does not match|too short/,
    );

    // Revealing one index less than asked.
    const partial = reveal(honest);
    partial.nonces.delete([...partial.nonces.keys()][0]!);
    await assert.rejects(verifySample(race, threshold, miner, c, randomness, partial), /missing index/);
  });

  it("fraud proofs: a committed non-proof or an unsorted pair stands; an honest leaf does not", async () => {
    const { race, threshold, proofs, nonProofs } = await shared;
    const set = [...proofs.slice(0, 4), nonProofs.find((n) => n > proofs[3]!)!].sort((a, b) =>
      a < b ? -1 : 1,
    );
    const bad = set.findIndex((n) => nonProofs.includes(n));
    const tree = buildTree(set);
    const c = commit(set);
    const fraud: FraudProof = {
      kind: "nonce",
      miner,
      commitment: c,
      index: bad,
      nonce: set[bad]!,
      proof: multiproof(tree, [bad]),
    };
    assert.match(await verifyFraudProof(race, threshold, fraud), /is not a proof/);
    const good = set.findIndex((n) => !nonProofs.includes(n));
    await assert.rejects(
      verifyFraudProof(race, threshold, {
        ...fraud,
        index: good,
        nonce: set[good]!,
        proof: multiproof(tree, [good]),
      }),
      /no fraud/,
    );
    await assert.rejects(
      verifyFraudProof(race, threshold, { ...fraud, nonce: set[bad]! + 1n }),
      /does not match/,
    );
    // A miner that committed a duplicate (a tree our own commit() refuses to build): the order
    // fraud proof over either copy's path stands; over an honest tree's path it does not.
    const dup = [1n, 5n, 5n, 9n];
    const dupTree = treeOver(dup);
    const dupCommit = { count: dup.length, root: rootOf(dupTree) };
    for (const index of [1, 2])
      assert.match(
        await verifyFraudProof(race, threshold, {
          kind: "order",
          miner,
          commitment: dupCommit,
          index,
          nonce: 5n,
          proof: multiproof(dupTree, [index]),
        }),
        /not sorted on the path to index/,
      );
    const sorted = [1n, 5n, 9n];
    await assert.rejects(
      verifyFraudProof(race, threshold, {
        kind: "order",
        miner,
        commitment: commit(sorted),
        index: 0,
        nonce: 1n,
        proof: multiproof(buildTree(sorted), [0]),
      }),
      /is in order/,
    );
  });
});
