// Generates the race conformance vectors (spec/race.md §Conformance):
//  - spec/vectors/race/conformance.json: full forward passes of a conformance configuration (the
//    minimal shapes with small requantisation exponents) that drives every GEMM clamp into
//    saturation; `coverage` lists how often each arithmetic branch was taken while generating.
//  - spec/vectors/race/arithmetic.json: the primitives with inputs no race reaches: accumulators
//    above 2^24 whose float32 rounding changes the result, GEMMs built to hit them, rmsnorm and
//    residual clamps, floors of negatives, the exp table.
// Usage: node --import tsx scripts/gen-race-conformance.ts [--check]

import { minimal } from "../src/params/index.ts";
import {
  calibrate,
  clampValue,
  coverage,
  EXP_TABLE,
  floorDiv,
  gemmRequant,
  nodeSeed,
  outputHash,
  type RaceConfig,
  referenceBackend,
  requantU8,
  rmsNorm,
} from "../src/race/index.ts";
import { fromHex, toHex } from "../src/types/index.ts";
import { vectorFiles } from "./vectorFiles.ts";

const { write, done } = vectorFiles();

// ---- conformance.json -------------------------------------------------------------------------
export const CONFORMANCE_SHIFTS = { qkv: 3, attnOut: 3, score: 2, ffnIn: 3, ffnOut: 4 };
const config: RaceConfig = { ...minimal.race, shifts: CONFORMANCE_SHIFTS };
const miners = ["0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266", "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"];
coverage.enabled = true;
coverage.counts = {};
const races = [];
for (const seedHex of [`0x${"c0".repeat(32)}`, `0x${"c1".repeat(32)}`]) {
  const race = await referenceBackend.load(fromHex(seedHex), config);
  const cal = await calibrate(race);
  const cases = [];
  for (const minerHex of miners) {
    const nonces = [0n, 1n, 2n, 3n, 999n, (1n << 40n) - 1n];
    const { distances, outputs } = await race.evaluate(nodeSeed(fromHex(minerHex)), nonces, {
      outputs: true,
    });
    for (const [i, nonce] of nonces.entries())
      cases.push({
        miner: minerHex,
        nonce: nonce.toString(),
        outputHash: toHex(outputHash(outputs!.subarray(i * config.dModel, (i + 1) * config.dModel))),
        distance: distances[i]!,
        success: BigInt(distances[i]!) < cal.threshold,
      });
  }
  races.push({
    seed: seedHex,
    calibration: { mean: cal.mean.toString(), std: cal.std.toString(), threshold: cal.threshold.toString() },
    cases,
  });
}
const branches = Object.fromEntries(Object.entries(coverage.counts).sort(([a], [b]) => a.localeCompare(b)));
coverage.enabled = false;
write("spec/vectors/race/conformance.json", {
  kind: "race",
  preset: "conformance",
  description:
    "Race conformance vectors (spec/race.md §Conformance): the minimal shapes with small requantisation exponents, so GEMM outputs saturate at 0 and 255 in every layer; calibration and (miner, nonce) → outputHash, distance, success. `coverage`: times each arithmetic branch was taken by the reference while computing this file (calibration included).",
  config,
  coverage: branches,
  races,
});

// ---- arithmetic.json --------------------------------------------------------------------------
/** Round half to even of the exact rational acc / 2^s (no float32 step): what an exact implementation would give. */
function exactRequant(acc: bigint, s: number, zp: number): number {
  const d = 1n << BigInt(s);
  let q = acc >= 0n ? acc / d : -((-acc + d - 1n) / d); // floor
  const r = acc - q * d;
  if (2n * r > d || (2n * r === d && q % 2n !== 0n)) q += 1n;
  return Number(clampBig(q + BigInt(zp), 0n, 255n));
}
function clampBig(x: bigint, lo: bigint, hi: bigint): bigint {
  return x < lo ? lo : x > hi ? hi : x;
}

const requantCases = [
  // Above 2^24 float32 keeps 24 bits: 16,908,289 = 2^24 + 2^17 + 1 rounds (tie, to even) to
  // 2^24 + 2^17, so acc / 2^18 = 64.5 exactly and rounds half to even to 64 (exact: 64.5000038 → 65).
  [16_908_289, 18, 128],
  [-16_908_289, 18, 128],
  [16_908_291, 18, 128], // 2^24 + 2^17 + 3 → float32 2^24 + 2^17 + 4: 64.5000153 → 65
  [33_554_434, 20, 128], // 2^25 + 2: spacing 4, a tie, to even (2^25) → 32
  [33_554_438, 20, 128], // 2^25 + 6: a tie, to even (2^25 + 8)
  [16_777_217, 0, 0], // above 2^24, saturates at 255 either way
  [-16_777_217, 0, 128], // saturates at 0
  [5, 1, 128], // 2.5 → 2 (half to even)
  [7, 1, 128], // 3.5 → 4
  [-5, 1, 128], // −2.5 → −2
  [-7, 1, 128], // −3.5 → −4
  [300 * 256, 8, 0], // 300 → saturates at 255 (ReLU)
  [-1, 8, 0], // −0.004 → 0 (ReLU)
  [-300 * 256, 8, 128], // −300 → saturates at 0 (signed −128)
  [127 * 256 + 127, 8, 128], // 127.496 → 127 → 255
  [127 * 256 + 128, 8, 128], // 127.5 → 128 (even) → 256 → saturates at 255
].map(([acc, shift, zp]) => ({
  acc: acc!,
  shift: shift!,
  zp: zp!,
  out: requantU8(acc!, shift!, zp!),
  exactOut: exactRequant(BigInt(acc!), shift!, zp!),
}));

/** A GEMM row built from runs [count, x, w] so that the int32 accumulator hits a chosen value. */
type Run = [count: number, x: number, w: number];
function gemmCase(name: string, runs: Run[], aZp: number, shift: number, zp: 0 | 128) {
  const x = runs.flatMap(([n, v]) => Array<number>(n).fill(v));
  const w = runs.flatMap(([n, , v]) => Array<number>(n).fill(v));
  const acc = x.reduce((t, v, i) => t + (v - aZp) * w[i]!, 0);
  const out = new Int32Array(1);
  gemmRequant(Int32Array.from(x), Int8Array.from(w), 1, shift, zp, out, aZp);
  return {
    name,
    runs,
    aZp,
    shift,
    zp,
    acc,
    out: out[0]! + zp,
    exactOut: exactRequant(BigInt(acc), shift, zp),
  };
}
const gemmCases = [
  gemmCase(
    "acc 2^24 + 2^17 + 1 from x = 255 (zero point 0)",
    [
      [1052, 255, 63],
      [1, 255, 31],
      [1, 4, 1],
    ],
    0,
    18,
    128,
  ),
  gemmCase(
    "its negation",
    [
      [1052, 255, -63],
      [1, 255, -31],
      [1, 4, -1],
    ],
    0,
    18,
    128,
  ),
  gemmCase(
    "acc 2^24 + 2^17 + 1 from x = 0 (zero point 128)",
    [
      [2096, 0, -63],
      [1, 255, 48],
      [1, 177, 1],
    ],
    128,
    18,
    128,
  ),
  gemmCase("a ReLU output (zero point 0) saturating at 255", [[64, 255, 63]], 0, 4, 0),
];

const rmsCases = [
  [1000, ...Array(31).fill(0)], // a spike: 32·√32 ≈ 181 → clamps at 127
  [-1000, ...Array(31).fill(0)], // → clamps at −128
  Array(32).fill(0), // ss = 0 → divisor max(1, 0) = 1
  [1, ...Array(31).fill(0)], // ⌊1/32⌋ = 0 → divisor 1 → 32
  [5, -3, ...Array(30).fill(0)], // divisor 1: 160 → 127, −96
  [-7, 3, 2, ...Array(29).fill(1)], // negative floors: ⌊−224 / r⌋
].map((x) => {
  const out = new Int32Array(x.length);
  rmsNorm(Int32Array.from(x), out);
  return { x, y: [...out] };
});

write("spec/vectors/race/arithmetic.json", {
  kind: "race-arithmetic",
  description:
    "Race arithmetic conformance (spec/race.md §Model, §Conformance): inputs no race reaches. requant: out = clamp(rne(f32(acc) / 2^shift) + zp, 0, 255); exactOut is what skipping the float32 step would give (where they differ, the case tests it). gemm: one output of a requantising GEMM over runs [count, x, w] (x uint8 with zero point aZp, w int8). rmsnorm, residual clamp, floor shifts and floor division of negatives, and the exp table.",
  requant: requantCases,
  gemm: gemmCases,
  rmsnorm: rmsCases,
  residual: [
    [32_700, 127],
    [-32_700, -128],
    [32_767, 0],
  ].map(([h, o]) => ({ h, o, out: clampValue(h! + o!, -32_767, 32_767) })),
  floorShift: [
    [-5, 2],
    [-4, 2],
    [5, 2],
    [-1, 7],
  ].map(([x, s]) => ({ x, s, out: x! >> s! })),
  floorDiv: [
    [-7, 3],
    [7, 3],
    [-6, 3],
    [-1, 65_536],
  ].map(([a, b]) => ({ a, b, out: floorDiv(a!, b!) })),
  expTable: [...EXP_TABLE],
});

done();
