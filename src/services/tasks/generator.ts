/**
 * The executor's generation thread for the exact class (generatorWorker.js): tasks go in, tokens
 * stream back one message each. Measured (npm run bench:inference): inside a node the model's
 * loops ran about 1.6 times slower on the main thread than in a fresh thread, beside consensus,
 * libp2p and the chain's own uses of the race arithmetic.
 */
import { Worker } from "node:worker_threads";
import type { Sampling } from "../../inference/index.ts";

type Step = { token: number; prob: number };
interface Pending {
  queue: (Step | { finish: "stop" | "length" } | { error: string })[];
  wake?: () => void;
}

export class ExactGenerator {
  private readonly worker: Worker;
  private readonly tasks = new Map<number, Pending>();
  private next = 0;

  constructor() {
    this.worker = new Worker(new URL("./generatorWorker.js", import.meta.url));
    this.worker.unref();
    this.worker.on("message", (m: { id?: number } & Record<string, unknown>) => {
      if (m.id === undefined) return;
      const t = this.tasks.get(m.id);
      if (!t) return;
      t.queue.push(m as never);
      t.wake?.();
    });
    this.worker.on("error", (e) => {
      for (const t of this.tasks.values()) {
        t.queue.push({ error: `generation thread failed: ${e.message}` });
        t.wake?.();
      }
    });
  }

  /** The tokens of one task as they are generated; returns why it ended. */
  async *run(
    prompt: Uint8Array,
    maxTokens: number,
    sampling: Sampling,
    dummy: boolean,
  ): AsyncGenerator<Step, "stop" | "length"> {
    const id = this.next++;
    const t: Pending = { queue: [] };
    this.tasks.set(id, t);
    this.worker.postMessage({ id, prompt, maxTokens, sampling, dummy });
    try {
      for (;;) {
        while (t.queue.length === 0) await new Promise<void>((r) => (t.wake = r));
        const m = t.queue.shift()!;
        if ("error" in m) throw new Error(m.error);
        if ("finish" in m) return m.finish;
        yield m;
      }
    } finally {
      this.tasks.delete(id);
    }
  }

  async close(): Promise<void> {
    await this.worker.terminate();
  }
}
