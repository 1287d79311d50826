/**
 * Single-node block production on the preset's interval. This is the seam the BFT engine
 * replaces: anything that implements BlockSource can drive the chain.
 */
import type { Chain } from "../chain/index.ts";
import type { Logger } from "../logger/index.ts";
import type { Mempool } from "../mempool/index.ts";
import { type Address, toHex } from "../types/index.ts";

export interface BlockSource {
  start(): void;
  stop(): Promise<void>;
}

export interface ProducerOptions {
  intervalMs: number;
  proposer: Address;
}

export class IntervalProducer implements BlockSource {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;

  constructor(
    private readonly opts: ProducerOptions,
    private readonly m: { chain: Chain; mempool: Mempool; log: Logger },
  ) {}

  start(): void {
    this.schedule();
  }

  private schedule(): void {
    if (this.stopped) return;
    // Align to the interval from the head's time so restarts keep the rhythm.
    const next = Number(this.m.chain.head.time) + this.opts.intervalMs;
    const delay = Math.max(0, Math.min(this.opts.intervalMs, next - Date.now()));
    this.timer = setTimeout(() => {
      this.running = this.produce().finally(() => {
        this.running = undefined;
        this.schedule();
      });
    }, delay);
  }

  private async produce(): Promise<void> {
    const { chain, mempool, log } = this.m;
    try {
      const result = await chain.produceBlock(
        () => mempool.candidates(),
        this.opts.proposer,
        BigInt(Date.now()),
      );
      if (result.rejected.length > 0) mempool.remove(result.rejected.map((r) => r.rt.tx.hash));
      const level = result.block.txs.length > 0 ? "info" : "debug";
      log[level](
        {
          height: result.header.height,
          txs: result.block.txs.length,
          gasUsed: result.gasUsed.toString(),
          hash: toHex(result.hash).slice(0, 18),
        },
        "Produced block",
      );
    } catch (e) {
      log.error({ err: e }, "Block production failed");
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }
}
