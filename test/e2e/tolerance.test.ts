// The tolerance class on real node processes (spec/inference.md §Float model, spec/tasks.md
// §Disputes): racecoin-float-tiny is loaded by every node from genesis/models with
// onnxruntime-node and served through the intermediary to the official `openai` client. Node 2
// answers with a smaller model (one layer: test switch), node 3 disputes every honest result it
// checks and votes "fraud" on every panel (test switch); a follower holds a tampered model.onnx
// and refuses to serve the model. Every checked task of the cheater is convicted by the panel's
// majority, no honest executor is, and the liar's disputes are cleared. Node 1 generates on an
// upstream `racecoin serve-model` (top-5 logprobs and token ids over its OpenAI API). The
// explorer's market page then shows a cycle's disputes with their panels and votes (Chromium,
// screenshots in test-artifacts/explorer/devnet-disputes-*).
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type OpenAI from "openai";
import { chromium } from "playwright-core";
import { FLOAT_MODEL, TaskStatus } from "../../contracts/index.ts";
import { FLOAT_TINY, floatModelFiles } from "../../scripts/floatModel.ts";
import { DEFAULT_MODELS_DIR } from "../../src/models/index.ts";
import { toHex } from "../../src/types/index.ts";
import { ARTIFACTS, assertLegibleLabels, CHROMIUM, openExplorer, WIDTHS } from "../helpers/browser.ts";
import { devAddresses } from "../helpers/chain.ts";
import { rpc, startNetwork, status, type TestNetwork, waitFor } from "../helpers/network.ts";
import { tempDir } from "../helpers/process.ts";
import { fundedClient } from "../helpers/tasks.ts";

const model = FLOAT_MODEL.id;
const messages = [{ role: "user" as const, content: "Tell me a story about the capital of France." }];
type TaskView = {
  taskId: string;
  executor: string;
  model: string;
  status: number;
  verifier: string;
  payer: string;
};

describe("tolerance-class model on a devnet (official openai client)", { timeout: 300_000 }, () => {
  let net: TestNetwork;
  let url: string;
  let client: OpenAI;
  let upstream: ChildProcess | undefined;
  let upstreamLog = "";
  const lower = (i: number) => toHex(devAddresses[i]!).toLowerCase();

  before(async () => {
    const copy = (dir: string) => {
      mkdirSync(join(dir, model), { recursive: true });
      for (const f of FLOAT_MODEL.files)
        copyFileSync(join(DEFAULT_MODELS_DIR, model, f.name), join(dir, model, f.name));
    };
    // Node 2's directory: the registered files, and a one-layer model to cheat with.
    const cheatDir = tempDir();
    copy(cheatDir);
    mkdirSync(join(cheatDir, `${model}-small`));
    for (const [name, bytes] of floatModelFiles(model, { ...FLOAT_TINY, layers: 1 }))
      writeFileSync(join(cheatDir, `${model}-small`, name), bytes);
    // The follower's directory: model.onnx with one bit flipped.
    const badDir = tempDir();
    copy(badDir);
    const onnx = readFileSync(join(badDir, model, "model.onnx"));
    onnx[onnx.length - 100]! ^= 1;
    writeFileSync(join(badDir, model, "model.onnx"), onnx);
    const serve = ["--serve-tasks"];
    // Node 1 generates on an upstream server (racecoin serve-model, as a GPU miner runs vLLM): the
    // top-5 logprobs and token ids come back over its OpenAI-compatible API.
    upstream = spawn(process.execPath, ["--import", "tsx", "src/cli/main.ts", "serve-model", "--port", "0"], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    upstream.stderr!.on("data", (d: Buffer) => {
      upstreamLog += d.toString();
    });
    const upstreamUrl = await new Promise<string>((resolve, reject) => {
      let out = "";
      upstream!.stdout!.on("data", (d: Buffer) => {
        out += d.toString();
        const m = /serving (\S+) at (http:\S+\/v1)/.exec(out);
        if (m) resolve(m[2]!);
      });
      upstream!.once("exit", (code) => reject(new Error(`serve-model exited with ${code}: ${upstreamLog}`)));
    });
    net = await startNetwork(
      [
        { validator: 0, args: serve },
        { validator: 1, args: [...serve, "--inference-upstream", upstreamUrl] },
        {
          validator: 2,
          args: [...serve, "--models-dir", cheatDir],
          env: { RACECOIN_TASK_CHEAT: "small-model" },
        },
        { validator: 3, args: serve, env: { RACECOIN_TASK_CHEAT: "lie" } },
        { validator: -1, args: ["--models-dir", badDir] },
      ],
      { blockTimeMs: 400 },
    );
    url = net.nodes[0]!.url;
    client = await fundedClient(url, model, 60_000);
  });
  after(async () => {
    await net?.stop();
    upstream?.kill();
  });

  it("lists both classes; chat and completions, plain and streamed, with token bytes in logprobs", async () => {
    const list = await client.models.list();
    const float = list.data.find((m) => m.id === model) as unknown as {
      verification: string;
      weights_hash: string;
    };
    assert.equal(float.verification, "tolerance");
    assert.equal(float.weights_hash, toHex(FLOAT_MODEL.weightsHash));
    assert.ok(list.data.some((m) => m.id === "racecoin-exact-tiny"));
    const r = await client.chat.completions.create({
      model,
      messages,
      max_tokens: 16,
      temperature: 0.8,
      seed: 3,
      logprobs: true,
    });
    const c = r.choices[0]!;
    assert.ok(c.finish_reason === "length" || c.finish_reason === "stop");
    const lps = c.logprobs!.content!;
    assert.equal(lps.length, r.usage!.completion_tokens);
    const bytes = Buffer.from(lps.flatMap((t) => t.bytes!));
    assert.equal(bytes.toString("utf8"), c.message.content, "the tokens' bytes are the text");
    assert.ok(lps.every((t) => t.logprob <= 0));
    // BPE: fewer prompt tokens than prompt bytes.
    const promptBytes = Buffer.byteLength("user: Tell me a story about the capital of France.\nassistant: ");
    assert.ok(
      r.usage!.prompt_tokens < promptBytes,
      `${r.usage!.prompt_tokens} tokens for ${promptBytes} bytes`,
    );
    const stream = await client.chat.completions.create({
      model,
      messages,
      max_tokens: 16,
      temperature: 0.8,
      seed: 3,
      stream: true,
      stream_options: { include_usage: true },
    });
    const chunks = [];
    for await (const ch of stream) chunks.push(ch);
    assert.equal(chunks[0]!.choices[0]!.delta.role, "assistant");
    assert.deepEqual(chunks[chunks.length - 1]!.choices, []);
    assert.equal(chunks[chunks.length - 1]!.usage!.prompt_tokens, r.usage!.prompt_tokens);
    const done = await client.completions.create({
      model,
      prompt: "Once upon a time",
      max_tokens: 8,
      temperature: 0,
    });
    assert.equal(done.object, "text_completion");
  });

  it("each serving node declared on chain the models it loaded (tasks.md §Serving)", async () => {
    const cycle = Math.floor((await status(url)).height / 60) + 1;
    for (let i = 0; i < 4; i++) {
      const d = await rpc<{ declared: number; models: string[] }>(url, "tasks_serving", [
        { address: lower(i), cycle },
      ]);
      assert.equal(d.declared, 1, `node ${i} declared`);
      assert.deepEqual([...d.models].sort(), ["racecoin-exact-tiny", model].sort(), `node ${i}'s models`);
    }
  });

  it("a node whose model files differ from the registry does not serve the model, and says why", async () => {
    const follower = net.nodes[4]!.url;
    const list = (await (await fetch(`${follower}/v1/models`)).json()) as { data: { id: string }[] };
    assert.deepEqual(
      list.data.map((m) => m.id),
      ["racecoin-exact-tiny"],
    );
    const res = await fetch(`${follower}/v1/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer rk_${"22".repeat(32)}`, "content-type": "application/json" },
      body: JSON.stringify({ model, messages }),
    });
    assert.equal(res.status, 503);
    const err = ((await res.json()) as { error: { code: string; message: string } }).error;
    assert.equal(err.code, "model_not_served");
    assert.match(err.message, /model\.onnx hashes to 0x[0-9a-f]{64}, the registry says 0x[0-9a-f]{64}/);
  });

  it("the smaller model is convicted whenever checked, by the panel's majority; the liar's disputes are cleared", async () => {
    const total = 45;
    let sent = 0;
    const worker = async () => {
      for (;;) {
        const k = sent++;
        if (k >= total) return;
        await client.completions.create({
          model,
          prompt: `Request ${k}: tell me about`,
          max_tokens: 16,
          temperature: 0.8,
          seed: k,
        });
      }
    };
    await Promise.all([worker(), worker(), worker()]);
    const all = async () => {
      const cycle = Math.floor((await rpc<{ height: number }>(url, "chain_getStatus")).height / 60);
      const views = await Promise.all(
        Array.from({ length: cycle + 1 }, (_, c) =>
          rpc<{ tasks: TaskView[] }>(url, "tasks_cycle", [{ cycle: c }]),
        ),
      );
      return views.flatMap((v) => v.tasks).filter((t) => t.model === model);
    };
    const open = [
      TaskStatus.settled,
      TaskStatus.checking,
      TaskStatus.withheld,
      TaskStatus.disputed,
    ] as number[];
    await waitFor(
      "every tolerance task settled and its check resolved",
      async () => {
        const ts = await all();
        return ts.length >= total && ts.every((t) => !open.includes(t.status));
      },
      150_000,
    );
    const tasks = await all();
    const checked = tasks.filter((t) => t.status !== TaskStatus.unchecked && t.status !== TaskStatus.expired);
    const cheater = checked.filter((t) => t.executor === lower(2));
    const honest = checked.filter((t) => t.executor !== lower(2));
    const count = (ts: TaskView[], s: number) => ts.filter((t) => t.status === s).length;
    console.log(
      `# ${tasks.length} tolerance tasks; cheater checked ${cheater.length}, convicted ${count(cheater, TaskStatus.fraud)}; honest checked ${honest.length}: verified ${count(honest, TaskStatus.verified)}, cleared after a dispute ${count(honest, TaskStatus.cleared)}, convicted ${count(honest, TaskStatus.fraud)}`,
    );
    for (const t of cheater.filter((x) => x.status !== TaskStatus.fraud))
      for (const n of net.nodes)
        for (const line of n.output().split("\n"))
          if (line.includes(t.taskId)) console.log(`# ${t.status} ${line.slice(0, 400)}`);
    assert.ok(cheater.length > 0, "the cheater was checked");
    assert.equal(count(cheater, TaskStatus.fraud), cheater.length, "convicted whenever checked");
    assert.equal(count(honest, TaskStatus.fraud), 0, "no honest executor convicted");
    const liarDisputes = honest.filter((t) => t.verifier === lower(3));
    assert.ok(liarDisputes.length > 0, "the liar checked honest tasks");
    assert.ok(
      liarDisputes.every((t) => t.status === TaskStatus.cleared),
      "every lying dispute is cleared",
    );
    assert.ok(honest.filter((t) => t.verifier !== lower(3)).every((t) => t.status === TaskStatus.verified));
    const cycle = Math.floor((await rpc<{ height: number }>(url, "chain_getStatus")).height / 60);
    let overruled = 0;
    for (let c = 0; c <= cycle; c++)
      overruled += (
        await rpc<{ overruled: number }>(url, "tasks_verifier", [{ address: lower(3), cycle: c }])
      ).overruled;
    assert.ok(overruled >= liarDisputes.length, `the liar was overruled ${overruled} times`);
    // Node 1's answers came from the upstream server, and they passed every check.
    const upstreamCalls = upstreamLog.split("\n").filter((l) => l.includes("POST /v1/completions")).length;
    const viaUpstream = tasks.filter((t) => t.executor === lower(1));
    console.log(
      `# upstream: ${upstreamCalls} completions generated by serve-model; node 1 ran ${viaUpstream.length} tasks`,
    );
    assert.ok(upstreamCalls > 0 && viaUpstream.length > 0);
    assert.ok(viaUpstream.every((t) => t.status !== TaskStatus.fraud));
    const ex = await rpc<{ reputation: number; fraud: string }>(url, "tasks_executor", [
      { address: lower(2), cycle: cycle },
    ]);
    assert.equal(ex.reputation, 0);
  });

  it("the explorer's market page shows each dispute's panel and votes (screenshots at 390 and 1280 px)", {
    skip: CHROMIUM ? false : "no chromium installed (apt-get install chromium)",
  }, async () => {
    const head = Math.floor((await rpc<{ height: number }>(url, "chain_getStatus")).height / 60);
    const judged: number[] = [TaskStatus.fraud, TaskStatus.disputed, TaskStatus.cleared];
    let cycle = -1;
    let disputed = 0;
    for (let c = head; c >= 0 && cycle < 0; c--) {
      const { tasks } = await rpc<{ tasks: TaskView[] }>(url, "tasks_cycle", [{ cycle: c }]);
      for (const t of tasks.filter((x) => judged.includes(x.status)))
        if (
          (await rpc<{ disputes: unknown[] }>(url, "tasks_dispute", [{ taskId: t.taskId }])).disputes.length >
          0
        )
          disputed++;
      if (disputed > 0) cycle = c;
    }
    assert.ok(cycle >= 0, "a cycle with disputes");
    mkdirSync(ARTIFACTS, { recursive: true });
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
    try {
      const page = await browser.newPage();
      for (const width of WIDTHS) {
        await page.setViewportSize({ width, height: 900 });
        await openExplorer(page, `${url}/explorer/#/market/${cycle}`, "table.dispute");
        assert.equal(await page.locator("table.dispute").count(), disputed, "every dispute of the cycle");
        assert.ok((await page.locator("table.dispute >> text=tolerance").count()) > 0, "the panel's votes");
        await assertLegibleLabels(page, `market at ${width}px`);
        await page.screenshot({ path: `${ARTIFACTS}/devnet-disputes-${width}.png`, fullPage: true });
      }
    } finally {
      await browser.close();
    }
  });
});
