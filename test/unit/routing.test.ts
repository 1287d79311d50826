// Executor choice by race weight: frequencies over 20,000 tasks follow the weights (χ² against the
// 0.1% critical value), the intermediary and failed executors are excluded, and anyone recomputes
// the same choice from the same beacon output and task id.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { describe, it } from "node:test";
import { chooseExecutor, drawByWeight, WeightedPool } from "../../src/inference/index.ts";
import { toHex } from "../../src/types/index.ts";
import { devAddresses } from "../helpers/chain.ts";

const beacon = createHash("sha256").update("a beacon output").digest();
const task = (i: number) => createHash("sha256").update(`task ${i}`).digest();

describe("executor choice", () => {
  it("follows race weights (χ²), never picks the excluded intermediary", () => {
    const weights = [50n, 30n, 15n, 5n];
    const candidates = weights.map((weight, i) => ({ address: devAddresses[i]!, weight }));
    const intermediary = devAddresses[4]!;
    const all = [...candidates, { address: intermediary, weight: 40n }];
    const counts = new Map<string, number>();
    const N = 20_000;
    for (let i = 0; i < N; i++) {
      const e = chooseExecutor(beacon, task(i), all, [intermediary])!;
      counts.set(toHex(e), (counts.get(toHex(e)) ?? 0) + 1);
    }
    assert.equal(counts.get(toHex(intermediary)), undefined, "the node called is never the executor");
    const total = weights.reduce((a, b) => a + b, 0n);
    let chi2 = 0;
    candidates.forEach((c) => {
      const expected = (N * Number(c.weight)) / Number(total);
      const observed = counts.get(toHex(c.address)) ?? 0;
      chi2 += (observed - expected) ** 2 / expected;
    });
    // 3 degrees of freedom: P(χ² > 16.27) = 0.001.
    assert.ok(chi2 < 16.27, `χ² = ${chi2.toFixed(2)} (df 3)`);
  });

  it("is a function of its inputs; a failed executor is replaced; no candidate, no executor", () => {
    const candidates = [10n, 10n, 10n].map((weight, i) => ({ address: devAddresses[i]!, weight }));
    const a = chooseExecutor(beacon, task(1), candidates)!;
    assert.deepEqual(
      chooseExecutor(beacon, task(1), [...candidates].reverse()),
      a,
      "order of candidates is irrelevant",
    );
    const b = chooseExecutor(beacon, task(1), candidates, [a], 1)!;
    assert.notDeepEqual(b, a);
    assert.equal(
      chooseExecutor(
        beacon,
        task(1),
        candidates,
        candidates.map((c) => c.address),
      ),
      undefined,
    );
    assert.equal(chooseExecutor(beacon, task(1), [{ address: devAddresses[0]!, weight: 0n }]), undefined);
  });
});

describe("weighted draws in turn", () => {
  const rand = (seed: number) => {
    let x = seed;
    return () => {
      x = (x * 1103515245 + 12345) % 2 ** 31;
      return x;
    };
  };
  it("a pool's draws in turn equal drawing one at a time, each excluding the ones before (both attempt rules)", () => {
    for (let s = 1; s <= 40; s++) {
      const next = rand(s);
      const n = 1 + (next() % 60);
      const candidates = Array.from({ length: n }, (_, i) => ({
        address: new Uint8Array(20).fill(0).map((_, j) => (j === 0 ? next() % 256 : j === 1 ? i : 7)),
        // Some zero weights, some huge ones.
        weight: next() % 5 === 0 ? 0n : BigInt(next()) * (next() % 3 === 0 ? 10n ** 30n : 1n),
      }));
      const output = new Uint8Array(32).fill(s);
      const id = new Uint8Array(32).fill(255 - s);
      const exclude = candidates.slice(0, next() % 3).map((c) => c.address);
      for (const counting of [false, true]) {
        const got = [...new WeightedPool(candidates).inTurn("racecoin/test", output, id, exclude, counting)];
        const want: Uint8Array[] = [];
        for (let k = 0; ; k++) {
          const m = drawByWeight(
            "racecoin/test",
            output,
            id,
            candidates,
            [...exclude, ...want],
            counting ? k : 0,
          );
          if (!m) break;
          want.push(m);
        }
        assert.deepEqual(
          got.map(toHex),
          want.map(toHex),
          `seed ${s}, ${counting ? "counted" : "fixed"} attempts`,
        );
        assert.equal(new Set(got.map(toHex)).size, got.length, "no address twice");
      }
    }
  });
});
