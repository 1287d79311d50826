// The inflation bound of spec/race.md §Proofs, measured: three adversaries commit counts inflated
// ×1.1, ×2 and ×1000 over their real proofs, on both presets' sample counts; the chain's own
// reveal check decides each sampling. The leaves that can be revealed and hold a proof never
// outnumber the real proofs, so the escape probability stays under (1/k)^S.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { mainnet, minimal } from "../../src/params/index.ts";
import { ADVERSARIES, escapeFigure } from "./actors.ts";

const INFLATIONS = [1.1, 2, 1000];

describe("race inflation: escape probability against the bound", () => {
  for (const preset of [minimal, mainnet]) {
    const S = preset.race.samples;
    for (const adversary of ADVERSARIES)
      it(`${adversary}, ${preset.name} (S = ${S})`, () => {
        for (const k of INFLATIONS) {
          const P = k >= 100 ? 8 : 100;
          const f = escapeFigure(adversary, S, k, P, k >= 100 ? 200 : 1000);
          const at = `${adversary} ×${k} on ${preset.name}`;
          assert.ok(
            f.goodProofLeaves <= f.realProofs,
            `${at}: ${f.goodProofLeaves} revealable proofs of ${f.realProofs}`,
          );
          assert.ok(f.exact <= f.bound * (1 + 1e-9), `${at}: exact ${f.exact} above the bound ${f.bound}`);
          const mean = f.trials * f.exact;
          const slack = 4 * Math.sqrt(mean * (1 - f.exact)) + 1;
          assert.ok(
            Math.abs(f.escapes - mean) <= slack,
            `${at}: ${f.escapes} escapes in ${f.trials}, expected ${mean.toFixed(1)} ± ${slack.toFixed(1)}`,
          );
        }
      });
  }

  it("an honest miner always reveals", () => {
    const f = escapeFigure("interleaved", minimal.race.samples, 1, 50, 50);
    assert.equal(f.escapes, 50);
  });
});
