// Executor choice by race weight: frequencies over 20,000 tasks follow the weights (χ² against the
// 0.1% critical value), the intermediary and failed executors are excluded, and anyone recomputes
// the same choice from the same beacon output and task id.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { describe, it } from "node:test";
import { chooseExecutor } from "../../src/inference/index.ts";
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
