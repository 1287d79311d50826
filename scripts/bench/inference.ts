// bench:inference — the built-in model through a node's OpenAI API (official `openai` client,
// streamed) against the same generation run directly in this process, in the same run (target
// ≥ 0.8 of direct); time to first token p50/p99 at 10 and 50 concurrent streams; and the cost of
// verifying a task (teacher-forced re-run) against generating it.
// Usage: npm run bench:inference -- [--tokens 48] [--requests 8]
import { parseArgs } from "node:util";
import OpenAI from "openai";
import { ExactModel, generate, verifyGeneration } from "../../src/inference/index.ts";
import { startNode } from "../../test/helpers/process.ts";

const { values } = parseArgs({
  options: { tokens: { type: "string", default: "48" }, requests: { type: "string", default: "8" } },
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

// Direct: the same requests (same seeds) in this process.
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

const node = await startNode({ blockTimeMs: 500 });
const client = new OpenAI({ baseURL: `${node.url}/v1`, apiKey: "bench", maxRetries: 0, timeout: 600_000 });
try {
  // Through the API, one stream at a time.
  let apiTokens = 0;
  t = performance.now();
  for (let i = 0; i < requests; i++) {
    const s = await client.chat.completions.create({
      model,
      messages,
      max_tokens: maxTokens,
      temperature: 0.8,
      seed: i,
      stream: true,
      stream_options: { include_usage: true },
    });
    for await (const ch of s) if (ch.usage) apiTokens += ch.usage.completion_tokens;
  }
  const apiSeconds = (performance.now() - t) / 1000;

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
  const at10 = await ttft(10);
  const at50 = await ttft(50);
  const direct = directTokens / directSeconds;
  const api = apiTokens / apiSeconds;
  process.stdout.write(
    `${JSON.stringify(
      {
        bench: "inference",
        model,
        tokensPerRequest: maxTokens,
        requests,
        apiTokensPerSec: +api.toFixed(1),
        directTokensPerSec: +direct.toFixed(1),
        ratio: +(api / direct).toFixed(3),
        target: "ratio ≥ 0.8",
        timeToFirstToken: [at10, at50],
        verificationOverGeneration: +(verifySeconds / directSeconds).toFixed(3),
        note: "one node process on this machine; direct runs in the bench process; the node generates on its main thread",
      },
      null,
      2,
    )}\n`,
  );
} finally {
  await node.stop();
}
