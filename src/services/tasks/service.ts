/**
 * The inference market inside the node (spec/tasks.md): one service plays the three roles.
 *
 * - **Intermediary**: a developer's request arrives at this node's /v1 API; it checks the API key
 *   on chain (authorized, not revoked, escrow and spend limit cover the worst case), draws the
 *   executor by race weight from the latest beacon output (never itself), forwards the task over
 *   libp2p and relays the streamed tokens, so the executor never learns the client's address. An
 *   executor that fails before its first token is replaced by the next draw. At the end it signs
 *   the receipt with the API key and hands it to the executor.
 * - **Executor** (a node with a mining account): runs forwarded tasks on the built-in exact model,
 *   keeps each payload for verifiers, and settles receipts in batches.
 * - **Verifier**: for each check drawn to its account, fetches the payload from the executor,
 *   re-runs it (one causal pass) and posts a verdict, a fraud proof, or a withholding report; and
 *   as executor it answers a withholding report by publishing the payload on chain.
 *
 * Test-only misbehaviour (RACECOIN_TASK_CHEAT): "wrong-tokens" (an executor answers one wrong
 * token in every task), "withhold" (it hands out no payload for half its tasks and never publishes
 * them), "lie" (a verifier reports honest executors as withholding), "flaky" (an executor refuses
 * three tasks in four drawn to it), "lazy" (a verifier posts `verdict` on every check without
 * running anything).
 */
import {
  apiKeys,
  beacon as beaconModule,
  beaconRounds,
  chargeFault,
  escrows,
  latestRound,
  modelEntry,
  models as modelsModule,
  payerRefusal,
  publishedPayloads,
  routedExecutor,
  serveArgs,
  settleArgs,
  type TaskRecord,
  TaskStatus,
  taskCandidatesFor,
  taskIdArgs,
  taskPayloadArgs,
  tasks,
  tasksAssignedTo,
  tasksModule,
  unitPriceAt,
  voteArgs,
  withdrawals,
} from "../../../contracts/index.ts";
import type { Chain } from "../../chain/index.ts";
import { privateKeyToAddress } from "../../crypto/index.ts";
import { decode, encode } from "../../encoding/index.ts";
import {
  ExactModel,
  MAX_ATTEMPTS,
  type Position,
  payloadFault,
  payloadHash,
  type Receipt,
  receiptCodec,
  receiptSigner,
  requestSigner,
  signReceipt,
  signRequest,
  type TaskPayload,
  taskIdOf,
  taskPayloadCodec,
} from "../../inference/index.ts";
import type { Logger } from "../../logger/index.ts";
import { floatSteps, type HfModel, toleranceVerdict } from "../../models/index.ts";
import type { Network } from "../../network/index.ts";
import { cycleOf, TASKS_MODULE_ADDRESS } from "../../params/index.ts";
import {
  ApiError,
  type InferenceRouter,
  type LocalModels,
  type RoutedRequest,
  type StreamedToken,
} from "../../rpc/index.ts";
import { readStoreIn } from "../../state/index.ts";
import { type Address, equalBytes, toChecksumAddress, toHex, ZERO_ADDRESS } from "../../types/index.ts";
import type { ModuleTxSender } from "../miner/sender.ts";
import { ExactGenerator } from "./generator.ts";
import { Answered, admitRequest, worstFee } from "./payer.ts";
import {
  decodeFrame,
  encodeFrame,
  INFER_LIMITS,
  INFER_PROTOCOL,
  PAYLOAD_LIMITS,
  PAYLOAD_PROTOCOL,
  RECEIPT_LIMITS,
  RECEIPT_PROTOCOL,
  requestBody,
  signWhoami,
  type TaskRequest,
  taskRequestCodec,
  WHOAMI_LIMITS,
  WHOAMI_PROTOCOL,
  whoamiCodec,
  whoamiSigner,
} from "./protocol.ts";
import { servingUpdate } from "./serving.ts";
import { upstreamPositions, upstreamTokens } from "./upstream.ts";

export const TASK_CHEATS = ["wrong-tokens", "withhold", "lie", "flaky", "small-model", "lazy"] as const;
export type TaskCheat = (typeof TASK_CHEATS)[number];

export interface TaskServiceOptions {
  /** The node's mining account: executes, verifies and names itself as intermediary. */
  account?: { key: Uint8Array; sender: ModuleTxSender };
  /** Settle when the oldest queued receipt has waited this many blocks (or 64 are queued). */
  settleEveryBlocks: number;
  /** Test-only misbehaviour, each from a cycle on. */
  cheats?: { cheat: TaskCheat; fromCycle: number }[];
  /**
   * An OpenAI-compatible server (base URL ending in /v1) that generates for this executor: the
   * vLLM / llama.cpp / `racecoin serve-model` a miner runs. Absent: the built-in model in-process.
   */
  upstream?: string;
  /** Sees the shape of every real request this node routes (the dummy-task generator learns from it). */
  observe?: (r: RoutedRequest) => void;
  /** Tolerance-class models loaded from the models directory (hash-checked against the registry). */
  models?: LocalModels;
  /** Test-only ("small-model" cheat): other weights this executor answers with instead, by model id. */
  cheatModels?: ReadonlyMap<string, HfModel>;
}

/** Executors tried per request before the developer gets 503. */
const PAYLOADS_KEPT = 50_000;
/** A sent settlement not on chain after this many blocks is queued again. */
const RESEND_AFTER_BLOCKS = 12;

export class TaskService implements InferenceRouter {
  private readonly model = new ExactModel();
  private readonly address: Address;
  /** peer id → the account it proved (null: none). */
  private readonly accountOfPeer = new Map<string, string | null>();
  private serial = BigInt(Date.now()) << 20n;
  /** Fees signed for but not yet settled, by task id: counted against the key's limit. */
  private readonly outstanding = new Map<string, { key: string; fee: bigint; cycle: number }>();
  // Executor state.
  private readonly payloads = new Map<string, TaskPayload>();
  private queue: { receipt: Receipt; at: number }[] = [];
  private readonly sent = new Map<string, { receipt: Receipt; at: number }>();
  /** Settled tasks of this executor that may still need their payload published. */
  private readonly settledMine = new Set<string>();
  private readonly published = new Set<string>();
  // Verifier state.
  private readonly handled = new Set<string>();
  private busy = false;
  /** Tasks this executor answered whose receipts have not settled: its exposure per payer. */
  private readonly answered = new Answered();
  /** The cycle whose serving declaration was last checked. */
  private declaredIn = -1;

  constructor(
    private readonly opts: TaskServiceOptions,
    private readonly m: { chain: Chain; network: Network; log: Logger },
  ) {
    this.address = opts.account ? privateKeyToAddress(opts.account.key) : ZERO_ADDRESS;
  }

  async start(): Promise<void> {
    const { network, chain } = this.m;
    await network.handle(WHOAMI_PROTOCOL, WHOAMI_LIMITS, async () => {
      const a = this.opts.account;
      if (!a) return new Uint8Array(0);
      return encode(whoamiCodec, {
        address: this.address,
        signature: signWhoami(a.key, chain.ctx.chainId, network.peerId),
      });
    });
    if (this.opts.account) {
      await network.handleStream(INFER_PROTOCOL, INFER_LIMITS, (req, _peer, send) => this.execute(req, send));
      await network.handle(RECEIPT_PROTOCOL, RECEIPT_LIMITS, async (req) => this.acceptReceipt(req));
      await network.handle(PAYLOAD_PROTOCOL, PAYLOAD_LIMITS, async (req) => this.servePayload(req));
      chain.onBlock(() => void this.step());
    }
  }

  private cheating(kind: TaskCheat, cycle?: number): boolean {
    const now = cycle ?? cycleOf(this.m.chain.head.height + 1, this.m.chain.preset.cycleLength);
    return (this.opts.cheats ?? []).some((c) => c.cheat === kind && now >= c.fromCycle);
  }

  // ── Directory ───────────────────────────────────────────────────────────────────────────────

  /** The connected peer whose account is `address` (asked over whoami, signature checked). */
  private async peerOf(address: Address): Promise<string | undefined> {
    const want = toHex(address);
    const peers = this.m.network.peers();
    const known = peers.find((p) => this.accountOfPeer.get(p) === want);
    if (known) return known;
    await Promise.all(
      peers
        .filter((p) => !this.accountOfPeer.has(p))
        .map(async (p) => {
          try {
            const res = await this.m.network.request(p, WHOAMI_PROTOCOL, new Uint8Array(0), WHOAMI_LIMITS);
            if (res.length === 0) return this.accountOfPeer.set(p, null);
            const w = decode(whoamiCodec, res);
            const signer = whoamiSigner(this.m.chain.ctx.chainId, p, w.signature);
            this.accountOfPeer.set(p, signer && equalBytes(signer, w.address) ? toHex(w.address) : null);
          } catch {
            // Not answering now; ask again next time.
          }
        }),
    );
    return peers.find((p) => this.accountOfPeer.get(p) === want);
  }

  // ── Intermediary ────────────────────────────────────────────────────────────────────────────

  async route(
    r: RoutedRequest,
    onToken: (t: StreamedToken) => void,
  ): Promise<{ finish: "stop" | "length"; taskId: Uint8Array; executor: Address }> {
    const { chain } = this.m;
    const keyAddress = privateKeyToAddress(r.apiKey);
    const keyHex = toHex(keyAddress);
    const cycle = cycleOf(chain.head.height + 1, chain.preset.cycleLength);
    const float = this.opts.models?.loaded.get(r.model);
    const worst = worstFee(chain, r.model, r.prompt.length, r.maxTokens, cycle);
    this.pruneOutstanding(cycle);
    let owed = 0n;
    for (const o of this.outstanding.values()) if (o.key === keyHex) owed += o.fee;
    admitRequest(chain, keyAddress, worst, owed);
    const round = latestRound(readStoreIn(chain.state, beaconModule));
    if (!round)
      throw new ApiError(
        503,
        "No beacon output yet to draw an executor from; retry shortly",
        null,
        null,
        "server_error",
      );
    const taskId = taskIdOf(keyAddress, r.body, this.serial++);
    if (!r.dummy) this.opts.observe?.(r);
    // Reserve the worst case while the request runs.
    const reservation = toHex(taskId);
    this.outstanding.set(reservation, { key: keyHex, fee: worst, cycle });
    try {
      const candidates = taskCandidatesFor({ storeOf: (m) => readStoreIn(chain.state, m) }, cycle, r.model);
      for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
        const executor = routedExecutor(round.output, taskId, candidates, this.address, attempt);
        if (!executor) break;
        const peer = await this.peerOf(executor);
        if (!peer) {
          this.m.log.info(
            { executor: toChecksumAddress(executor), attempt },
            "Task: executor not reachable; next draw",
          );
          continue;
        }
        const body: Omit<TaskRequest, "keySignature"> = {
          taskId,
          model: r.model,
          prompt: r.prompt,
          maxTokens: r.maxTokens,
          temperatureMilli: r.temperatureMilli,
          topPMilli: r.topPMilli,
          seed: BigInt.asUintN(64, r.seed),
          cycle,
          round: round.round,
          attempt,
          intermediary: this.address,
          dummy: r.dummy ? 1 : 0,
        };
        const task: TaskRequest = {
          ...body,
          keySignature: signRequest(r.apiKey, chain.ctx.chainId, requestBody(body)),
        };
        const tokens: number[] = [];
        const positions: Position[] = [];
        let end: { finish: "stop" | "length" } | undefined;
        try {
          await this.m.network.requestStream(
            peer,
            INFER_PROTOCOL,
            encode(taskRequestCodec, task),
            INFER_LIMITS,
            (f) => {
              const frame = decodeFrame(f);
              if (end) throw new Error("frame after the end");
              if (frame.kind === "token") {
                if (!float !== !frame.position) throw new Error("answer frames of the wrong model class");
                tokens.push(frame.token);
                if (frame.position) positions.push(frame.position);
                onToken(frame);
              } else end = frame;
            },
          );
          if (!end) throw new Error("the answer ended without its end frame");
        } catch (e) {
          if (tokens.length > 0)
            throw new ApiError(
              502,
              `The executor failed mid-answer (${(e as Error).message}); you are not charged`,
              null,
              "executor_failed",
              "server_error",
            );
          this.m.log.info(
            { executor: toChecksumAddress(executor), attempt, err: (e as Error).message },
            "Task: executor failed; next draw",
          );
          continue;
        }
        const payload: TaskPayload = {
          prompt: r.prompt,
          maxTokens: r.maxTokens,
          temperatureMilli: r.temperatureMilli,
          topPMilli: r.topPMilli,
          seed: task.seed,
          tokens: float ? new Uint8Array(0) : Uint8Array.from(tokens),
          finish: end.finish,
          positions,
        };
        const [promptTokens, completionTokens] = this.tokenCounts(r.model, payload);
        const receipt = signReceipt(r.apiKey, chain.ctx.chainId, {
          taskId,
          model: r.model,
          promptTokens,
          completionTokens,
          cycle,
          round: round.round,
          attempt,
          executor,
          intermediary: this.address,
          payloadHash: payloadHash(payload),
        });
        // What the receipt's tokens cost: the worst case of a prompt of promptTokens and no more.
        const fee = worstFee(chain, r.model, promptTokens, completionTokens, cycle);
        this.outstanding.set(reservation, { key: keyHex, fee, cycle });
        void this.deliverReceipt(peer, receipt);
        return { finish: end.finish, taskId, executor };
      }
    } catch (e) {
      this.outstanding.delete(reservation);
      throw e;
    }
    this.outstanding.delete(reservation);
    throw new ApiError(
      503,
      "No executor could take this task now; you are not charged. Retry shortly",
      null,
      "no_executor",
      "server_error",
    );
  }

  private async deliverReceipt(peer: string, receipt: Receipt): Promise<void> {
    for (let i = 0; i < 3; i++) {
      try {
        await this.m.network.request(peer, RECEIPT_PROTOCOL, encode(receiptCodec, receipt), RECEIPT_LIMITS);
        return;
      } catch (e) {
        this.m.log.debug({ err: (e as Error).message }, "Task: receipt delivery failed; retrying");
        await new Promise((r) => setTimeout(r, 500));
      }
    }
  }

  /** Forget reservations whose task settled, or that are older than the settlement window. */
  private pruneOutstanding(cycle: number): void {
    const store = readStoreIn(this.m.chain.state, tasksModule);
    for (const [id, o] of this.outstanding) {
      if (cycle - o.cycle > 1) this.outstanding.delete(id);
      else if (o.fee > 0n && tasks.has(store, Buffer.from(id.slice(2), "hex"))) this.outstanding.delete(id);
    }
  }

  // ── Executor ────────────────────────────────────────────────────────────────────────────────

  private async execute(req: Uint8Array, send: (f: Uint8Array) => Promise<void>): Promise<void> {
    const t = decode(taskRequestCodec, req);
    // Test-only: refuse three tasks in four (by the task id's first byte).
    if (this.cheating("flaky", t.cycle) && t.taskId[0]! % 4 !== 0) throw new Error("flaky executor");
    const { chain } = this.m;
    const entry = modelEntry(readStoreIn(chain.state, modelsModule), t.model);
    const float = this.opts.models?.loaded.get(t.model);
    const exact =
      t.model === this.model.spec.id &&
      toHex(entry?.weightsHash ?? new Uint8Array(0)) === this.model.spec.weightsHash;
    if (!entry || (!exact && !float)) throw new Error(`model ${t.model} is not served here`);
    if ((exact && t.prompt.length >= this.model.spec.contextLength) || t.maxTokens < 1 || t.maxTokens > 256)
      throw new Error("task out of bounds");
    const round = beaconRounds.get(readStoreIn(chain.state, beaconModule), t.round);
    if (round) {
      const due = routedExecutor(
        round.output,
        t.taskId,
        taskCandidatesFor({ storeOf: (m) => readStoreIn(chain.state, m) }, t.cycle, t.model),
        t.intermediary,
        t.attempt,
      );
      if (!due || !equalBytes(due, this.address)) throw new Error("this task was not drawn to this executor");
    }
    // The payer, named by its key's signature: its receipt must settle, or the answer goes unpaid.
    const payer = this.answered.check(chain, t);
    if (typeof payer === "string") throw new Error(`not answered: ${payer}`);
    const sampling = {
      temperatureMilli: t.temperatureMilli,
      topPMilli: t.topPMilli,
      seed: BigInt.asIntN(64, t.seed),
    };
    if (!t.dummy) this.realRunning++;
    try {
      if (float) {
        const cheat = this.cheating("small-model", t.cycle) ? this.opts.cheatModels?.get(t.model) : undefined;
        await this.generateFloat(cheat ?? float, t, sampling, send);
      } else await this.generateInto(t, sampling, send);
    } finally {
      if (!t.dummy) this.realRunning--;
    }
  }

  /** Real requests first: a marked dummy task waits between tokens while any real one runs. */
  private realRunning = 0;
  private generator?: ExactGenerator;

  private exactGenerator(): ExactGenerator {
    this.generator ??= new ExactGenerator();
    return this.generator;
  }

  private async generateInto(
    t: TaskRequest,
    sampling: { temperatureMilli: number; topPMilli: number; seed: bigint },
    send: (f: Uint8Array) => Promise<void>,
  ): Promise<void> {
    const utf8 = new TextDecoder().decode(t.prompt);
    const it:
      | Iterator<{ token: number; prob: number }, "stop" | "length">
      | AsyncIterator<{ token: number; prob: number }, "stop" | "length"> =
      this.opts.upstream && Buffer.from(utf8).equals(Buffer.from(t.prompt))
        ? upstreamTokens(this.opts.upstream, t, utf8)
        : this.exactGenerator().run(t.prompt, t.maxTokens, sampling, t.dummy === 1);
    const started = performance.now();
    let computing = 0;
    const tokens: number[] = [];
    let finish: "stop" | "length";
    for (;;) {
      const c0 = performance.now();
      const s = await it.next();
      computing += performance.now() - c0;
      if (s.done) {
        finish = s.value;
        break;
      }
      let { token, prob } = s.value;
      // Test-only: one wrong token per answer (never byte 0, which would end the text).
      if (this.cheating("wrong-tokens", t.cycle) && tokens.length === 0) {
        token = token === 1 ? 2 : 1;
        prob = 1;
      }
      tokens.push(token);
      await send(encodeFrame({ kind: "token", token, prob }));
      await new Promise((r) => setImmediate(r));
      while (t.dummy && this.realRunning > 0) await new Promise((r) => setTimeout(r, 5));
    }
    const payload: TaskPayload = {
      prompt: t.prompt,
      maxTokens: t.maxTokens,
      temperatureMilli: t.temperatureMilli,
      topPMilli: t.topPMilli,
      seed: t.seed,
      tokens: Uint8Array.from(tokens),
      finish,
      positions: [],
    };
    const key = toHex(t.taskId);
    this.keepPayload(t.taskId, payload);
    await send(encodeFrame({ kind: "end", finish, payloadHash: payloadHash(payload) }));
    this.m.log.info(
      {
        task: key,
        tokens: tokens.length,
        ms: Math.round(performance.now() - started),
        computeMs: Math.round(computing),
      },
      "Task: answered",
    );
  }

  /**
   * A tolerance-class answer: tokens sampled from the model's logprobs with a key/value cache;
   * each frame carries the token's bytes and the position record (its top-k logprobs) that the
   * payload keeps for verifiers. The model's end-of-text token ends it ("stop", recorded too).
   */
  private async generateFloat(
    model: HfModel,
    t: TaskRequest,
    sampling: { temperatureMilli: number; topPMilli: number; seed: bigint },
    send: (f: Uint8Array) => Promise<void>,
  ): Promise<void> {
    const ids = model.tokenizer.encode(new TextDecoder().decode(t.prompt));
    if (ids.length === 0 || ids.length >= model.config.context) throw new Error("task out of bounds");
    const positions: Position[] = [];
    const utf8 = new TextDecoder().decode(t.prompt);
    const it =
      this.opts.upstream && Buffer.from(utf8).equals(Buffer.from(t.prompt))
        ? upstreamPositions(this.opts.upstream, t, utf8, model)
        : floatSteps(model, ids, t.maxTokens, sampling);
    let finish: "stop" | "length";
    for (;;) {
      const step = await it.next();
      if (step.done) {
        finish = step.value;
        break;
      }
      const { position, prob, bytes } = step.value;
      positions.push(position);
      await send(encodeFrame({ kind: "token", token: position.token, prob, bytes, position }));
      await new Promise((r) => setImmediate(r));
      while (t.dummy && this.realRunning > 0) await new Promise((r) => setTimeout(r, 5));
    }
    const payload: TaskPayload = {
      prompt: t.prompt,
      maxTokens: t.maxTokens,
      temperatureMilli: t.temperatureMilli,
      topPMilli: t.topPMilli,
      seed: t.seed,
      tokens: new Uint8Array(0),
      finish,
      positions,
    };
    this.keepPayload(t.taskId, payload);
    await send(encodeFrame({ kind: "end", finish, payloadHash: payloadHash(payload) }));
  }

  private keepPayload(taskId: Uint8Array, payload: TaskPayload): void {
    const key = toHex(taskId);
    this.payloads.delete(key);
    this.payloads.set(key, payload);
    while (this.payloads.size > PAYLOADS_KEPT) this.payloads.delete(this.payloads.keys().next().value!);
  }

  /** Prompt and completion tokens of a payload, in its model's tokens. */
  private tokenCounts(model: string, p: TaskPayload): [number, number] {
    const float = this.opts.models?.loaded.get(model);
    if (!float) return [p.prompt.length, p.tokens.length];
    return [float.tokenizer.encode(new TextDecoder().decode(p.prompt)).length, p.positions.length];
  }

  private async acceptReceipt(req: Uint8Array): Promise<Uint8Array> {
    const r = decode(receiptCodec, req);
    const { chain } = this.m;
    if (!equalBytes(r.executor, this.address)) throw new Error("receipt for another executor");
    const payload = this.payloads.get(toHex(r.taskId));
    if (!payload) throw new Error("no task with this id ran here");
    if (!equalBytes(payloadHash(payload), r.payloadHash)) throw new Error("receipt names another answer");
    const [promptTokens, completionTokens] = this.tokenCounts(r.model, payload);
    if (r.promptTokens !== promptTokens || r.completionTokens !== completionTokens)
      throw new Error("receipt token counts differ from the answer");
    const signer = receiptSigner(chain.ctx.chainId, r);
    if (!signer || !apiKeys.get(readStoreIn(chain.state, tasksModule), signer))
      throw new Error("receipt not signed by an API key");
    if (this.queue.some((q) => equalBytes(q.receipt.taskId, r.taskId)) || this.sent.has(toHex(r.taskId)))
      return Uint8Array.of(1);
    this.queue.push({ receipt: r, at: chain.head.height });
    return Uint8Array.of(1);
  }

  private async servePayload(req: Uint8Array): Promise<Uint8Array> {
    if (req.length !== 32) throw new Error("expected a 32-byte task id");
    // Test-only: withhold the payloads of half the tasks (odd first byte of the id).
    if (this.cheating("withhold") && req[0]! % 2 === 1) return new Uint8Array(0);
    const p = this.payloads.get(toHex(req));
    return p ? encode(taskPayloadCodec, p) : new Uint8Array(0);
  }

  /** Each block: settle a batch when due, requeue lost settlements, publish withheld payloads, verify. */
  private async step(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      await this.declareServing();
      await this.settleDue();
      await this.publishChallenged();
      await this.verifyAssigned();
    } catch (e) {
      this.m.log.warn({ err: (e as Error).message }, "Task step failed");
    } finally {
      this.busy = false;
    }
  }

  /**
   * Keep the on-chain declaration of the models this node serves (spec/tasks.md §Serving) equal to
   * what it has loaded: checked once a cycle, sent when the next cycle's declaration differs.
   */
  private async declareServing(): Promise<void> {
    const { chain } = this.m;
    const cycle = cycleOf(chain.head.height + 1, chain.preset.cycleLength);
    if (this.declaredIn === cycle) return;
    this.declaredIn = cycle;
    const want = servingUpdate(chain.state, this.address, cycle + 1, this.opts.models?.loaded.keys() ?? []);
    if (!want) return;
    await this.opts.account!.sender.send(TASKS_MODULE_ADDRESS, "serve", encode(serveArgs, { models: want }));
    this.m.log.info({ models: want, fromCycle: cycle + 1 }, "Task: declared the models this node serves");
  }

  private async settleDue(): Promise<void> {
    const { chain } = this.m;
    const sender = this.opts.account!.sender;
    const height = chain.head.height;
    const store = readStoreIn(chain.state, tasksModule);
    for (const [id, s] of this.sent) {
      if (tasks.has(store, s.receipt.taskId)) {
        this.sent.delete(id);
        this.settledMine.add(id);
      } else if (height - s.at > RESEND_AFTER_BLOCKS) {
        this.sent.delete(id);
        this.queue.push({ receipt: s.receipt, at: height });
      }
    }
    const cycle = cycleOf(height + 1, chain.preset.cycleLength);
    // Receipts older than the settlement window can no longer be settled.
    this.queue = this.queue.filter((q) => cycle - q.receipt.cycle <= 1);
    if (this.queue.length === 0) return;
    if (this.queue.length < 64 && height - this.queue[0]!.at < this.opts.settleEveryBlocks) return;
    let batch = this.queue.slice(0, 64);
    for (let tries = 0; tries < 8 && batch.length > 0; tries++) {
      try {
        await sender.send(
          TASKS_MODULE_ADDRESS,
          "settle",
          encode(settleArgs, { receipts: batch.map((b) => b.receipt) }),
        );
        for (const b of batch) this.sent.set(toHex(b.receipt.taskId), { receipt: b.receipt, at: height });
        this.queue = this.queue.filter((q) => !batch.includes(q));
        this.m.log.info({ receipts: batch.length }, "Task: settled a batch of receipts");
        return;
      } catch (e) {
        const m = /receipt (\d+): (.*)/.exec((e as Error).message);
        if (!m) throw e;
        const bad = batch[Number(m[1])]!;
        this.m.log.warn({ task: toHex(bad.receipt.taskId), reason: m[2] }, "Task: receipt refused; dropped");
        this.queue = this.queue.filter((q) => q !== bad);
        batch = batch.filter((q) => q !== bad);
      }
    }
  }

  private async publishChallenged(): Promise<void> {
    const store = readStoreIn(this.m.chain.state, tasksModule);
    for (const id of this.settledMine) {
      const t = tasks.get(store, Buffer.from(id.slice(2), "hex"));
      if (!t || t.status === TaskStatus.checking || t.status === TaskStatus.settled) continue;
      if (t.status !== TaskStatus.withheld) {
        this.settledMine.delete(id);
        continue;
      }
      if (
        this.published.has(id) ||
        (this.cheating("withhold") && Buffer.from(id.slice(2, 4), "hex")[0]! % 2 === 1)
      )
        continue;
      const payload = this.payloads.get(id);
      if (!payload) continue;
      this.published.add(id);
      await this.opts.account!.sender.send(
        TASKS_MODULE_ADDRESS,
        "publish",
        encode(taskPayloadArgs, { taskId: Buffer.from(id.slice(2), "hex"), payload }),
      );
      this.m.log.warn({ task: id }, "Task: a verifier reported the payload withheld; published it on chain");
    }
  }

  private async verifyAssigned(): Promise<void> {
    const { chain, log } = this.m;
    const sender = this.opts.account!.sender;
    const store = readStoreIn(chain.state, tasksModule);
    for (const taskId of tasksAssignedTo(store, this.address)) {
      const id = toHex(taskId);
      const t = tasks.get(store, taskId);
      if (!t || (t.status !== TaskStatus.checking && t.status !== TaskStatus.disputed)) continue;
      // A tolerance check resumes after a withholding claim the executor answered (new deadline).
      const mark = `${id}:${t.status}:${t.deadline}`;
      if (this.handled.has(mark)) continue;
      this.handled.add(mark);
      if (this.cheating("lazy") && t.status === TaskStatus.checking) {
        await sender.send(TASKS_MODULE_ADDRESS, "verdict", encode(taskIdArgs, { taskId }));
        log.info({ task: id }, "Task check: verified without a re-run (lazy)");
        continue;
      }
      const float = this.opts.models?.loaded.get(t.model);
      if (float) {
        await this.checkTolerance(float, taskId, t);
        continue;
      }
      if (t.status !== TaskStatus.checking) continue;
      // On chain when its executor published it, and always for a protocol honeypot.
      const payload = publishedPayloads.get(store, taskId) ?? (await this.fetchPayload(t.executor, taskId));
      const intact = payload !== undefined && equalBytes(payloadHash(payload), t.payloadHash);
      // An overcharge (more tokens on the receipt than in the payload) is as much fraud as a wrong token.
      const models = readStoreIn(chain.state, modelsModule);
      const entry = modelEntry(models, t.model);
      const overcharge =
        intact && entry && t.fee > 0n
          ? chargeFault(t.fee, payload!, entry.unitsPerToken, unitPriceAt(models, t.cycle))
          : "";
      const fault = intact ? overcharge || payloadFault(this.model, payload!) : "";
      if (!intact || (this.cheating("lie") && !fault)) {
        await sender.send(TASKS_MODULE_ADDRESS, "withheld", encode(taskIdArgs, { taskId }));
        log.warn(
          { task: id, executor: toChecksumAddress(t.executor) },
          "Task check: payload withheld; reported",
        );
      } else if (fault) {
        await sender.send(
          TASKS_MODULE_ADDRESS,
          "fraud",
          encode(taskPayloadArgs, { taskId, payload: payload! }),
        );
        log.warn(
          { task: id, executor: toChecksumAddress(t.executor), fault },
          "Task check: wrong answer; fraud proof sent",
        );
      } else {
        await sender.send(TASKS_MODULE_ADDRESS, "verdict", encode(taskIdArgs, { taskId }));
        log.info(
          { task: id, executor: toChecksumAddress(t.executor) },
          "Task check: answer re-run, verified",
        );
      }
    }
    if (this.handled.size > PAYLOADS_KEPT) this.handled.clear();
  }

  /**
   * A tolerance-class check: as the drawn verifier, `verdict` if the re-run agrees within
   * tolerance, `dispute` if not (a panel then votes), `withheld` without the payload; as a panel
   * member of a dispute, `vote`. The payload comes from the chain if the executor published it.
   */
  private async checkTolerance(model: HfModel, taskId: Uint8Array, t: TaskRecord): Promise<void> {
    const { chain, log } = this.m;
    const sender = this.opts.account!.sender;
    const id = toHex(taskId);
    const onChain = publishedPayloads.get(readStoreIn(chain.state, tasksModule), taskId);
    const payload = onChain ?? (await this.fetchPayload(t.executor, taskId));
    const intact = payload !== undefined && equalBytes(payloadHash(payload), t.payloadHash);
    const panel = t.status === TaskStatus.disputed;
    if (!intact) {
      if (panel) return void log.warn({ task: id }, "Dispute: payload unavailable; abstaining");
      await sender.send(TASKS_MODULE_ADDRESS, "withheld", encode(taskIdArgs, { taskId }));
      return void log.warn(
        { task: id, executor: toChecksumAddress(t.executor) },
        "Task check: payload withheld; reported",
      );
    }
    const verdict = await toleranceVerdict(model, payload!);
    const fraud = verdict.fraud || this.cheating("lie");
    const detail = { task: id, executor: toChecksumAddress(t.executor), ...verdict };
    if (panel) {
      await sender.send(TASKS_MODULE_ADDRESS, "vote", encode(voteArgs, { taskId, fraud: fraud ? 1 : 0 }));
      log.info(detail, `Dispute: voted ${fraud ? "out of" : "within"} tolerance`);
    } else if (fraud) {
      await sender.send(TASKS_MODULE_ADDRESS, "dispute", encode(taskIdArgs, { taskId }));
      log.warn(detail, "Task check: out of tolerance; disputed");
    } else {
      await sender.send(TASKS_MODULE_ADDRESS, "verdict", encode(taskIdArgs, { taskId }));
      log.info(detail, "Task check: within tolerance, verified");
    }
  }

  private async fetchPayload(executor: Address, taskId: Uint8Array): Promise<TaskPayload | undefined> {
    for (let i = 0; i < 3; i++) {
      try {
        const peer = await this.peerOf(executor);
        if (peer) {
          const res = await this.m.network.request(peer, PAYLOAD_PROTOCOL, taskId, PAYLOAD_LIMITS);
          if (res.length === 0) return undefined;
          return decode(taskPayloadCodec, res);
        }
      } catch {
        // retried below
      }
      await new Promise((r) => setTimeout(r, 1000));
    }
    return undefined;
  }
}
