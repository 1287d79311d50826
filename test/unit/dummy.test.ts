// Indistinguishable dummy tasks (spec/tasks.md §Dummy tasks): a classifier built from what an
// executor sees — the payload's shape and text, arrival timing, and the paying account's history
// (tasks it has paid for so far) — is trained on half of ≥ 200 mixed requests and scored on the
// other half. Against the traffic model's dummies it does no better than chance; against a naive
// generator (random bytes of the same length) the same classifier is nearly perfect, so it has the
// power to tell when there is something to tell.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type RequestShape, TrafficModel } from "../../src/services/index.ts";

/** Seeded PRNG (mulberry32). */
function prng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// "Real" developer traffic for the test: chat prompts from templates and a vocabulary.
const SYSTEMS = ["You are terse.", "You are a helpful assistant.", "Answer in one line.", "Be precise."];
const ASKS = [
  "Summarise the race for me.",
  "What is the price per unit of compute?",
  "Explain proof of work in one sentence.",
  "Write a haiku about validators.",
  "Translate hello into French.",
  "List three uses of a random beacon.",
  "How do I verify a proof?",
  "Give me a name for a node.",
  "What does the intermediary do?",
  "Why are rewards held in escrow?",
];
function realRequest(rand: () => number): RequestShape {
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rand() * xs.length)]!;
  const turns = 1 + Math.floor(rand() * 2);
  let text = `system: ${pick(SYSTEMS)}\n`;
  for (let i = 0; i < turns; i++)
    text += `user: ${pick(ASKS)}\n${i + 1 < turns ? `assistant: ${pick(ASKS)}\n` : ""}`;
  return {
    prompt: new TextEncoder().encode(`${text}assistant: `),
    maxTokens: pick([16, 32, 64, 64, 128]),
    temperatureMilli: pick([0, 700, 1000, 1000]),
    topPMilli: pick([1000, 1000, 900]),
  };
}

interface Seen {
  shape: RequestShape;
  gapMs: number;
  payerTasks: number;
  dummy: boolean;
}

/** What an executor can measure of a task. */
function features(s: Seen, vocabulary: Set<string>): number[] {
  const p = s.shape.prompt;
  const text = new TextDecoder().decode(p);
  const words = text.split(/\s+/).filter(Boolean);
  const letters = [...text].filter((c) => /[a-z]/i.test(c)).length;
  return [
    p.length,
    letters / Math.max(1, p.length),
    (text.match(/\n/g) ?? []).length,
    words.length,
    words.filter((w) => vocabulary.has(w)).length / Math.max(1, words.length),
    text.startsWith("system: ") ? 1 : 0,
    text.endsWith("assistant: ") ? 1 : 0,
    (text.match(/user: /g) ?? []).length,
    s.shape.maxTokens,
    s.shape.temperatureMilli,
    s.shape.topPMilli,
    s.gapMs,
    s.payerTasks,
  ];
}

/** Logistic regression on standardised features, by gradient descent. */
function train(xs: number[][], ys: number[]) {
  const d = xs[0]!.length;
  const mean = Array.from({ length: d }, (_, j) => xs.reduce((t, x) => t + x[j]!, 0) / xs.length);
  const sd = Array.from(
    { length: d },
    (_, j) => Math.sqrt(xs.reduce((t, x) => t + (x[j]! - mean[j]!) ** 2, 0) / xs.length) || 1,
  );
  const z = (x: number[]) => x.map((v, j) => (v - mean[j]!) / sd[j]!);
  const w = new Array<number>(d + 1).fill(0);
  const score = (x: number[]) => z(x).reduce((t, v, j) => t + v * w[j]!, w[d]!);
  for (let epoch = 0; epoch < 400; epoch++) {
    const g = new Array<number>(d + 1).fill(0);
    xs.forEach((x, i) => {
      const err = 1 / (1 + Math.exp(-score(x))) - ys[i]!;
      z(x).forEach((v, j) => {
        g[j]! += err * v;
      });
      g[d]! += err;
    });
    for (let j = 0; j <= d; j++) w[j]! -= (0.5 * g[j]!) / xs.length;
  }
  return (x: number[]) => (score(x) > 0 ? 1 : 0);
}

function experiment(dummyOf: (rand: () => number, model: TrafficModel) => RequestShape, seed: number) {
  const rand = prng(seed);
  const model = new TrafficModel(rand);
  const vocabulary = new Set<string>();
  // The node relays 300 real requests and learns from them; an executor sees their words too.
  let observedPayer = 0;
  let observedLeft = 0;
  for (let i = 0; i < 300; i++) {
    const r = realRequest(rand);
    if (observedLeft <= 0) {
      observedLeft = 1 + Math.floor(-Math.log(1 - rand()) * 19);
      observedPayer++;
    }
    observedLeft--;
    model.observe(r, `developer ${observedPayer}`);
    for (const w of new TextDecoder().decode(r.prompt).split(/\s+/)) if (w) vocabulary.add(w);
  }
  // 300 mixed tasks: Poisson arrivals at the same rate for both kinds; a real developer pays for a
  // geometric number of tasks (mean 20) from one account, a dummy account for as many as the model
  // learned developers' keys pay for.
  const seen: Seen[] = [];
  let realPayer = 0;
  let realLeft = 0;
  let dummyPayerTasks = 0;
  let dummyLeft = 0;
  for (let i = 0; i < 300; i++) {
    const dummy = rand() < 0.5;
    const gapMs = -Math.log(1 - rand()) * 2000;
    if (dummy) {
      if (dummyLeft <= 0) {
        dummyLeft = model.accountTasks();
        dummyPayerTasks = 0;
      }
      dummyLeft--;
      dummyPayerTasks++;
      seen.push({ shape: dummyOf(rand, model), gapMs, payerTasks: dummyPayerTasks, dummy });
    } else {
      if (realLeft <= 0) {
        realLeft = 1 + Math.floor(-Math.log(1 - rand()) * 19);
        realPayer = 0;
      }
      realLeft--;
      realPayer++;
      seen.push({ shape: realRequest(rand), gapMs, payerTasks: realPayer, dummy });
    }
  }
  const xs = seen.map((s) => features(s, vocabulary));
  const ys = seen.map((s) => (s.dummy ? 1 : 0));
  const classify = train(xs.slice(0, 150), ys.slice(0, 150));
  const hits = xs.slice(150).filter((x, i) => classify(x) === ys[150 + i]).length;
  const n = 150;
  const acc = hits / n;
  const half = 1.96 * Math.sqrt((acc * (1 - acc)) / n);
  return { acc, lo: acc - half, hi: acc + half, n };
}

describe("indistinguishable dummy tasks", () => {
  it("a classifier on what an executor sees does no better than chance; it does catch a naive generator", () => {
    const results = [1, 2, 3].map((seed) => experiment((_, m) => m.sample()!, seed));
    const pooledAcc = results.reduce((t, r) => t + r.acc, 0) / results.length;
    const n = results.reduce((t, r) => t + r.n, 0);
    const half = 1.96 * Math.sqrt((pooledAcc * (1 - pooledAcc)) / n);
    console.log(
      `# dummy vs real: accuracy ${results.map((r) => r.acc.toFixed(3)).join(", ")}; pooled ${pooledAcc.toFixed(3)} ± ${half.toFixed(3)} over ${n} test tasks (chance 0.5)`,
    );
    assert.ok(
      pooledAcc - half <= 0.5,
      `no better than chance (${pooledAcc.toFixed(3)} ± ${half.toFixed(3)})`,
    );
    const naive = experiment((rand, m) => {
      const base = m.sample()!;
      return { ...base, prompt: Uint8Array.from(base.prompt, () => 32 + Math.floor(rand() * 95)) };
    }, 4);
    console.log(
      `# naive random-text dummies: accuracy ${naive.acc.toFixed(3)} (${naive.lo.toFixed(3)}–${naive.hi.toFixed(3)})`,
    );
    assert.ok(naive.acc > 0.9, "the classifier has the power to catch a poor generator");
  });
});
