/**
 * Dummy tasks (spec/tasks.md §Dummy tasks): requests the network pays for itself, so that idle
 * capacity does useful-looking work and new executors can build reputation.
 *
 * - `TrafficModel` learns the shape of the real requests this node relays: a reservoir of recent
 *   requests (prompt length, max_tokens, temperature, top_p) and an order-2 byte Markov chain over
 *   their prompts. It samples synthetic requests from that: a node that sees a task cannot tell
 *   from its payload which kind it is (`test/unit/dummy.test.ts` measures a classifier).
 * - `DummyTraffic` sends them through this node's own router like any request, at a Poisson rate,
 *   paid by fresh developer accounts: after as many tasks as a developer's key typically pays for
 *   (learned), it funds a new random account from the fund account, which deposits and
 *   authorizes a new API key. "Hidden" tasks look like
 *   user requests; "marked" tasks carry the `dummy` flag, and executors serve them after real ones.
 */
import { authorizeKeyArgs, bank, taskAmountArgs, transferArgs } from "../../../contracts/index.ts";
import type { Chain } from "../../chain/index.ts";
import { privateKeyToAddress, randomPrivateKey } from "../../crypto/index.ts";
import { encode } from "../../encoding/index.ts";
import type { Logger } from "../../logger/index.ts";
import type { Mempool } from "../../mempool/index.ts";
import { TASKS_MODULE_ADDRESS } from "../../params/index.ts";
import type { InferenceRouter } from "../../rpc/index.ts";
import { ModuleTxSender } from "../miner/sender.ts";

export interface RequestShape {
  prompt: Uint8Array;
  maxTokens: number;
  temperatureMilli: number;
  topPMilli: number;
}

const RESERVOIR = 256;

/**
 * A learned model of request shapes (no identities: only payload shape and prompt text): a
 * reservoir of recent requests and an order-2 Markov chain over their words (whitespace kept as
 * part of each word, so line structure survives).
 */
export class TrafficModel {
  private readonly reservoir: { shape: RequestShape; words: string[] }[] = [];
  private seen = 0;
  /** "w1\u0000w2" → counts of the next word. */
  private readonly chain = new Map<string, Map<string, number>>();

  constructor(private readonly rand: () => number = Math.random) {}

  get size(): number {
    return this.reservoir.length;
  }

  /** Requests per paying key seen so far (API key address → count). */
  private readonly perKey = new Map<string, number>();

  /** Learn from a real request; `payer` identifies its paying key (only counted, never kept with the text). */
  observe(r: RequestShape, payer?: string): void {
    this.seen++;
    if (payer !== undefined) {
      this.perKey.set(payer, (this.perKey.get(payer) ?? 0) + 1);
      while (this.perKey.size > 10_000) this.perKey.delete(this.perKey.keys().next().value!);
    }
    const words = new TextDecoder().decode(r.prompt).match(/\S+\s*|\s+/g) ?? [];
    const entry = {
      shape: {
        prompt: r.prompt,
        maxTokens: r.maxTokens,
        temperatureMilli: r.temperatureMilli,
        topPMilli: r.topPMilli,
      },
      words,
    };
    if (this.reservoir.length < RESERVOIR) this.reservoir.push(entry);
    else {
      const i = Math.floor(this.rand() * this.seen);
      if (i < RESERVOIR) this.reservoir[i] = entry;
    }
    for (let i = 2; i < words.length; i++) {
      const k = `${words[i - 2]}\u0000${words[i - 1]}`;
      const next = this.chain.get(k) ?? new Map<string, number>();
      this.chain.set(k, next);
      next.set(words[i]!, (next.get(words[i]!) ?? 0) + 1);
    }
  }

  /**
   * How many tasks the next fresh paying account pays for: the count of a key seen, drawn at
   * random, so dummy payers' histories look like developers'.
   */
  accountTasks(): number {
    // Resample a key seen: its count is drawn from the empirical distribution of keys' counts.
    const counts = [...this.perKey.values()];
    return counts.length === 0 ? 20 : this.pick(counts);
  }

  private pick<T>(xs: readonly T[]): T {
    return xs[Math.floor(this.rand() * xs.length)]!;
  }

  /**
   * A synthetic request: a real request's parameters, its text walked on the chain from a real
   * opening to where real prompts end (a pair of words no prompt continues), within the context.
   */
  sample(): RequestShape | undefined {
    if (this.reservoir.length === 0) return undefined;
    for (let attempt = 0; attempt < 16; attempt++) {
      const base = this.pick(this.reservoir);
      const out = this.pick(this.reservoir).words.slice(0, 2);
      for (let guard = 0; guard < 512; guard++) {
        const next =
          out.length >= 2 ? this.chain.get(`${out[out.length - 2]}\u0000${out[out.length - 1]}`) : undefined;
        if (!next || next.size === 0) break;
        const total = [...next.values()].reduce((a, b) => a + b, 0);
        let pick = this.rand() * total;
        for (const [w, n] of next) {
          pick -= n;
          if (pick < 0) {
            out.push(w);
            break;
          }
        }
      }
      const prompt = new TextEncoder().encode(out.join(""));
      if (prompt.length < 255) return { ...base.shape, prompt };
    }
    return { ...this.pick(this.reservoir).shape };
  }
}

export interface DummyTrafficOptions {
  /** The account that pays for dummy tasks (through fresh accounts). */
  fundKey: Uint8Array;
  /** Mean dummy tasks per minute. */
  perMinute: number;
  /** Wei moved to each fresh account (deposited into its escrow, minus gas). */
  fundEach: bigint;
  mode: "hidden" | "marked";
}

export class DummyTraffic {
  readonly model = new TrafficModel();
  private timer: NodeJS.Timeout | undefined;
  private payer: { apiKey: Uint8Array; left: number } | undefined;
  private funding: Promise<void> | undefined;
  private readonly fund: ModuleTxSender;
  sent = 0;
  failed = 0;

  constructor(
    private readonly opts: DummyTrafficOptions,
    private readonly m: {
      chain: Chain;
      mempool: Mempool;
      broadcastTx: (raw: Uint8Array) => void;
      peers: () => number;
      router: InferenceRouter;
      log: Logger;
    },
  ) {
    this.fund = new ModuleTxSender(opts.fundKey, m);
  }

  start(): void {
    const next = () => {
      // Poisson arrivals: exponential gaps with the configured mean.
      const gap = (-Math.log(1 - Math.random()) * 60_000) / this.opts.perMinute;
      this.timer = setTimeout(() => {
        void this.once().finally(next);
      }, gap);
      this.timer.unref();
    };
    next();
  }

  stop(): void {
    clearTimeout(this.timer);
  }

  private async once(): Promise<void> {
    const shape = this.model.sample();
    if (!shape) return; // nothing learned yet: no traffic to mimic
    if (!this.payer || this.payer.left <= 0) {
      this.funding ??= this.newPayer().finally(() => {
        this.funding = undefined;
      });
      try {
        await this.funding;
      } catch (e) {
        this.m.log.warn(
          { err: (e as Error).message },
          "Dummy tasks: funding a fresh account failed; retrying later",
        );
      }
      return;
    }
    this.payer.left--;
    try {
      await this.m.router.route(
        {
          apiKey: this.payer.apiKey,
          body: new TextEncoder().encode(
            JSON.stringify({ model: "racecoin-exact-tiny", n: this.sent, at: Date.now() }),
          ),
          model: "racecoin-exact-tiny",
          prompt: shape.prompt,
          maxTokens: shape.maxTokens,
          temperatureMilli: shape.temperatureMilli,
          topPMilli: shape.topPMilli,
          seed: BigInt(Math.floor(Math.random() * 2 ** 31)),
          ...(this.opts.mode === "marked" ? { dummy: true } : {}),
        },
        () => {},
      );
      this.sent++;
    } catch (e) {
      this.failed++;
      this.m.log.debug({ err: (e as Error).message }, "Dummy task failed");
    }
  }

  /** A fresh account, funded from the fund, with escrow and an API key of its own. */
  private async newPayer(): Promise<void> {
    const key = randomPrivateKey();
    const address = privateKeyToAddress(key);
    await this.fund.send(
      bank.address,
      "transfer",
      encode(transferArgs, { to: address, amount: this.opts.fundEach }),
    );
    await this.waitFor(() => this.m.chain.state.getAccount(address).balance >= this.opts.fundEach);
    const sender = new ModuleTxSender(key, this.m);
    const apiKey = randomPrivateKey();
    await sender.send(
      TASKS_MODULE_ADDRESS,
      "deposit",
      encode(taskAmountArgs, { amount: (this.opts.fundEach * 9n) / 10n }),
    );
    await sender.send(
      TASKS_MODULE_ADDRESS,
      "authorizeKey",
      encode(authorizeKeyArgs, { key: privateKeyToAddress(apiKey), limit: this.opts.fundEach }),
    );
    await this.waitFor(() => this.m.chain.state.getAccount(address).nonce >= 2n);
    const left = this.model.accountTasks();
    this.payer = { apiKey, left };
    this.m.log.info({ tasks: left }, "Dummy tasks: a fresh paying account is ready");
  }

  private async waitFor(ok: () => boolean): Promise<void> {
    for (let i = 0; i < 120 && !ok(); i++) await new Promise((r) => setTimeout(r, 500));
    if (!ok()) throw new Error("dummy tasks: funding did not land in 60 s");
  }
}
