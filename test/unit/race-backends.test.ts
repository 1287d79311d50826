// reference and onnx agree bit for bit on ≥ 1,000 random (seed, miner, nonce) triples (minimal).
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { describe, it } from "node:test";
import { getBackend } from "../../src/miner/index.ts";
import { minimal } from "../../src/params/index.ts";
import { MAX_NONCE, nodeSeed } from "../../src/race/index.ts";

describe("race backends agree", () => {
  it("reference and onnx give identical outputs and distances on 1,200 random triples", async (t) => {
    const seeds = 6;
    const miners = 10;
    const perMiner = 20;
    let compared = 0;
    for (let s = 0; s < seeds; s++) {
      const seed = randomBytes(32);
      const ref = await getBackend("reference").load(seed, minimal.race);
      const onnx = await getBackend("onnx").load(seed, minimal.race);
      for (let m = 0; m < miners; m++) {
        const node = nodeSeed(randomBytes(20));
        const nonces = Array.from(
          { length: perMiner },
          () => BigInt(`0x${randomBytes(5).toString("hex")}`) % (MAX_NONCE + 1n),
        );
        const a = await ref.evaluate(node, nonces, { outputs: true });
        const b = await onnx.evaluate(node, nonces, { outputs: true });
        assert.deepEqual(b.outputs, a.outputs, `seed ${seed.toString("hex")}`);
        assert.deepEqual(b.distances, a.distances);
        compared += nonces.length;
      }
      await onnx.close();
    }
    t.diagnostic(`compared ${compared} triples`);
    assert.ok(compared >= 1000);
  });

  it("reports itself available, and unknown backends are refused clearly", async () => {
    assert.deepEqual(await getBackend("onnx").available(), { ok: true });
    assert.throws(
      () => getBackend("tfjs"),
      /unknown race backend "tfjs": expected one of reference, onnx, cuda/,
    );
    const cuda = await getBackend("cuda").available();
    assert.equal(cuda.ok, false);
    assert.match((cuda as { reason: string }).reason, /CUDA addon is not built/);
  });
});
