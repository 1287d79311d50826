// bench:inference — the built-in model through the OpenAI API of a node that routes every request
// to another node over libp2p and relays its tokens (the market's intermediary; official `openai`
// client, streamed, paid from escrow with an API key) against the same generation run directly in
// this process, in the same run (target ≥ 0.8 of direct); time to first token p50/p99 at 10 and 50 concurrent streams; and the cost of
// verifying a task (teacher-forced re-run) against generating it.
// Usage: npm run bench:inference -- [--tokens 48] [--requests 8] [--streams 10,50] [--block-time-ms 500]

import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { FLOAT_MODEL } from "../../contracts/index.ts";
import { devnetGenesisJson } from "../../src/chain/index.ts";
import { ExactModel, generate, type TaskPayload, verifyGeneration } from "../../src/inference/index.ts";
import { DEFAULT_MODELS_DIR, floatSteps, HfModel, toleranceVerdict } from "../../src/models/index.ts";
import { toHex } from "../../src/types/index.ts";
import { startNetwork } from "../../test/helpers/network.ts";
import { tempDir } from "../../test/helpers/process.ts";
import { fundedClient } from "../../test/helpers/tasks.ts";
import { ratioOf, report } from "./report.ts";

const { values } = parseArgs({
  options: {
    tokens: { type: "string", default: "48" },
    requests: { type: "string", default: "8" },
    streams: { type: "string", default: "10,50" },
    "block-time-ms": { type: "string", default: "500" },
  },
});
const maxTokens = Number(values.tokens);
const requests = Number(values.requests);
const model = "racecoin-exact-tiny";
const messages = [{ role: "user" as const, content: "Tell me about the race." }];
const prompt = new TextEncoder().encode("user: Tell me about the race.\nassistant: ");
const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return +s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!.toFixed(1);
};

// Two validators: node 0 is the intermediary the client calls, node 1 the executor it draws.
const genesis = join(tempDir(), "genesis.json");
writeFileSync(genesis, JSON.stringify(devnetGenesisJson(2)));
const net = await startNetwork(
  [
    { validator: 0, args: ["--serve-tasks"] },
    { validator: 1, args: ["--serve-tasks"] },
  ],
  { genesis, blockTimeMs: Number(values["block-time-ms"]) },
);
const url = net.nodes[0]!.url;
const client = await fundedClient(url, model, 600_000);
// Direct: the same requests (same seeds) in this process, with the two nodes running beside it.
const m = new ExactModel();
let directTokens = 0;
let t = performance.now();
const generations = [];
for (let i = 0; i < requests; i++) {
  const g = generate(m, prompt, maxTokens, { temperatureMilli: 800, topPMilli: 1000, seed: BigInt(i) });
  directTokens += g.tokens.length;
  generations.push(g);
}
const directSeconds = (performance.now() - t) / 1000;
t = performance.now();
for (const [i, g] of generations.entries())
  if (
    verifyGeneration(m, prompt, g.tokens, { temperatureMilli: 800, topPMilli: 1000, seed: BigInt(i) }) !== -1
  )
    throw new Error("verification failed on an honest generation");
const verifySeconds = (performance.now() - t) / 1000;

// The tolerance-class model: a direct onnxruntime session (key/value cache) in this process.
const floatFiles = FLOAT_MODEL.files.map((f) => ({ name: f.name, sha256: toHex(f.sha256) }));
const fm = await HfModel.load(join(DEFAULT_MODELS_DIR, FLOAT_MODEL.id), FLOAT_MODEL.id, floatFiles);
const floatIds = fm.tokenizer.encode(new TextDecoder().decode(prompt));
const floatPayloads: TaskPayload[] = [];
let floatTokens = 0;
t = performance.now();
for (let i = 0; i < requests; i++) {
  const sampling = { temperatureMilli: 800, topPMilli: 1000, seed: BigInt(i) };
  const positions = [];
  const it = floatSteps(fm, floatIds, maxTokens, sampling);
  let step = await it.next();
  for (; !step.done; step = await it.next()) positions.push(step.value.position);
  floatTokens += positions.length - (step.value === "stop" ? 1 : 0);
  floatPayloads.push({
    prompt,
    maxTokens,
    ...sampling,
    tokens: new Uint8Array(0),
    finish: step.value,
    positions,
  });
}
const floatDirectSeconds = (performance.now() - t) / 1000;
t = performance.now();
for (const p of floatPayloads)
  if ((await toleranceVerdict(fm, p)).fraud)
    throw new Error("tolerance check failed on an honest generation");
const floatVerifySeconds = (performance.now() - t) / 1000;

try {
  // Through the API, one stream at a time.
  const throughApi = async (id: string) => {
    let tokens = 0;
    const start = performance.now();
    for (let i = 0; i < requests; i++) {
      const s = await client.chat.completions.create({
        model: id,
        messages,
        max_tokens: maxTokens,
        temperature: 0.8,
        seed: i,
        stream: true,
        stream_options: { include_usage: true },
      });
      for await (const ch of s) if (ch.usage) tokens += ch.usage.completion_tokens;
    }
    return tokens / ((performance.now() - start) / 1000);
  };
  const api = await throughApi(model);
  const floatApi = await throughApi(FLOAT_MODEL.id);

  const ttft = async (concurrent: number) => {
    const firsts = await Promise.all(
      Array.from({ length: concurrent }, async (_, i) => {
        const start = performance.now();
        const s = await client.chat.completions.create({
          model,
          messages,
          max_tokens: 16,
          temperature: 0.8,
          seed: 1000 + i,
          stream: true,
        });
        let first = Number.NaN;
        for await (const ch of s)
          if (Number.isNaN(first) && ch.choices[0]?.delta.content) first = performance.now() - start;
        return first;
      }),
    );
    const ok = firsts.filter((x) => !Number.isNaN(x));
    return { streams: concurrent, p50Ms: pct(ok, 50), p99Ms: pct(ok, 99) };
  };
  // The executor's own account of the single-stream requests: model compute against wall time.
  const answered = net.nodes[1]!.output()
    .split("\n")
    .filter((l) => l.includes("Task: answered"))
    .map((l) => JSON.parse(l) as { tokens: number; ms: number; computeMs: number })
    .slice(1, 1 + requests);
  const executorMs = answered.reduce((a, x) => a + x.ms, 0);
  const computeMs = answered.reduce((a, x) => a + x.computeMs, 0);
  const timeToFirstToken = [];
  for (const n of values.streams.split(",").map(Number)) timeToFirstToken.push(await ttft(n));
  const direct = directTokens / directSeconds;
  const floatDirect = floatTokens / floatDirectSeconds;
  report({
    bench: "inference",
    model,
    tokensPerRequest: maxTokens,
    requests,
    apiTokensPerSec: +api.toFixed(1),
    ceiling: { directTokensPerSec: +direct.toFixed(1) },
    ratio: ratioOf(api, direct),
    target: "ratio ≥ 0.8",
    timeToFirstToken,
    executor: { wallMs: executorMs, computeMs, computeShare: ratioOf(computeMs, executorMs) },
    verificationOverGeneration: ratioOf(verifySeconds, directSeconds),
    float: {
      model: FLOAT_MODEL.id,
      apiTokensPerSec: +floatApi.toFixed(1),
      directOnnxTokensPerSec: +floatDirect.toFixed(1),
      ratio: ratioOf(floatApi, floatDirect),
      relayMsPerToken: +(1000 / floatApi - 1000 / floatDirect).toFixed(2),
      verificationOverGeneration: ratioOf(floatVerifySeconds, floatDirectSeconds),
    },
    note: "two node processes on this machine: node 0 routes every request over libp2p to node 1, which generates the exact model on its generation thread and the float model with onnxruntime from its main thread; direct runs in the bench process. relayMsPerToken: what routing adds per token (1/api − 1/direct); a model slower than 4 × that per token reaches 0.8 through the relay",
  });
} finally {
  await net.stop();
}
