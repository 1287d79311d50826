// Generates spec/vectors/tasks/tolerance.json (spec/inference.md §Tolerance, spec/tasks.md
// §Disputes): the float model's files hash, binomial tails, sampling picks over logprobs, the
// tolerance judgment of claimed positions against re-run logprobs, and a dispute sequence on the
// tasks module (panel, votes, outcome). --check reports a stale file instead of writing it.
import { disputes, FLOAT_MODEL, tasks } from "../contracts/index.ts";
import { privateKeyToAddress } from "../src/crypto/index.ts";
import {
  binomialTail,
  judgeTolerance,
  logSoftmax,
  type Position,
  pick,
  positionOf,
  type Sampling,
} from "../src/inference/index.ts";
import { fromHex, toHex } from "../src/types/index.ts";
import { devAddresses } from "../test/helpers/chain.ts";
import { answeredTask, tasksHarness } from "../test/helpers/tasksModule.ts";
import { vectorFiles } from "./vectorFiles.ts";

const API_KEY = fromHex("0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318");
const DEVELOPER = devAddresses[7]!;
const WEIGHTS = [100n, 100n, 100n, 100n, 100n, 100n];

const row = (logits: number[]) => Array.from(logSoftmax(logits));
const ROWS = [
  row([2.0, 1.5, 0.3, -0.2, -1.0, 0.9, 0.0, -2.5]),
  row([0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8]),
  row([3.0, -1.0, 2.9, 0.0, 0.0, -3.0, 1.0, 0.5]),
  row([-0.5, 0.5, 1.5, -1.5, 2.5, -2.5, 0.0, 1.0]),
];
const SAMPLINGS: Sampling[] = [
  { temperatureMilli: 0, topPMilli: 1000, seed: 0n },
  { temperatureMilli: 700, topPMilli: 900, seed: 11n },
  { temperatureMilli: 1000, topPMilli: 1000, seed: -3n },
  { temperatureMilli: 1500, topPMilli: 500, seed: 42n },
];
const samplingJson = (s: Sampling) => ({ ...s, seed: s.seed.toString() });

function picks() {
  return ROWS.flatMap((lp, i) =>
    SAMPLINGS.map((s, j) => ({
      lp,
      sampling: samplingJson(s),
      position: i + j,
      token: pick(Float64Array.from(lp), s, i + j),
    })),
  );
}

function judgments() {
  const s = SAMPLINGS[1]!;
  const rows = ROWS.map((r) => Float64Array.from(r));
  const honest: Position[] = rows.map((lp, i) => positionOf(lp, pick(lp, s, i)));
  const shift = (p: Position, by: number) => ({
    ...p,
    nll: p.nll + by,
    top: p.top.map((e) => ({ ...e, nll: e.nll + by })),
  });
  const cases: [string, Position[]][] = [
    ["honest", honest],
    ["within τ (0.01 nats)", honest.map((p) => shift(p, 10_000))],
    ["one deviation (0.05 nats)", honest.map((p, i) => (i === 0 ? shift(p, 50_000) : p))],
    ["two deviations in four positions", honest.map((p, i) => (i < 2 ? shift(p, 50_000) : p))],
    ["gross (2 nats)", honest.map((p, i) => (i === 3 ? shift(p, 2_000_000) : p))],
    [
      "a pick the draw cannot explain",
      honest.map((p, i) => (i === 1 ? positionOf(rows[1]!, (p.token + 4) % 8) : p)),
    ],
  ];
  return cases.map(([name, positions]) => {
    const v = judgeTolerance(positions, rows, s);
    return {
      name,
      positions,
      rows: ROWS,
      sampling: samplingJson(s),
      deviations: v.deviations,
      gross: v.gross,
      pValue: v.pValue,
      fraud: v.fraud,
    };
  });
}

function dispute() {
  const h = tasksHarness(WEIGHTS);
  const beacon = new Uint8Array(32).fill(0x33);
  const steps: Record<string, unknown>[] = [];
  const t = answeredTask({
    apiKey: API_KEY,
    beaconOutput: h.beaconOutput(5, beacon),
    round: 1,
    cycle: 0,
    serial: 9n,
    intermediary: devAddresses[0]!,
    state: h.state,
    model: FLOAT_MODEL.id,
  });
  const status = () => tasks.get(h.store(), t.taskId)?.status ?? -1;
  const call = (
    name: string,
    height: number,
    sender: Uint8Array,
    method: string,
    args: unknown,
    json: unknown,
  ) =>
    steps.push({
      name,
      action: "call",
      height,
      sender: toHex(sender),
      method,
      args: json,
      refused: h.refusal(height, sender, method, args),
      status: status(),
    });
  call("deposit", 6, DEVELOPER, "deposit", { amount: 10n ** 15n }, { amount: "1000000000000000" });
  const key = privateKeyToAddress(API_KEY);
  call(
    "authorize",
    6,
    DEVELOPER,
    "authorizeKey",
    { key, limit: 10n ** 15n },
    { key: toHex(key), limit: "1000000000000000" },
  );
  call("settle", 8, t.executor, "settle", { receipts: [t.receipt] }, { receipts: "the task's receipt" });
  const out2 = new Uint8Array(32).fill(0x44);
  h.beaconOutput(15, out2);
  steps.push({ name: "beacon round 2 at height 15", action: "beacon", height: 15, output: toHex(out2) });
  h.endBlocks(8, 15);
  steps.push({ name: "blocks 8-15 end", action: "endBlocks", from: 8, to: 15, status: status() });
  const verifier = tasks.get(h.store(), t.taskId)!.verifier;
  const id = { taskId: t.taskId };
  const idJson = { taskId: toHex(t.taskId) };
  call("dispute by the executor", 16, t.executor, "dispute", id, idJson);
  call("dispute by the verifier", 16, verifier, "dispute", id, idJson);
  const panel = disputes.get(h.store(), t.taskId)!.panel;
  call("vote by the verifier again", 17, verifier, "vote", { ...id, fraud: 0 }, { ...idJson, fraud: 0 });
  call(
    "panel seat 1 votes out of tolerance",
    17,
    panel[1]!.address,
    "vote",
    { ...id, fraud: 1 },
    { ...idJson, fraud: 1 },
  );
  call(
    "panel seat 2 votes out of tolerance",
    17,
    panel[2]!.address,
    "vote",
    { ...id, fraud: 1 },
    { ...idJson, fraud: 1 },
  );
  return {
    beaconOutput: toHex(beacon),
    weights: WEIGHTS.map(String),
    taskId: toHex(t.taskId),
    verifier: toHex(verifier),
    panel: panel.map((p) => ({ address: toHex(p.address), weight: p.weight.toString() })),
    steps,
  };
}

const files = vectorFiles();
files.write("spec/vectors/tasks/tolerance.json", {
  kind: "task-tolerance",
  description:
    "Tolerance class (spec/inference.md §Tolerance, spec/tasks.md §Disputes): the float model's filesHash; binomial tails P(X ≥ k); sampling picks from log-softmax rows (vocab 8); judgments of claimed positions (token, nll and top-5 in micro-nats) against re-run rows with τ 0.02, τ_gross 1, ε 0.01, p0 0.02, α 0.001 (pValue to 1e-9 relative); a dispute on the tasks module with validators 0-5 of the dev mnemonic at weight 100, intermediary dev 0, beacon round 1 at height 5 (output 0x33…), round 2 at height 15 (0x44…), the task of answeredTask serial 9 signed by apiKey: each call's refusal ('' = accepted) and the task status after it.",
  apiKey: toHex(API_KEY),
  files: FLOAT_MODEL.files.map((f) => ({ name: f.name, sha256: toHex(f.sha256) })),
  filesHash: toHex(FLOAT_MODEL.weightsHash),
  binomial: [
    [16, 0, 0.02],
    [16, 1, 0.02],
    [16, 3, 0.02],
    [48, 5, 0.02],
    [4, 2, 0.02],
    [1, 1, 0.5],
  ].map(([n, k, p]) => ({ n, k, p, tail: binomialTail(n!, k!, p!) })),
  picks: picks(),
  judgments: judgments(),
  dispute: dispute(),
});
files.done();
