import assert from "node:assert/strict";
import { test } from "node:test";
import { runScenario } from "../../src/sim/index.ts";

// The simulator's promise: same seed, same run, byte for byte.
test("a scenario run twice with one seed prints byte-identical summaries", () => {
  const args = { validators: "7", heights: "4", seed: "determinism" };
  const a = JSON.stringify(runScenario("finality", args));
  const b = JSON.stringify(runScenario("finality", args));
  assert.equal(a, b);
  const other = JSON.stringify(runScenario("finality", { ...args, seed: "other" }));
  assert.notEqual(a, other, "a different seed gives a different run");
  const s = JSON.parse(a);
  assert.ok(s.heightsFinalized >= 4);
});
