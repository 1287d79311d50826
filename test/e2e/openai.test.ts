// The inference market on four real node processes, driven by the official `openai` npm client
// with only baseURL and apiKey set. The developer (dev account 7) deposits into task escrow and
// authorizes an API key from its wallet (ethers). Node 0 is the intermediary the client calls; it
// draws the executor by weight, forwards over libp2p and relays the tokens.
//
// Cycle 1, everyone honest: model list, plain and streamed chat completions (chunk shapes, usage,
// [DONE]), completions, exact re-runs of what came back, errors in OpenAI's shape.
// From cycle 2, node 1 refuses three tasks in four, node 2 answers one wrong token per task and
// withholds half its payloads, node 3 reports honest executors as withholding (test-only switches); node 0 also sends dummy
// tasks. Over ≥ 200 requests: executor draws follow the weights (χ², recomputed from chain data),
// the intermediary never executes, refused tasks are redrawn, escrow falls by exactly the settled
// fees, every check draw is recomputed from the beacon and the rate matches the reputation rule,
// settlement takes far fewer transactions than tasks, the cheater is convicted whenever checked
// and no honest executor ever is, and the lying verifier is overruled. Then user reports (upheld
// and rejected), every released reward traced per cycle with the supply invariant sampled, the
// explorer's market, rewards and models pages over this run's data in headless Chromium
// (screenshots in test-artifacts/explorer/devnet-*), and bad receipts refused.
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import OpenAI from "openai";
import { chromium } from "playwright-core";
import {
  authorizeKeyArgs,
  checkDrawn,
  routedExecutor,
  settleArgs,
  TaskSettled,
  TaskStatus,
  taskAmountArgs,
  taskKeyArgs,
  taskPayloadArgs,
} from "../../contracts/index.ts";
import { devnetGenesisJson } from "../../src/chain/index.ts";
import { privateKeyToAddress, randomPrivateKey } from "../../src/crypto/index.ts";
import { ExactModel, signReceipt, type TaskPayload, verifyGeneration } from "../../src/inference/index.ts";
import { TASKS_MODULE_ADDRESS } from "../../src/params/index.ts";
import { fromHex, toHex } from "../../src/types/index.ts";
import { ARTIFACTS, assertLegibleLabels, CHROMIUM, openExplorer, WIDTHS } from "../helpers/browser.ts";
import { devAddresses, devKeys } from "../helpers/chain.ts";
import { rpc, startNetwork, status, type TestNetwork, waitFor } from "../helpers/network.ts";
import { startNode, tempDir } from "../helpers/process.ts";
import { envelope, tasksCall, waitForRouting } from "../helpers/tasks.ts";

type TaskView = {
  taskId: string;
  executor: string;
  intermediary: string;
  fee: string;
  cycle: number;
  status: number;
  verifier: string;
  drawRound: number;
  checkMilli: number;
  payer: string;
  round: number;
  attempt: number;
};

const model = "racecoin-exact-tiny";
const messages = [
  { role: "system" as const, content: "You are terse." },
  { role: "user" as const, content: "Say something." },
];
const CYCLE = 60;
/** Block time of the market's devnet (300 ms: the five cycles it runs take ~90 s of blocks). */
const BLOCK_MS = 300;
/** Requests the API checks answer before the measured run (first routed, plain, streamed, 2 completions). */
const API_CHECK_TASKS = 5;
const DEPOSIT = 10n ** 20n; // 100 ETH
const LIMIT = 5n * 10n ** 19n;

describe("inference market on a devnet (official openai client)", { timeout: 420_000 }, () => {
  let net: TestNetwork;
  let url: string;
  let client: OpenAI;
  const apiKey = randomPrivateKey();
  const keyAddress = privateKeyToAddress(apiKey);
  let upstream: ChildProcess | undefined;
  let upstreamLog = "";
  const developer = devAddresses[7]!;
  const lower = (i: number) => toHex(devAddresses[i]!).toLowerCase();
  let supplySamples = 0;
  /** The supply invariant at the current head (rewards.md §Supply), sampled while tests wait. */
  const sampleSupply = async () => {
    const supply = await rpc<{ holds: boolean; height: number }>(url, "chain_getSupply");
    assert.ok(supply.holds, `supply invariant at height ${supply.height}`);
    supplySamples++;
  };
  const paidByDeveloper = (t: TaskView) => t.payer === toHex(developer).toLowerCase();
  const resolved = (t: TaskView) =>
    t.status !== TaskStatus.settled && t.status !== TaskStatus.checking && t.status !== TaskStatus.withheld;

  before(async () => {
    const json = devnetGenesisJson(4) as Record<string, unknown>;
    // Reputation reaches its ceiling in two honest cycles, so one run shows the whole curve.
    // Every drawn check brings a honeypot (two a block at most), so node 1's rubber stamps show.
    json.modules = { tasks: { maxReputation: 2, minCheckMilli: 250, honeypotMilli: 1000 } };
    const genesis = join(tempDir(), "genesis.json");
    writeFileSync(genesis, JSON.stringify(json));
    const serve = ["--serve-tasks"];
    // Node 0 also sends dummy tasks shaped like the requests it relays, paid by fresh accounts
    // funded from dev account 8.
    const fundFile = join(tempDir(), "fund-key");
    writeFileSync(fundFile, toHex(devKeys[8]!));
    // Node 3 generates on an upstream OpenAI-compatible server, as GPU miners run vLLM.
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
        const m = /serving \S+ at (http:\S+\/v1)/.exec(out);
        if (m) resolve(m[1]!);
      });
      upstream!.once("exit", (code) => reject(new Error(`serve-model exited with ${code}: ${upstreamLog}`)));
    });
    net = await startNetwork(
      [
        { validator: 0, args: [...serve, "--dummy-tasks", "20", "--dummy-fund-key", fundFile] },
        { validator: 1, args: serve, env: { RACECOIN_TASK_CHEAT: "flaky@2,lazy@2" } },
        { validator: 2, args: serve, env: { RACECOIN_TASK_CHEAT: "wrong-tokens@2,withhold@2" } },
        {
          validator: 3,
          args: [...serve, "--inference-upstream", upstreamUrl],
          env: { RACECOIN_TASK_CHEAT: "lie@2" },
        },
      ],
      { genesis, blockTimeMs: BLOCK_MS },
    );
    url = net.nodes[0]!.url;
    assert.equal(await tasksCall(url, devKeys[7]!, "deposit", taskAmountArgs, { amount: DEPOSIT }), 1);
    assert.equal(
      await tasksCall(url, devKeys[7]!, "authorizeKey", authorizeKeyArgs, { key: keyAddress, limit: LIMIT }),
      1,
    );
    client = new OpenAI({
      baseURL: `${url}/v1`,
      apiKey: `rk_${Buffer.from(apiKey).toString("hex")}`,
      maxRetries: 0,
    });
    // Executors are drawn from beacon output: the first round lands early in cycle 1.
    await waitForRouting(client, model, 90_000);
  });
  after(async () => {
    await net?.stop();
    upstream?.kill();
  });

  it("lists the built-in model and its price; API keys are checked on chain", async () => {
    const list = await client.models.list();
    assert.deepEqual(
      list.data.map((m) => m.id),
      [model, "racecoin-float-tiny"],
    );
    const m = (await client.models.retrieve(model)) as unknown as {
      weights_hash: string;
      verification: string;
    };
    assert.equal(m.weights_hash, new ExactModel().spec.weightsHash);
    assert.equal(m.verification, "exact");
    const price = await rpc<{ unitPrice: string }>(url, "models_price", [{ cycle: 0 }]);
    assert.equal(price.unitPrice, "1000000000");
    const stranger = new OpenAI({ baseURL: `${url}/v1`, apiKey: `rk_${"11".repeat(32)}`, maxRetries: 0 });
    await assert.rejects(stranger.chat.completions.create({ model, messages }), (e: unknown) => {
      assert.ok(e instanceof OpenAI.AuthenticationError);
      assert.match((e as Error).message, /not authorized on chain/);
      return true;
    });
    const garbled = new OpenAI({ baseURL: `${url}/v1`, apiKey: "sk-not-ours", maxRetries: 0 });
    await assert.rejects(garbled.chat.completions.create({ model, messages }), OpenAI.AuthenticationError);
  });

  it("plain chat completion through the intermediary: shape, usage, exact re-run, executor never the intermediary", async () => {
    const { data: r, response } = await client.chat.completions
      .create({ model, messages, max_tokens: 24, temperature: 0.8, seed: 7, logprobs: true })
      .withResponse();
    const executor = response.headers.get("x-racecoin-executor")!;
    assert.ok(executor && executor !== lower(0), "node 0 routed the task elsewhere");
    assert.equal(r.object, "chat.completion");
    const c = r.choices[0]!;
    assert.equal(c.message.role, "assistant");
    assert.ok(c.finish_reason === "length" || c.finish_reason === "stop");
    assert.equal(r.usage!.total_tokens, r.usage!.prompt_tokens + r.usage!.completion_tokens);
    const prompt = new TextEncoder().encode("system: You are terse.\nuser: Say something.\nassistant: ");
    assert.equal(r.usage!.prompt_tokens, prompt.length);
    const lps = c.logprobs!.content!;
    assert.equal(lps.length, r.usage!.completion_tokens);
    const tokens = lps.map((t) => t.bytes![0]!);
    const sampling = { temperatureMilli: 800, topPMilli: 1000, seed: 7n };
    const height = (await status(url)).height;
    // Everyone is honest in cycle 1 (the cheats start with cycle 2).
    if (height < 2 * CYCLE - 5 || executor !== lower(2))
      assert.equal(verifyGeneration(new ExactModel(), prompt, tokens, sampling), -1, "exact re-run agrees");
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
  });

  it("completions, plain and streamed", async () => {
    const r = await client.completions.create({ model, prompt: "Once upon", max_tokens: 8, temperature: 0 });
    assert.equal(r.object, "text_completion");
    const s = await client.completions.create({
      model,
      prompt: "Once upon",
      max_tokens: 8,
      temperature: 0,
      stream: true,
    });
    let text = "";
    for await (const ch of s) text += ch.choices[0]?.text ?? "";
    assert.equal(typeof text, "string");
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
    const raw = await fetch(`${url}/v1/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer rk_${Buffer.from(apiKey).toString("hex")}` },
      body: "{oops",
    });
    assert.equal(raw.status, 400);
    assert.match(((await raw.json()) as { error: { message: string } }).error.message, /not valid JSON/);
  });

  it("≥ 200 requests: weights, escrow, audited check draws, batched settlement, cheaters caught, liars overruled", async () => {
    // 240 requests paced over cycles 2–4 (cheats on), four at a time, so reputations have cycles to grow.
    await waitFor("cycle 2", async () => (await status(url)).height >= 2 * CYCLE, 60_000);
    const total = 240;
    const spacingMs = (3 * CYCLE * BLOCK_MS) / total;
    const t0 = Date.now();
    let sent = 0;
    let ok = 0;
    const executors = new Map<string, number>();
    const worker = async () => {
      for (;;) {
        const k = sent++;
        if (k >= total) return;
        const wait = t0 + k * spacingMs - Date.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        const { response } = await client.completions
          .create({ model, prompt: `request ${k}: `, max_tokens: 6, temperature: 0.7, seed: k })
          .withResponse();
        const e = response.headers.get("x-racecoin-executor")!;
        executors.set(e, (executors.get(e) ?? 0) + 1);
        ok++;
      }
    };
    await Promise.all([worker(), worker(), worker(), worker()]);
    assert.ok(ok >= 200, `${ok} requests answered`);
    // Settlement (every 10 blocks), the check draws (next beacon round) and the checks (≤ 1 cycle).
    const lastCycle = Math.floor((await status(url)).height / CYCLE);
    const all = async () => {
      const views = await Promise.all(
        Array.from({ length: lastCycle + 2 }, (_, c) =>
          rpc<{ tasks: TaskView[] }>(url, "tasks_cycle", [{ cycle: c }]),
        ),
      );
      return views.flatMap((v) => v.tasks);
    };
    await waitFor(
      "every answered task settled and its check resolved",
      async () => {
        await sampleSupply();
        const ts = (await all()).filter(paidByDeveloper);
        return ts.length >= ok + API_CHECK_TASKS && ts.every(resolved);
      },
      150_000,
    );
    // Dummy traffic goes on meanwhile: audit what has resolved.
    const tasks = (await all()).filter(resolved);
    const mine = tasks.filter(paidByDeveloper);
    assert.equal(mine.length, ok + API_CHECK_TASKS, "every answered request was settled once");
    // Dummy tasks ran beside them, paid by fresh accounts that are neither the developer nor the fund.
    const dummies = tasks.filter((t) => !paidByDeveloper(t));
    const payers = new Set(dummies.map((t) => t.payer));
    console.log(`# dummy tasks: ${dummies.length} from ${payers.size} fresh paying accounts`);
    assert.ok(
      dummies.length > 0 && !payers.has(lower(8)),
      "dummy tasks settled, never paid by the fund itself",
    );
    const run = tasks.filter((t) => t.cycle >= 2);
    // The intermediary never executes; frequencies follow the (equal) weights of nodes 1–3.
    assert.ok(tasks.every((t) => t.executor !== lower(0) && t.intermediary === lower(0)));
    // Executor choice, audited from chain data: each task's first draw recomputed from its beacon
    // round (the weights stay at genesis: nobody races here). Node 1 refuses three tasks in four from
    // cycle 2 (test switch), so those ran at attempt 1, drawn without it.
    const candidates = [0, 1, 2, 3].map((i) => ({ address: devAddresses[i]!, weight: 100n }));
    const outputOf = new Map<number, Uint8Array>();
    const first = new Map<string, number>();
    for (const t of run.filter(paidByDeveloper)) {
      if (!outputOf.has(t.round)) {
        const r = await rpc<{ rounds: { output: string }[] }>(url, "beacon_round", [{ round: t.round }]);
        outputOf.set(t.round, fromHex(r.rounds[0]!.output));
      }
      const draw = (a: number) =>
        toHex(
          routedExecutor(outputOf.get(t.round)!, fromHex(t.taskId), candidates, fromHex(t.intermediary), a)!,
        ).toLowerCase();
      assert.equal(draw(t.attempt), t.executor, "the executor is the draw the receipt names");
      if (t.attempt > 0) assert.equal(draw(0), lower(1), "only the flaky node's tasks were redrawn");
      first.set(draw(0), (first.get(draw(0)) ?? 0) + 1);
    }
    const counts = [1, 2, 3].map((i) => first.get(lower(i)) ?? 0);
    const n = counts.reduce((a, b) => a + b, 0);
    const chi2 = counts.reduce((s, o) => s + (o - n / 3) ** 2 / (n / 3), 0);
    const p = Math.exp(-chi2 / 2); // χ² survival function with 2 degrees of freedom
    const redrawn = run.filter((t) => paidByDeveloper(t) && t.attempt > 0).length;
    console.log(
      `# first draws ${JSON.stringify(counts)} over ${n} tasks: χ² = ${chi2.toFixed(2)}, p = ${p.toFixed(3)}; ${redrawn} redrawn from the flaky node; served per header ${JSON.stringify([1, 2, 3].map((i) => executors.get(lower(i)) ?? 0))}`,
    );
    assert.ok(p > 0.001, `executor draws follow the weights (p = ${p})`);
    assert.ok(redrawn > 0, "the flaky node's refusals were replaced, not lost");
    // Escrow falls by exactly the settled fees.
    const afterAcct = await rpc<{ escrow: string; keys: { spent: string }[] }>(url, "tasks_account", [
      { address: toHex(developer) },
    ]);
    const fees = mine.reduce((s, t) => s + BigInt(t.fee), 0n);
    assert.equal(BigInt(DEPOSIT) - BigInt(afterAcct.escrow), fees, "escrow fell by exactly the settled fees");
    assert.equal(BigInt(afterAcct.keys[0]!.spent), fees);
    // Every check draw recomputed from its beacon round; the rate follows the reputation rule.
    let expected = 0;
    let variance = 0;
    let checked = 0;
    const outputs = new Map<number, Uint8Array>();
    // Over every task drawn so far, resolved or not: a check still open counts as checked (leaving
    // open checks out would bias the count low).
    const drawnTasks = (await all()).filter((t) => t.drawRound > 0);
    for (const t of drawnTasks) {
      if (!outputs.has(t.drawRound)) {
        const r = await rpc<{ rounds: { output: string }[] }>(url, "beacon_round", [{ round: t.drawRound }]);
        outputs.set(t.drawRound, fromHex(r.rounds[0]!.output));
      }
      const isChecked = t.status !== TaskStatus.unchecked;
      assert.equal(
        checkDrawn(outputs.get(t.drawRound)!, fromHex(t.taskId), t.checkMilli),
        isChecked,
        "draw audited",
      );
      assert.ok([1000, 625, 250].includes(t.checkMilli), `rate ${t.checkMilli}‰ is on the curve`);
      const q = t.checkMilli / 1000;
      expected += q;
      variance += q * (1 - q);
      if (isChecked) checked++;
    }
    const rates = [...new Set(drawnTasks.map((t) => t.checkMilli))].sort();
    console.log(
      `# checks: ${checked} of ${drawnTasks.length} drawn tasks, expected ${expected.toFixed(1)} ± ${Math.sqrt(variance).toFixed(1)} (rates seen ‰: ${rates.join(", ")})`,
    );
    // Every draw is audited exactly above; the aggregate only guards the hash's uniformity (4σ).
    assert.ok(
      Math.abs(checked - expected) <= 4 * Math.sqrt(variance) + 1,
      `check count within 4σ of the rule (z = ${((checked - expected) / Math.sqrt(variance)).toFixed(2)})`,
    );
    assert.ok(
      rates.some((r) => r < 1000),
      "reputation grew and the check rate fell",
    );
    // Settlement in batches: distinct settle transactions against tasks.
    const logs = await rpc<{ transactionHash: string }[]>(url, "eth_getLogs", [
      {
        fromBlock: "0x0",
        toBlock: "latest",
        address: toHex(TASKS_MODULE_ADDRESS),
        topics: [toHex(TaskSettled.topic0)],
      },
    ]);
    const txs = new Set(logs.map((l) => l.transactionHash)).size;
    console.log(
      `# settlement: ${txs} transactions for ${logs.length} tasks (ratio ${(txs / logs.length).toFixed(3)})`,
    );
    assert.ok(logs.length >= tasks.length, "one TaskSettled log per settled task");
    assert.ok(txs * 4 <= logs.length, "settlement costs far fewer transactions than requests");
    // Node 3's answers came from its upstream server, and they verify like any exact answer.
    const viaUpstream = (upstreamLog.match(/POST \/v1\/completions/g) ?? []).length;
    console.log(`# upstream: ${viaUpstream} completions generated by serve-model for node 3`);
    assert.ok(
      viaUpstream > 0 && tasks.some((t) => t.executor === lower(3) && t.status === TaskStatus.verified),
    );
    // The cheater (node 2, from cycle 2) is convicted whenever checked; no honest executor ever is.
    const frauds = tasks.filter((t) => t.status === TaskStatus.fraud);
    assert.ok(frauds.length > 0, "the cheater was caught");
    assert.ok(
      frauds.every((t) => t.executor === lower(2)),
      "no honest executor convicted",
    );
    // Node 2 also withholds half its payloads: those are convicted when the withholding report
    // stands at the deadline, the others by the fraud proof a verifier re-runs.
    // A check drawn to node 1 (lazy: it stamps everything) passes the wrong answer instead.
    const byPath = { withheld: 0, proven: 0, stamped: 0 };
    for (const t of run)
      if (t.executor === lower(2) && t.cycle >= 3 && t.status !== TaskStatus.unchecked) {
        if (t.verifier === lower(1)) {
          byPath.stamped++;
          continue;
        }
        assert.equal(
          t.status,
          TaskStatus.fraud,
          "a wrong answer an honest verifier checked is always convicted",
        );
        if (fromHex(t.taskId)[0]! % 2 === 1) byPath.withheld++;
        else byPath.proven++;
      }
    console.log(
      `# cheater convicted: ${byPath.proven} by fraud proof, ${byPath.withheld} for a withheld payload; ${byPath.stamped} stamped by the lazy verifier`,
    );
    assert.ok(byPath.proven > 0 && byPath.withheld > 0, "both paths convict");
    const cheater = await rpc<{ reputation: number; forfeited: string; pending: string }>(
      url,
      "tasks_executor",
      [{ address: lower(2), cycle: frauds[0]!.cycle }],
    );
    assert.equal(cheater.pending, "0");
    assert.ok(BigInt(cheater.forfeited) > 0n, "its pending fees are forfeited");
    // The lying verifier (node 3) reported honest answers withheld; the executors published them.
    let overruled = 0;
    for (let c = 2; c <= lastCycle + 1; c++)
      overruled += (
        await rpc<{ overruled: number }>(url, "tasks_verifier", [{ address: lower(3), cycle: c }])
      ).overruled;
    const liarChecks = run.filter(
      (t) => t.verifier === lower(3) && t.executor !== lower(2) && t.status !== TaskStatus.unchecked,
    );
    console.log(
      `# lying verifier: ${overruled} claims overruled of ${liarChecks.length} honest tasks it checked`,
    );
    if (liarChecks.length > 0) assert.ok(overruled > 0, "the lying verifier is overruled");
    assert.ok(
      liarChecks.every((t) => t.status === TaskStatus.published),
      "each false claim answered on chain",
    );
  });

  it("user reports: upheld refunds the task and the report fee; rejected pays the report fee to the committee", async () => {
    // The client holds everything a re-run needs: its request and each token's byte (logprobs).
    const ask = async (seed: number) => {
      const { data, response } = await client.chat.completions
        .create({ model, messages, max_tokens: 8, temperature: 0.7, seed, logprobs: true })
        .withResponse();
      const c = data.choices[0]!;
      const payload: TaskPayload = {
        prompt: new TextEncoder().encode("system: You are terse.\nuser: Say something.\nassistant: "),
        maxTokens: 8,
        temperatureMilli: 700,
        topPMilli: 1000,
        seed: BigInt(seed),
        tokens: Uint8Array.from(c.logprobs!.content!.map((t) => t.bytes![0]!)),
        finish: c.finish_reason,
        positions: [],
      };
      return {
        taskId: response.headers.get("x-racecoin-task-id")!,
        executor: response.headers.get("x-racecoin-executor")!,
        payload,
      };
    };
    let wrong: Awaited<ReturnType<typeof ask>> | undefined;
    let honest: Awaited<ReturnType<typeof ask>> | undefined;
    // Node 3 answers honestly (it lies only as a verifier); node 1 refuses most tasks.
    const asked: string[] = [];
    for (let seed = 5000; seed < 5080 && !(wrong && honest); seed++) {
      const a = await ask(seed);
      asked.push(a.taskId);
      if (a.executor === lower(2)) wrong ??= a;
      if (a.executor === lower(3)) honest ??= a;
    }
    assert.ok(wrong && honest, "answers from the cheater and from an honest executor");
    const settled = (id: string) => async () =>
      (await rpc<{ tasks: TaskView[] }>(url, "tasks_task", [{ taskId: id }])).tasks[0];
    // Every task asked here settled first, so the escrow moves below only by the reports.
    await waitFor(
      "the tasks asked here settled",
      async () => {
        for (const id of asked) if (!(await settled(id)())) return false;
        return true;
      },
      60_000,
    );

    const escrow = async () =>
      BigInt((await rpc<{ escrow: string }>(url, "tasks_account", [{ address: toHex(developer) }])).escrow);
    type ReportView = { upheld: number; committee: string[]; reportFee: string; fee: string; reason: string };
    const reportOf = async (id: string) =>
      (await rpc<{ reports: ReportView[] }>(url, "tasks_report", [{ taskId: id }])).reports[0]!;
    const fee = BigInt((await settled(wrong.taskId)())!.fee);
    const e0 = await escrow();
    assert.equal(
      await tasksCall(url, devKeys[7]!, "report", taskPayloadArgs, {
        taskId: fromHex(wrong.taskId),
        payload: wrong.payload,
      }),
      1,
    );
    const upheld = await reportOf(wrong.taskId);
    assert.equal(upheld.upheld, 1, "the wrong answer is re-run on chain and the report upheld");
    assert.match(upheld.reason, /not the model's choice/);
    assert.equal(await escrow(), e0 + fee, "the task's fee refunded, no report fee charged");
    const balance = async (a: string) => BigInt(await rpc<string>(url, "eth_getBalance", [a, "latest"]));
    const e1 = await escrow();
    const before = await Promise.all([0, 1, 2, 3].map((i) => balance(lower(i))));
    assert.equal(
      await tasksCall(url, devKeys[7]!, "report", taskPayloadArgs, {
        taskId: fromHex(honest.taskId),
        payload: honest.payload,
      }),
      1,
    );
    const rejected = await reportOf(honest.taskId);
    assert.equal(rejected.upheld, 0, "an honest answer: the report is rejected");
    assert.equal(await escrow(), e1 - BigInt(rejected.reportFee), "the report fee leaves the escrow");
    const after = await Promise.all([0, 1, 2, 3].map((i) => balance(lower(i))));
    const gained = after.reduce((t, b, i) => t + b - before[i]!, 0n);
    // The committee's members got the fee (minus any gas they spent meanwhile as executors/verifiers).
    assert.ok(rejected.committee.every((m) => m !== honest!.executor && m !== lower(0)));
    console.log(
      `# reports: upheld refunded ${fee} wei; rejected paid ${rejected.reportFee} wei to ${rejected.committee.length} members (their balances moved by ${gained})`,
    );
  });

  it("rewards: each settled cycle's releases traced to its tasks and issuance; the cheater and the liar forfeit; supply holds at every sampled block", async () => {
    // Cycles 1–3 hold the API checks, the cheats and the lie; later ones would only add waiting.
    const lastTaskCycle = 3;
    type Acct = {
      address: string;
      execution: string;
      verification: string;
      issuance: string;
      released: string;
      forfeited: string;
      honeypotsPassed: number;
      reason: string;
    };
    type Totals = {
      fees: string;
      proportional: string;
      shortfall: string;
      training: string;
      released: string;
      forfeited: string;
      bounties: string;
      tasks: number;
    };
    await waitFor(
      `the rewards of cycle ${lastTaskCycle} (settled at the end of cycle ${lastTaskCycle + 2})`,
      async () => {
        await sampleSupply();
        return (
          (await rpc<{ settled: number }>(url, "rewards_cycle", [{ cycle: lastTaskCycle }])).settled === 1
        );
      },
      120_000,
    );
    const lazyCaught: number[] = [];
    // Read the tasks once their cycles have closed (a cycle's rewards settle two cycles later).
    const cycles = new Map<number, TaskView[]>();
    for (let c = 0; c <= lastTaskCycle; c++) {
      const ts = (await rpc<{ tasks: TaskView[] }>(url, "tasks_cycle", [{ cycle: c }])).tasks;
      if (ts.length > 0) cycles.set(c, ts);
    }
    assert.ok(cycles.has(2) && cycles.has(3), "tasks were settled in cycles 2 and 3");
    for (const [c, ts] of cycles) {
      const r = await rpc<{ settled: number; totals: Totals; accounts: Acct[] }>(url, "rewards_cycle", [
        { cycle: c },
      ]);
      assert.equal(r.settled, 1);
      const fees = ts.reduce((s, t) => s + BigInt(t.fee), 0n);
      const t = r.totals;
      assert.equal(BigInt(t.fees), fees, `cycle ${c}: fees`);
      assert.equal(t.tasks, ts.length);
      const minted = BigInt(t.proportional) + BigInt(t.shortfall);
      assert.equal(
        // Bounties (fraud provers, upheld reports) come out of the forfeits (rewards.md §Release 7).
        BigInt(t.released) + BigInt(t.training) + BigInt(t.forfeited) + BigInt(t.bounties),
        fees + minted,
        `cycle ${c}: every wei`,
      );
      // Trace each account's task earnings from the task list (spec/rewards.md §Settlement): the
      // fees less their 20 %, by task (issuance goes by race weight, apart).
      const earned = new Map<string, bigint>();
      const add = (a: string, v: bigint) => earned.set(a, (earned.get(a) ?? 0n) + v);
      for (const task of ts) {
        const share = ((fees - fees / 5n) * BigInt(task.fee)) / fees;
        const half = task.status === TaskStatus.verified ? share / 2n : 0n;
        add(task.executor, share - half);
        if (half > 0n) add(task.verifier, half);
      }
      for (const a of r.accounts)
        assert.equal(
          BigInt(a.execution) + BigInt(a.verification),
          earned.get(a.address) ?? 0n,
          `cycle ${c}: ${a.address} earned`,
        );
      const cheater = r.accounts.find((a) => a.address === lower(2));
      if (ts.some((x) => x.status === TaskStatus.fraud && x.executor === lower(2))) {
        assert.equal(cheater?.released, "0", `cycle ${c}: the convicted cheater is paid nothing`);
        assert.match(cheater!.reason, /task fraud/);
      }
      const flaky = r.accounts.find((a) => a.address === lower(1));
      if (c >= 3 && flaky) {
        // Node 1 did about a quarter of the tasks drawn to it: released in proportion (rewards.md §Release).
        const earned = BigInt(flaky.execution) + BigInt(flaky.verification) + BigInt(flaky.issuance);
        console.log(`# cycle ${c}: the flaky node released ${flaky.released} of ${earned} (${flaky.reason})`);
        assert.match(
          flaky.reason,
          /kept \d+ wei of task shares over recent cycles, below the \d+ its weight owes/,
          `cycle ${c}: the flaky node's shortfall`,
        );
        assert.ok(BigInt(flaky.released) < earned);
      }
      // Node 1 also rubber-stamps every check from cycle 2 (lazy): a honeypot drawn to it is
      // passed, and its verification share of the cycle is forfeited.
      const baits = (await rpc<{ tasks: TaskView[] }>(url, "tasks_honeypots", [{ cycle: c }])).tasks;
      const stamped = baits.filter((b) => b.verifier === lower(1) && b.status === TaskStatus.verified);
      if (c >= 2) lazyCaught.push(...stamped.map(() => c));
      if (stamped.length > 0) {
        assert.equal(flaky!.honeypotsPassed, stamped.length, `cycle ${c}: honeypots the lazy node passed`);
        assert.match(
          flaky!.reason,
          /passed \d+ honeypots? \(known wrong answers\): verification share \d+ forfeited/,
        );
        assert.ok(
          BigInt(flaky!.released) <= BigInt(flaky!.execution) + BigInt(flaky!.issuance),
          `cycle ${c}: nothing of the lazy node's verification share released`,
        );
      }
      // Honest verifiers catch theirs: a honeypot is never verified by anyone else.
      for (const b of baits)
        if (b.verifier !== lower(1) && b.status === TaskStatus.verified)
          assert.fail(`cycle ${c}: honeypot ${b.taskId} passed by ${b.verifier}`);
      console.log(
        `# cycle ${c}: ${baits.length} honeypots, ${baits.filter((b) => b.status === TaskStatus.fraud).length} caught, ${stamped.length} passed by the lazy node`,
      );
      const liar = r.accounts.find((a) => a.address === lower(3));
      if (ts.some((x) => x.verifier === lower(3) && x.status === TaskStatus.published))
        assert.match(liar!.reason, /performed \d+ of \d+ checks/, `cycle ${c}: the lying verifier forfeits`);
    }
    assert.ok(
      lazyCaught.length > 0,
      "the lazy verifier lost its verification share within two cycles of turning lazy (cycles 2–3)",
    );
    console.log(
      `# rewards traced for cycles ${[...cycles.keys()].join(", ")}; supply invariant held at ${supplySamples} sampled heads`,
    );
  });

  it("the explorer shows this run's market, rewards and models (screenshots at 390 and 1280 px)", {
    skip: CHROMIUM ? false : "no chromium installed (apt-get install chromium)",
  }, async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
    try {
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on("pageerror", (e) => errors.push(e.message));
      page.on("console", (m) => {
        if (m.type() === "error") errors.push(m.text());
      });
      const cycle = 3;
      const { tasks } = await rpc<{ tasks: TaskView[] }>(url, "tasks_cycle", [{ cycle }]);
      const executors = new Set(tasks.map((t) => t.executor)).size;
      const settled = await rpc<{ accounts: { forfeited: string }[] }>(url, "rewards_cycle", [{ cycle }]);
      const forfeits = settled.accounts.filter((a) => BigInt(a.forfeited) > 0n).length;
      assert.ok(tasks.length > 0 && settled.accounts.length > 0);
      for (const width of WIDTHS) {
        await page.setViewportSize({ width, height: 900 });
        await openExplorer(page, `${url}/explorer/#/market/${cycle}`, "#tasks");
        assert.equal(await page.locator("#tasks tr").count(), tasks.length + 1, "every task of the cycle");
        assert.equal(await page.locator("#executors tr").count(), executors + 1, "every executor's standing");
        await assertLegibleLabels(page, `market at ${width}px`);
        await page.screenshot({ path: `${ARTIFACTS}/devnet-market-${width}.png`, fullPage: true });
        await openExplorer(page, `${url}/explorer/#/rewards/${cycle}`, "#reward-accounts");
        assert.equal(await page.locator("#reward-accounts tr").count(), settled.accounts.length + 1);
        assert.equal(
          await page.locator("#reward-accounts .bad").count(),
          forfeits,
          "each forfeit with its reason",
        );
        await assertLegibleLabels(page, `rewards at ${width}px`);
        await page.screenshot({ path: `${ARTIFACTS}/devnet-rewards-${width}.png`, fullPage: true });
        await openExplorer(page, `${url}/explorer/#/models`, "#votes");
        await assertLegibleLabels(page, `models at ${width}px`);
        await page.screenshot({ path: `${ARTIFACTS}/devnet-models-${width}.png`, fullPage: true });
        await openExplorer(page, `${url}/explorer/#/address/${toHex(developer)}`, "#address-rewards");
        assert.ok(await page.isVisible("text=Task escrow"));
        await page.screenshot({ path: `${ARTIFACTS}/devnet-developer-${width}.png`, fullPage: true });
        // An executor: the tasks it served and its rewards per cycle.
        await openExplorer(page, `${url}/explorer/#/address/${tasks[0]!.executor}`, "#address-rewards");
        assert.ok(
          (await page.locator("#address-rewards tr").count()) >= 2,
          "the executor's rewards per cycle",
        );
        await page.screenshot({ path: `${ARTIFACTS}/devnet-executor-${width}.png`, fullPage: true });
      }
      assert.deepEqual(errors, []);
    } finally {
      await browser.close();
    }
  });

  it("forged and replayed receipts and a revoked key: refused on chain with the reason, nothing charged", async () => {
    const acct = async () =>
      BigInt((await rpc<{ escrow: string }>(url, "tasks_account", [{ address: toHex(developer) }])).escrow);
    const escrow = await acct();
    const forger = randomPrivateKey();
    const body = {
      taskId: new Uint8Array(32).fill(0xab),
      model,
      promptTokens: 10,
      completionTokens: 10,
      cycle: Math.floor((await status(url)).height / CYCLE),
      round: 1,
      attempt: 0,
      executor: devAddresses[1]!,
      intermediary: devAddresses[0]!,
      payloadHash: new Uint8Array(32),
    };
    const chainId = BigInt(await rpc<string>(url, "eth_chainId"));
    const forged = signReceipt(forger, chainId, body);
    const reason = async (data: string, from: number) => {
      const r = await fetch(url, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          jsonrpc: "2.0",
          id: 1,
          method: "eth_estimateGas",
          params: [{ from: toHex(devAddresses[from]!), to: toHex(TASKS_MODULE_ADDRESS), data }],
        }),
      });
      return ((await r.json()) as { error?: { message: string } }).error?.message ?? "";
    };
    assert.match(
      await reason(envelope("settle", settleArgs, { receipts: [forged] }), 1),
      /not an authorized API key/,
    );
    // Sent anyway (fixed gas): included with status 0, and nothing charged.
    assert.equal(
      await tasksCall(url, devKeys[1]!, "settle", settleArgs, { receipts: [forged] }, 3_000_000n),
      0,
    );
    assert.equal(await acct(), escrow);
    // A settled task's id again: refused as already settled.
    const settled = (await rpc<{ tasks: TaskView[] }>(url, "tasks_cycle", [{ cycle: 2 }])).tasks[0]!;
    const replay = signReceipt(apiKey, chainId, { ...body, taskId: fromHex(settled.taskId) });
    const from = devAddresses.findIndex((a) => toHex(a).toLowerCase() === settled.executor);
    assert.match(
      await reason(
        envelope("settle", settleArgs, { receipts: [{ ...replay, executor: fromHex(settled.executor) }] }),
        from,
      ),
      /already settled/,
    );
    // Revoking the key stops the intermediary at once.
    assert.equal(await tasksCall(url, devKeys[7]!, "revokeKey", taskKeyArgs, { key: keyAddress }), 1);
    await assert.rejects(client.chat.completions.create({ model, messages }), (e: unknown) => {
      assert.ok(e instanceof OpenAI.AuthenticationError);
      assert.match((e as Error).message, /revoked/);
      return true;
    });
    assert.equal(await acct(), escrow);
  });

  it("a node whose registry lists other weights for the model does not serve it", async () => {
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
      const c = new OpenAI({ baseURL: `${other.url}/v1`, apiKey: `rk_${"22".repeat(32)}`, maxRetries: 0 });
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
