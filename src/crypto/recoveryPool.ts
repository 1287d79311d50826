/**
 * Sender recovery in worker threads so the event loop (RPC, block production) stays responsive.
 * Work is split into one chunk per worker; results come back in input order.
 */
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import type { Address } from "../types/index.ts";
import { recoverAddress } from "./secp256k1.ts";

export interface RecoveryItem {
  digest: Uint8Array;
  /** r ‖ s, 64 bytes. */
  rs: Uint8Array;
  recovery: 0 | 1;
}

export interface SenderRecovery {
  recover(items: RecoveryItem[]): Promise<(Address | null)[]>;
  close(): Promise<void>;
}

/** Same-thread recovery: for tests and tiny batches. */
export const inlineRecovery: SenderRecovery = {
  async recover(items) {
    return items.map((it) => recoverAddress(it.digest, it.rs, it.recovery));
  },
  async close() {},
};

interface Pending {
  resolve: (out: Uint8Array) => void;
  reject: (e: Error) => void;
  worker: Worker;
}

export class RecoveryPool implements SenderRecovery {
  private readonly workers: Worker[] = [];
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;
  private next = 0;

  constructor(readonly size = Math.max(1, availableParallelism())) {
    for (let i = 0; i < size; i++) {
      const w = new Worker(new URL("./recoverWorker.js", import.meta.url));
      w.on("message", (m: { id: number; output: Uint8Array }) => {
        const p = this.pending.get(m.id);
        this.pending.delete(m.id);
        if (!this.hasPendingFor(w)) w.unref();
        p?.resolve(m.output);
      });
      w.on("error", (e) => {
        for (const p of this.pending.values()) p.reject(e);
        this.pending.clear();
      });
      w.unref();
      this.workers.push(w);
    }
  }

  private run(worker: Worker, items: RecoveryItem[]): Promise<Uint8Array> {
    const input = new Uint8Array(items.length * 97);
    items.forEach((it, i) => {
      input.set(it.digest, i * 97);
      input.set(it.rs, i * 97 + 32);
      input[i * 97 + 96] = it.recovery;
    });
    const id = this.nextId++;
    // Workers stay unref'd while idle so a pool never keeps a process alive by itself.
    worker.ref();
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, worker });
      worker.postMessage({ id, input, count: items.length }, [input.buffer]);
    });
  }

  private hasPendingFor(w: Worker): boolean {
    for (const p of this.pending.values()) if (p.worker === w) return true;
    return false;
  }

  async recover(items: RecoveryItem[]): Promise<(Address | null)[]> {
    if (items.length === 0) return [];
    const chunks = Math.min(this.workers.length, items.length);
    const per = Math.ceil(items.length / chunks);
    const jobs: Promise<Uint8Array>[] = [];
    for (let c = 0; c < chunks; c++) {
      const worker = this.workers[this.next++ % this.workers.length]!;
      jobs.push(this.run(worker, items.slice(c * per, (c + 1) * per)));
    }
    const outs = await Promise.all(jobs);
    const result: (Address | null)[] = [];
    for (const out of outs) {
      for (let i = 0; i < out.length; i += 21) result.push(out[i] === 1 ? out.slice(i + 1, i + 21) : null);
    }
    return result;
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
