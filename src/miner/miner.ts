/**
 * The miner loop (spec/race.md §Mining): worker threads evaluate nonce ranges handed out by the
 * main thread, which only collects results, so it stays responsive. Runs until the time is up or
 * the signal aborts; found proofs stream to a callback.
 */
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import {
  type Commitment,
  checkRaceConfig,
  commit,
  MAX_NONCE,
  nodeSeed,
  type RaceConfig,
} from "../race/index.ts";
import type { Address } from "../types/index.ts";

export interface MineOptions {
  backend: string;
  raceSeed: Uint8Array;
  config: RaceConfig;
  miner: Address;
  durationMs: number;
  workers?: number;
  /** Nonces per work unit. */
  batch?: number;
  startNonce?: bigint;
  signal?: AbortSignal;
  /**
   * Fraction of time each worker computes (0 < duty ≤ 1, default 1): after a range that took t ms
   * the worker rests t·(1 − duty)/duty ms, leaving the cores to consensus and RPC.
   */
  duty?: number;
  /**
   * Nice value of the worker threads (0–19; Linux applies it per thread). The in-node miner uses
   * 19: any thread of the node at the default priority gets the core first.
   */
  nice?: number;
  onProof?: (nonce: bigint, distance: number) => void;
  /** The race's threshold, as soon as worker 0 has calibrated. */
  onThreshold?: (threshold: bigint) => void;
  onProgress?: (p: MineProgress) => void;
}

export interface MineProgress {
  nonces: number;
  proofs: number;
  elapsedMs: number;
  noncesPerSec: number;
  phase: "loading" | "calibrating" | "mining";
  /** Loading: layers built (of `total`); calibrating: calibration nonces done (of `total`). */
  done?: number;
  total?: number;
}

export interface MineResult {
  nonces: number;
  proofs: bigint[];
  noncesPerSec: number;
  elapsedMs: number;
  threshold: bigint;
  calibration: { mean: bigint; std: bigint };
  commitment: Commitment;
}

type WorkerMsg =
  | { type: "ready" }
  | { type: "calibrated"; mean: bigint; std: bigint; threshold: bigint }
  | { type: "done"; count: number; found: [bigint, number][] }
  | { type: "error"; message: string }
  | { type: "progress"; phase: "loading" | "calibrating"; done: number; total: number };

export async function mine(opts: MineOptions): Promise<MineResult> {
  checkRaceConfig(opts.config);
  // onnxruntime already runs one model on every core; a second worker would only double the memory.
  const n = opts.workers ?? (opts.backend === "onnx" ? 1 : Math.max(1, availableParallelism()));
  const batch = opts.batch ?? 64;
  const started = performance.now();
  const progress = (phase: MineProgress["phase"], nonces = 0, proofs = 0, since = started) => {
    const elapsedMs = performance.now() - since;
    opts.onProgress?.({
      nonces,
      proofs,
      elapsedMs,
      noncesPerSec: elapsedMs > 0 ? (nonces * 1000) / elapsedMs : 0,
      phase,
    });
  };
  progress("loading");
  const workerData = {
    backend: opts.backend,
    raceSeed: opts.raceSeed,
    config: opts.config,
    nodeSeed: nodeSeed(opts.miner),
    nice: opts.nice ?? 0,
  };
  const workers = Array.from(
    { length: n },
    () => new Worker(new URL("./minerWorker.js", import.meta.url), { workerData }),
  );
  const inbox = workers.map((w) => {
    const queue: WorkerMsg[] = [];
    let wake: (() => void) | undefined;
    let failure: Error | undefined;
    w.on("message", (m: WorkerMsg) => {
      if (m.type === "progress") {
        // Worker 0 speaks for all: they load the same model at the same pace.
        if (w === workers[0])
          opts.onProgress?.({
            nonces: 0,
            proofs: 0,
            elapsedMs: performance.now() - started,
            noncesPerSec: 0,
            phase: m.phase,
            done: m.done,
            total: m.total,
          });
        return;
      }
      queue.push(m);
      wake?.();
    });
    w.on("error", (e) => {
      failure = e;
      wake?.();
    });
    return async (): Promise<WorkerMsg> => {
      while (queue.length === 0) {
        if (failure) throw failure;
        await new Promise<void>((r) => {
          wake = r;
        });
      }
      const m = queue.shift()!;
      if (m.type === "error") throw new Error(`miner worker: ${m.message}`);
      return m;
    };
  });
  try {
    await Promise.all(inbox.map((next) => next()));
    progress("calibrating");
    workers[0]!.postMessage({ type: "calibrate" });
    const cal = (await inbox[0]!()) as Extract<WorkerMsg, { type: "calibrated" }>;
    for (const w of workers) w.postMessage({ type: "threshold", threshold: cal.threshold });
    opts.onThreshold?.(cal.threshold);

    const mineStart = performance.now();
    const deadline = mineStart + opts.durationMs;
    let next = opts.startNonce ?? 0n;
    let nonces = 0;
    const found: bigint[] = [];
    const hand = (w: Worker) => {
      if (performance.now() >= deadline || opts.signal?.aborted || next > MAX_NONCE) return false;
      const count = Number(MAX_NONCE - next + 1n < BigInt(batch) ? MAX_NONCE - next + 1n : BigInt(batch));
      w.postMessage({ type: "range", start: next, count });
      next += BigInt(count);
      return true;
    };
    await Promise.all(
      workers.map(async (w, i) => {
        while (hand(w)) {
          const t0 = performance.now();
          const m = (await inbox[i]!()) as Extract<WorkerMsg, { type: "done" }>;
          const duty = opts.duty ?? 1;
          if (duty < 1) {
            const rest = Math.min(
              (performance.now() - t0) * ((1 - duty) / duty),
              Math.max(0, deadline - performance.now()),
            );
            if (rest > 0) await new Promise((r) => setTimeout(r, rest));
          }
          nonces += m.count;
          for (const [nonce, distance] of m.found) {
            found.push(nonce);
            opts.onProof?.(nonce, distance);
          }
          progress("mining", nonces, found.length, mineStart);
        }
      }),
    );
    const elapsedMs = performance.now() - mineStart;
    found.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    return {
      nonces,
      proofs: found,
      noncesPerSec: (nonces * 1000) / elapsedMs,
      elapsedMs,
      threshold: cal.threshold,
      calibration: { mean: cal.mean, std: cal.std },
      commitment: commit(found),
    };
  } finally {
    await Promise.all(workers.map(closeWorker));
  }
}

/**
 * Ask a worker to release its model's sessions, then end it: `terminate` alone leaves their native
 * memory to the isolate's teardown, at no defined time. A worker that does not exit within 5 s
 * (still loading, or stuck) is terminated.
 */
async function closeWorker(w: Worker): Promise<void> {
  const exited = new Promise<void>((resolve) => w.once("exit", () => resolve()));
  w.postMessage({ type: "close" });
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([exited, new Promise<void>((resolve) => (timer = setTimeout(resolve, 5_000)))]);
  clearTimeout(timer);
  await w.terminate();
}
