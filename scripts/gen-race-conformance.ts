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
/**
 * acc cut to 24 significant bits toward zero: the conversion a GPU kernel gets from
 * __int2float_rz or a careless cast. It differs from float32's round-to-nearest only where that
 * rounds away from zero, so the cases below that do so tell the two apart.
 */
function truncateToF32(acc: bigint): bigint {
  const a = acc < 0n ? -acc : acc;
  const drop = BigInt(Math.max(0, a.toString(2).length - 24));
  const t = (a >> drop) << drop;
  return acc < 0n ? -t : t;
}

// Below exponent 17 every accumulator of 2^24 or more saturates, so the float32 step can only
// change a result at exponents 17 (ReLU) to 30; the requantisations of every preset and of the
// conformance configuration (3, 4, 8, 10, 12) never see it, and get ties instead.
const presetTies = [3, 4, 8, 10, 12].flatMap((s) => [
  [26.5 * 2 ** s, s, 128], // → 26 (even below)
  [-27.5 * 2 ** s, s, 128], // → −28 (even above, away from zero)
  ...([3, 8, 10].includes(s) ? [[11.5 * 2 ** s, s, 0]] : []), // the FFN's ReLU: → 12
]);
const requantCases = [
  // Above 2^24 float32 keeps 24 bits: 16,908,289 = 2^24 + 2^17 + 1 rounds (tie, to even) to
  // 2^24 + 2^17, so acc / 2^18 = 64.5 exactly and rounds half to even to 64 (exact: 64.5000038 → 65).
  [16_908_289, 18, 128],
  [-16_908_289, 18, 128],
  [16_908_291, 18, 128], // 2^24 + 2^17 + 3 → float32 2^24 + 2^17 + 4: 64.5000153 → 65
  [33_554_434, 20, 128], // 2^25 + 2: spacing 4, a tie, to even (2^25) → 32
  [33_554_438, 20, 128], // 2^25 + 6: a tie, to even (2^25 + 8)
  // float32 rounds away from zero onto a half-way point (m + ½)·2^s with m odd, which then rounds
  // to m + 1; truncating toward zero lands below it and gives m (truncOut), as does skipping the
  // float32 step (exactOut). 34,340,863 → 34,340,864 = 65.5·2^19 → 66; truncated 34,340,860 → 65.
  [34_340_863, 19, 128],
  [-34_340_863, 19, 128],
  [16_973_823, 17, 0], // a float32 tie rounding up (to even) onto 129.5·2^17 → 130; truncated 129
  [17_170_431, 18, 128], // a float32 tie rounding up onto 65.5·2^18 → 66
  [-17_170_431, 18, 128],
  [33_947_647, 18, 0], // 129.5·2^18 − 1 → 130 (ReLU); truncated 129
  [35_127_295, 20, 128], // 33.5·2^20 − 1 → 34
  [-35_127_295, 20, 128],
  [1_702_887_361, 24, 128], // 101.5·2^24 − 63, spacing 128: rounds up → 102; truncated 101
  [-1_702_887_361, 24, 128],
  [1_610_612_735, 30, 128], // 1.5·2^30 − 1 → 2; truncated 1
  [-1_610_612_735, 30, 128],
  [1_610_612_672, 30, 0], // 1.5·2^30 − 64: a float32 tie rounding up (to even) → 2; truncated 1
  // Rounding up past a half-way point with m even: float32 and the exact value give m + 1,
  // truncation lands on the half-way point and rounds to even, m. 64.5·2^19 + 3 → 65; truncated 64.
  [33_816_579, 19, 128],
  [-33_816_579, 19, 128],
  [16_777_217, 0, 0], // above 2^24, saturates at 255 either way
  [-16_777_217, 0, 128], // saturates at 0
  [5, 1, 128], // 2.5 → 2 (half to even)
  [7, 1, 128], // 3.5 → 4
  [-5, 1, 128], // −2.5 → −2
  [-7, 1, 128], // −3.5 → −4
  ...presetTies,
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
  truncOut: exactRequant(truncateToF32(BigInt(acc!)), shift!, zp!),
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
    truncOut: exactRequant(truncateToF32(BigInt(acc)), shift, zp),
  };
}
/** Runs with x = 255 (zero point 0) whose accumulator is exactly acc: |acc| = n·255·63 + 255·q + t. */
function runsHitting(acc: number): Run[] {
  const sign = acc < 0 ? -1 : 1;
  let rest = Math.abs(acc);
  const full = Math.floor(rest / (255 * 63));
  rest -= full * 255 * 63;
  const q = Math.floor(rest / 255);
  const t = rest - q * 255;
  const runs: Run[] = [[full, 255, 63 * sign]];
  if (q > 0) runs.push([1, 255, q * sign]);
  if (t > 0) runs.push([1, t, sign]);
  return runs;
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
  // Every requant case that a truncating float32 conversion gets wrong, through a real GEMM
  // epilogue as well (onnxruntime's QLinearMatMul on the onnx backend).
  ...requantCases
    .filter((c) => c.truncOut !== c.out)
    .map((c) => {
      const g = gemmCase(
        `acc ${c.acc} at exponent ${c.shift}, zero point ${c.zp}: float32 rounding, not truncation`,
        runsHitting(c.acc),
        0,
        c.shift,
        c.zp as 0 | 128,
      );
      if (g.acc !== c.acc) throw new Error(`runs for ${c.acc} accumulate to ${g.acc}`);
      return g;
    }),
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
    "Race arithmetic conformance (spec/race.md §Model, §Conformance): inputs no race reaches. requant: out = clamp(rne(f32(acc) / 2^shift) + zp, 0, 255); exactOut is what skipping the float32 step would give, truncOut what a float32 conversion truncating toward zero would give (where either differs from out, the case tells that misreading apart). gemm: one output of a requantising GEMM over runs [count, x, w] (x uint8 with zero point aZp, w int8). rmsnorm, residual clamp, floor shifts and floor division of negatives, and the exp table.",
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
