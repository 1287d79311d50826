// Statistics of the race on `minimal` over 20 race seeds that were not used to choose z:
// outputs are not degenerate, the pooled success rate is within ±15% of 1 in successRate, and the
// distances of neighbouring nonces are uncorrelated. Seeds are fixed, so the result is
// deterministic for a given model: a change that breaks these properties fails here.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { getBackend } from "../../src/miner/index.ts";
import { minimal } from "../../src/params/index.ts";
import { calibrate, nodeSeed } from "../../src/race/index.ts";

const SEEDS = 20;
const NONCES = Number(process.env.RACE_STATS_NONCES ?? 18000);

describe("race statistics (minimal, 20 seeds)", () => {
  it("is not degenerate, hits the success rate and has no neighbour correlation", async (t) => {
    const c = minimal.race;
    // onnx is bit-identical to reference (test/unit/race-backends.test.ts) and ~5× faster here.
    const backend = getBackend("onnx");
    let successes = 0;
    let total = 0;
    let worstCorr = 0;
    let saturated = 0;
    let zeros = 0;
    let values = 0;
    let minDistinct = Number.POSITIVE_INFINITY;
    for (let s = 0; s < SEEDS; s++) {
      const seed = new Uint8Array(32);
      new DataView(seed.buffer).setUint32(8, 0x7e570000 + s);
      const race = await backend.load(seed, c);
      const { threshold } = await calibrate(race);
      const nonces = Array.from({ length: NONCES }, (_, i) => BigInt(i));
      const { distances, outputs } = await race.evaluate(nodeSeed(new Uint8Array(20).fill(s)), nonces, {
        outputs: true,
      });
      for (const d of distances) if (BigInt(d) < threshold) successes++;
      total += NONCES;
      for (const y of outputs!) {
        if (y === 127 || y === -127) saturated++;
        if (y === 0) zeros++;
        values++;
      }
      // Distinct values per output coordinate (permuted outputs; any fixed coordinate will do).
      for (let j = 0; j < c.dModel; j += 8) {
        const distinct = new Set<number>();
        for (let i = 0; i < NONCES; i++) distinct.add(outputs![i * c.dModel + j]!);
        minDistinct = Math.min(minDistinct, distinct.size);
      }
      const mean = distances.reduce((a, b) => a + b, 0) / NONCES;
      let cov = 0;
      let variance = 0;
      for (let i = 0; i < NONCES; i++) {
        variance += (distances[i]! - mean) ** 2;
        if (i + 1 < NONCES) cov += (distances[i]! - mean) * (distances[i + 1]! - mean);
      }
      worstCorr = Math.max(worstCorr, Math.abs(cov / variance));
    }
    const rate = successes / total;
    const ratio = rate * c.successRate;
    t.diagnostic(
      `successes ${successes}/${total} (rate × ${c.successRate} = ${ratio.toFixed(3)}), saturated ${((saturated / values) * 100).toFixed(3)}%, zeros ${((zeros / values) * 100).toFixed(2)}%, min distinct values per coordinate ${minDistinct}, worst |corr| ${worstCorr.toFixed(4)}`,
    );
    assert.ok(saturated / values < 0.01, "outputs saturate");
    assert.ok(zeros / values < 0.05, "too many zero outputs");
    assert.ok(minDistinct >= 64, `too few distinct values (${minDistinct}) in a coordinate`);
    assert.ok(
      ratio >= 0.85 && ratio <= 1.15,
      `pooled success rate ${ratio.toFixed(3)} × configured, outside ±15%`,
    );
    assert.ok(worstCorr < 0.06, `neighbouring distances correlate (${worstCorr.toFixed(4)})`);
  });
});
