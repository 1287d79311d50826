// The OpenAI-compatible API of a node process, driven by the official `openai` npm client with
// only baseURL and apiKey set: model list, plain and streamed chat completions (chunk shapes,
// role first, finish_reason last, usage, [DONE]), completions, determinism from the seed, exact
// teacher-forced verification of what the node returned, and errors in OpenAI's shape.
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import OpenAI from "openai";
import { ExactModel, verifyGeneration } from "../../src/inference/index.ts";
import { type NodeProcess, startNode, tempDir } from "../helpers/process.ts";

describe("OpenAI-compatible API", { timeout: 120_000 }, () => {
  let node: NodeProcess;
  let client: OpenAI;
  const model = "racecoin-exact-tiny";
  const messages = [
    { role: "system" as const, content: "You are terse." },
    { role: "user" as const, content: "Say something." },
  ];

  before(async () => {
    node = await startNode({ blockTimeMs: 250 });
    client = new OpenAI({ baseURL: `${node.url}/v1`, apiKey: "racecoin-dev" });
  });
  after(async () => {
    await node?.stop();
  });

  it("lists the built-in model", async () => {
    const list = await client.models.list();
    const ids = list.data.map((m) => m.id);
    assert.deepEqual(ids, [model]);
    const m = (await client.models.retrieve(model)) as unknown as {
      weights_hash: string;
      verification: string;
    };
    assert.equal(m.weights_hash, new ExactModel().spec.weightsHash, "the node serves the registry's weights");
    assert.equal(m.verification, "exact");
    // The price per unit of compute is chain state (genesis default 1 gwei), read over JSON-RPC.
    const price = await fetch(node.url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "models_price", params: [{ cycle: 0 }] }),
    });
    assert.equal(((await price.json()) as { result: { unitPrice: string } }).result.unitPrice, "1000000000");
  });

  it("plain chat completion: shape, usage, and an exact re-run reproduces every token", async () => {
    const r = await client.chat.completions.create({
      model,
      messages,
      max_tokens: 24,
      temperature: 0.8,
      seed: 7,
      logprobs: true,
    });
    assert.equal(r.object, "chat.completion");
    assert.match(r.id, /^chatcmpl-/);
    const c = r.choices[0]!;
    assert.equal(c.message.role, "assistant");
    assert.equal(typeof c.message.content, "string");
    assert.ok(c.finish_reason === "length" || c.finish_reason === "stop");
    assert.equal(r.usage!.total_tokens, r.usage!.prompt_tokens + r.usage!.completion_tokens);
    assert.ok(r.usage!.completion_tokens > 0 && r.usage!.completion_tokens <= 24);
    const again = await client.chat.completions.create({
      model,
      messages,
      max_tokens: 24,
      temperature: 0.8,
      seed: 7,
    });
    assert.equal(
      again.choices[0]!.message.content,
      c.message.content,
      "same request, same seed: same answer",
    );
    // A verifier re-runs the model teacher-forced over what was returned (bytes are the tokens).
    const prompt = new TextEncoder().encode("system: You are terse.\nuser: Say something.\nassistant: ");
    assert.equal(r.usage!.prompt_tokens, prompt.length);
    // Each token's byte comes with its logprob (the text alone may hold bytes that are not UTF-8).
    const lps = c.logprobs!.content!;
    assert.equal(lps.length, r.usage!.completion_tokens);
    assert.ok(lps.every((t) => t.bytes!.length === 1 && t.logprob <= 0));
    const tokens = lps.map((t) => t.bytes![0]!);
    const sampling = { temperatureMilli: 800, topPMilli: 1000, seed: 7n };
    assert.equal(verifyGeneration(new ExactModel(), prompt, tokens, sampling), -1);
    assert.equal(
      verifyGeneration(new ExactModel(), prompt, [tokens[0]! ^ 1, ...tokens.slice(1)], sampling),
      0,
    );
  });

  it("streamed chat completion: role first, content deltas, finish_reason last, usage chunk, [DONE]", async () => {
    const stream = await client.chat.completions.create({
      model,
      messages,
      max_tokens: 24,
      temperature: 0.8,
      seed: 7,
      stream: true,
      stream_options: { include_usage: true },
    });
    const chunks = [];
    for await (const ch of stream) chunks.push(ch);
    assert.ok(chunks.length >= 3);
    for (const ch of chunks) assert.equal(ch.object, "chat.completion.chunk");
    assert.equal(chunks[0]!.choices[0]!.delta.role, "assistant");
    const last = chunks[chunks.length - 1]!;
    assert.deepEqual(last.choices, [], "the usage chunk has no choices");
    assert.ok(
      last.usage && last.usage.total_tokens === last.usage.prompt_tokens + last.usage.completion_tokens,
    );
    const finishing = chunks[chunks.length - 2]!.choices[0]!;
    assert.ok(finishing.finish_reason === "length" || finishing.finish_reason === "stop");
    assert.ok(chunks.slice(0, -2).every((ch) => ch.choices[0]!.finish_reason === null));
    const text = chunks.map((ch) => ch.choices[0]?.delta.content ?? "").join("");
    const plain = await client.chat.completions.create({
      model,
      messages,
      max_tokens: 24,
      temperature: 0.8,
      seed: 7,
    });
    assert.equal(text, plain.choices[0]!.message.content, "streamed and plain answers agree");
  });

  it("completions, plain and streamed", async () => {
    const r = await client.completions.create({ model, prompt: "Once upon", max_tokens: 8, temperature: 0 });
    assert.equal(r.object, "text_completion");
    assert.equal(typeof r.choices[0]!.text, "string");
    const s = await client.completions.create({
      model,
      prompt: "Once upon",
      max_tokens: 8,
      temperature: 0,
      stream: true,
    });
    let text = "";
    for await (const ch of s) text += ch.choices[0]?.text ?? "";
    assert.equal(text, r.choices[0]!.text);
  });

  it("errors in OpenAI's shape; nothing served for bad requests", async () => {
    await assert.rejects(client.chat.completions.create({ model: "gpt-4o", messages }), (e: unknown) => {
      assert.ok(e instanceof OpenAI.NotFoundError);
      assert.equal((e as InstanceType<typeof OpenAI.NotFoundError>).code, "model_not_found");
      return true;
    });
    await assert.rejects(
      client.chat.completions.create({ model, messages, temperature: 5 }),
      OpenAI.BadRequestError,
    );
    await assert.rejects(client.chat.completions.create({ model, messages: [] }), OpenAI.BadRequestError);
    await assert.rejects(
      client.chat.completions.create({ model, messages: [{ role: "user", content: "x".repeat(300) }] }),
      (e: unknown) =>
        e instanceof OpenAI.BadRequestError && (e as { code?: string }).code === "context_length_exceeded",
    );
    const raw = await fetch(`${node.url}/v1/chat/completions`, { method: "POST", body: "{oops" });
    assert.equal(raw.status, 400);
    assert.match(((await raw.json()) as { error: { message: string } }).error.message, /not valid JSON/);
    // The JSON-RPC side is untouched.
    const rpc = await fetch(node.url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_chainId" }),
    });
    assert.equal(((await rpc.json()) as { result: string }).result, "0x11a4e");
  });

  it("a node whose registry lists other weights for the model does not serve it", async () => {
    const { devnetGenesisJson } = await import("../../src/chain/index.ts");
    const json = devnetGenesisJson(1) as Record<string, unknown>;
    json.modules = {
      models: {
        models: [
          {
            id: model,
            weightsHash: `0x${"11".repeat(32)}`,
            contextLength: 256,
            unitsPerToken: 1,
            verification: "exact",
          },
        ],
      },
    };
    const file = join(tempDir(), "genesis.json");
    writeFileSync(file, JSON.stringify(json));
    const other = await startNode({ genesis: file, blockTimeMs: 250 });
    try {
      const c = new OpenAI({ baseURL: `${other.url}/v1`, apiKey: "x" });
      assert.deepEqual((await c.models.list()).data, []);
      await assert.rejects(c.chat.completions.create({ model, messages }), (e: unknown) => {
        assert.ok(e instanceof OpenAI.APIError && e.status === 503);
        assert.match((e as Error).message, /hash to 0x[0-9a-f]{64}, the registry says 0x1111/);
        return true;
      });
    } finally {
      await other.stop();
    }
  });
});
