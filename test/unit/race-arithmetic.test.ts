// The float32 step of requantisation (spec/race.md §Model, §Conformance) against its misreadings:
// spec/vectors/race/arithmetic.json must fail an implementation whose int32 → float32 conversion
// truncates toward zero (a GPU kernel's __int2float_rz, a careless cast) or that skips the step,
// and pass the real one. test/spec/vectors.test.ts replays the same file on every backend.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { clamp, requantU8, roundHalfEven } from "../../src/race/intmath.ts";

interface RequantCase {
  acc: number;
  shift: number;
  zp: number;
  out: number;
  exactOut: number;
  truncOut: number;
}
type Requant = (acc: number, shift: number, zp: number) => number;

const file = JSON.parse(
  readFileSync(new URL("../../spec/vectors/race/arithmetic.json", import.meta.url), "utf8"),
) as { requant: RequantCase[]; gemm: RequantCase[] };

/** requantU8 with its float32 conversion swapped for another; everything after it is the same. */
function requantWith(toF32: (acc: number) => number): Requant {
  return (acc, shift, zp) => clamp(roundHalfEven(toF32(acc) / 2 ** shift) + zp, 0, 255);
}

/** acc cut to 24 significant bits toward zero, for |acc| < 2^32. */
function truncateToF32(acc: number): number {
  const a = Math.abs(acc);
  if (a < 2 ** 24) return acc;
  const ulp = 2 ** (31 - Math.clz32(a) - 23);
  return Math.sign(acc) * Math.floor(a / ulp) * ulp;
}

/** The requant cases an implementation gets wrong, checked as the vector runner checks them. */
function failures(requant: Requant, cases: RequantCase[] = file.requant): RequantCase[] {
  return cases.filter((c) => requant(c.acc, c.shift, c.zp) !== c.out);
}

const show = (c: RequantCase, got: number) =>
  `acc ${c.acc} shift ${c.shift} zp ${c.zp}: ${got}, not ${c.out}`;

describe("race arithmetic vectors against misread float32 conversions", () => {
  it("the real requantisation passes every case, and the harness changes only the conversion", () => {
    assert.deepEqual(failures(requantU8), []);
    assert.deepEqual(failures(requantU8, file.gemm), []);
    assert.deepEqual(failures(requantWith(Math.fround)), []);
  });

  it("a conversion truncating toward zero fails the cases where float32 rounds away from zero", (t) => {
    const truncating = requantWith(truncateToF32);
    const failed = failures(truncating);
    for (const c of failed) t.diagnostic(show(c, truncating(c.acc, c.shift, c.zp)));
    // The generator's truncOut (exact integers) and this harness agree on every case.
    for (const c of file.requant) assert.equal(truncating(c.acc, c.shift, c.zp), c.truncOut, `acc ${c.acc}`);
    assert.ok(failed.length >= 12, `only ${failed.length} cases catch truncation`);
    // The case that separates them most plainly: 34,340,863 → float32 34,340,864 = 65.5·2^19 → 66.
    assert.ok(failed.some((c) => c.acc === 34_340_863 && c.shift === 19 && c.out === 194));
    assert.ok(failed.some((c) => c.acc > 0) && failed.some((c) => c.acc < 0), "both signs");
    assert.ok(failed.some((c) => c.zp === 0) && failed.some((c) => c.zp === 128), "ReLU and signed");
    assert.ok(new Set(failed.map((c) => c.shift)).size >= 5, "several exponents");
    // Each of them is also a GEMM case, so the onnx backend's QLinearMatMul epilogue replays it.
    const gemmFailed = failures(truncating, file.gemm);
    for (const c of failed)
      assert.ok(
        gemmFailed.some((g) => g.acc === c.acc && g.shift === c.shift && g.zp === c.zp),
        `no GEMM case reaches acc ${c.acc} at exponent ${c.shift}`,
      );
  });

  it("skipping the float32 step fails as well", () => {
    const exact = requantWith((acc) => acc);
    for (const c of file.requant) assert.equal(exact(c.acc, c.shift, c.zp), c.exactOut, `acc ${c.acc}`);
    const failed = failures(exact);
    assert.ok(failed.some((c) => c.acc > 0) && failed.some((c) => c.acc < 0));
  });
});
