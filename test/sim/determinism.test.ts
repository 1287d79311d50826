import assert from "node:assert/strict";
import { test } from "node:test";
import { runScenario } from "../../src/sim/index.ts";

// The simulator's promise: same seed, same run, byte for byte.
test("a finality run twice with one seed prints byte-identical summaries", () => {
  const args = { validators: "7", heights: "4", seed: "determinism", fault: "crash" };
  const a = JSON.stringify(runScenario("finality", args));
  assert.equal(JSON.stringify(runScenario("finality", args)), a);
  assert.notEqual(
    JSON.stringify(runScenario("finality", { ...args, seed: "other" })),
    a,
    "another seed, another run",
  );
  const s = JSON.parse(a);
  assert.ok(s.heightsFinalized >= 4);
  assert.equal(s.faultyValidators, 2);
});

test("a race cycle through the race module is deterministic and settles every honest miner", () => {
  const args = { miners: "12", validators: "12", "vrf-sample": "12", seed: "determinism" };
  const a = JSON.stringify(runScenario("race-cycle", args));
  assert.equal(JSON.stringify(runScenario("race-cycle", args)), a);
  const s = JSON.parse(a);
  assert.equal(s.failedCalls, 0, s.firstErrors?.join("; "));
  assert.equal(s.onChainBytesPerCycle.commit.txs, 12);
  assert.equal(s.onChainBytesPerCycle.reveal.txs, 12);
  assert.equal(s.minersWithWeight, 12 - s.cheaters);
});

test("a DKG with a malicious dealer is deterministic and disqualifies it", () => {
  const args = { members: "5", malicious: "1", silent: "1", seed: "determinism" };
  const a = JSON.stringify(runScenario("dkg", args));
  assert.equal(JSON.stringify(runScenario("dkg", args)), a);
  const s = JSON.parse(a);
  assert.equal(s.outcome.ok, true);
  assert.equal(s.outcome.qualified, 3);
  assert.equal(s.complaintsOnChain, 1);
});
