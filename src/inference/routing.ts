/**
 * Executor choice (spec/inference.md §Routing): the node a developer calls does not run the task
 * itself; it draws the executor by race weight with randomness it does not control — the latest
 * beacon output and the task's id — so anyone holding the chain can recompute who was due to run
 * which task. A failed executor is replaced by the next draw (attempt + 1) without it.
 */
import { createHash } from "node:crypto";
import { type Address, compareBytes, equalBytes, toHex } from "../types/index.ts";

/** Draws per task: the first executor and at most two replacements (attempts 0, 1, 2). */
export const MAX_ATTEMPTS = 3;

export interface Candidate {
  address: Address;
  weight: bigint;
}

/**
 * r = u256(SHA-256("racecoin/executor" ‖ beaconOutput ‖ taskId ‖ u32be(attempt))) mod W over the
 * candidates with weight > 0 not excluded, sorted by address; the executor is the first whose
 * cumulative weight exceeds r. Undefined when no candidate is left.
 */
export function chooseExecutor(
  beaconOutput: Uint8Array,
  taskId: Uint8Array,
  candidates: readonly Candidate[],
  exclude: readonly Address[] = [],
  attempt = 0,
): Address | undefined {
  return drawByWeight("racecoin/executor", beaconOutput, taskId, candidates, exclude, attempt);
}

/** The weighted draw behind executor and task-verifier choice, under a domain string. */
export function drawByWeight(
  domain: string,
  beaconOutput: Uint8Array,
  taskId: Uint8Array,
  candidates: readonly Candidate[],
  exclude: readonly Address[] = [],
  attempt = 0,
): Address | undefined {
  return new WeightedPool(candidates).draw(domain, beaconOutput, taskId, exclude, attempt);
}

function drawHash(domain: string, beaconOutput: Uint8Array, taskId: Uint8Array, attempt: number): bigint {
  const n = Buffer.alloc(4);
  n.writeUInt32BE(attempt);
  const h = createHash("sha256").update(domain).update(beaconOutput).update(taskId).update(n).digest();
  return BigInt(`0x${h.toString("hex")}`);
}

/**
 * The candidates of one draw rule, prepared once (weight > 0, sorted by address) so that many
 * draws over the same set cost O(n) each, and a sequence of draws that each exclude the ones
 * before costs O(n log n) in all (a Fenwick tree of the weights) instead of O(n²·seats).
 * Same results as drawing one at a time with `drawByWeight`.
 */
export class WeightedPool {
  private readonly pool: Candidate[];

  /** Built on first use by firstDraws: prefix sums of the weights, and each address's entries. */
  private prefix?: bigint[];
  private entriesOf?: Map<string, number[]>;

  constructor(candidates: readonly Candidate[]) {
    this.pool = candidates.filter((c) => c.weight > 0n).sort((a, b) => compareBytes(a.address, b.address));
  }

  /**
   * The first `k` draws of `inTurn` (same results), for few draws over a large pool: each draw is
   * a binary search over prefix sums prepared once per pool, less the few entries excluded so far,
   * O(k · (|exclude| + k) · log n) instead of building a tree over the pool per call.
   */
  firstDraws(
    domain: string,
    beaconOutput: Uint8Array,
    taskId: Uint8Array,
    exclude: readonly Address[],
    k: number,
    countAttempts = false,
  ): Address[] {
    if (!this.prefix || !this.entriesOf) {
      const prefix = [0n];
      const entriesOf = new Map<string, number[]>();
      for (const [j, c] of this.pool.entries()) {
        prefix.push(prefix[j]! + c.weight);
        const a = toHex(c.address);
        entriesOf.set(a, [...(entriesOf.get(a) ?? []), j]);
      }
      this.prefix = prefix;
      this.entriesOf = entriesOf;
    }
    const prefix = this.prefix;
    const n = this.pool.length;
    /** Excluded entries, by index: [index, weight]. */
    const out: [number, bigint][] = [];
    const leave = (a: Address) => {
      for (const j of this.entriesOf!.get(toHex(a)) ?? [])
        if (!out.some(([i]) => i === j)) out.push([j, this.pool[j]!.weight]);
    };
    for (const a of exclude) leave(a);
    const fixed = countAttempts ? 0n : drawHash(domain, beaconOutput, taskId, 0);
    const drawn: Address[] = [];
    for (let d = 0; d < k; d++) {
      let total = prefix[n]!;
      for (const [, w] of out) total -= w;
      if (total <= 0n) break;
      const r = (countAttempts ? drawHash(domain, beaconOutput, taskId, d) : fixed) % total;
      // The first index whose cumulative weight, less the excluded entries up to it, exceeds r.
      const below = (i: number) => {
        let v = prefix[i + 1]!;
        for (const [j, w] of out) if (j <= i) v -= w;
        return v;
      };
      let lo = 0;
      let hi = n - 1;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (below(mid) > r) hi = mid;
        else lo = mid + 1;
      }
      const chosen = this.pool[lo]!.address;
      drawn.push(chosen);
      leave(chosen);
    }
    return drawn;
  }

  /**
   * r = u256(SHA-256(domain ‖ beaconOutput ‖ taskId ‖ u32be(attempt))) mod W over the pool less
   * `exclude`; the first candidate whose cumulative weight exceeds r.
   */
  draw(
    domain: string,
    beaconOutput: Uint8Array,
    taskId: Uint8Array,
    exclude: readonly Address[] = [],
    attempt = 0,
  ): Address | undefined {
    const kept = (c: Candidate) => !exclude.some((x) => equalBytes(x, c.address));
    let total = 0n;
    for (const c of this.pool) if (kept(c)) total += c.weight;
    if (total === 0n) return undefined;
    let r = drawHash(domain, beaconOutput, taskId, attempt) % total;
    let last: Candidate | undefined;
    for (const c of this.pool) {
      if (!kept(c)) continue;
      if (r < c.weight) return c.address;
      r -= c.weight;
      last = c;
    }
    return last!.address;
  }

  /**
   * Draws in turn, each excluding `exclude` and every address drawn before it: the k-th uses
   * attempt k when `countAttempts` (executor redraws), else attempt 0 (panels and committees).
   * Stops when no weight is left; the caller stops taking when it has enough.
   */
  *inTurn(
    domain: string,
    beaconOutput: Uint8Array,
    taskId: Uint8Array,
    exclude: readonly Address[] = [],
    countAttempts = false,
  ): Generator<Address> {
    const pool = this.pool.filter((c) => !exclude.some((x) => equalBytes(x, c.address)));
    const n = pool.length;
    // tree[i] holds the sum of weights (i − lowbit(i), i] (1-based).
    const tree = new Array<bigint>(n + 1).fill(0n);
    let total = 0n;
    for (let i = 1; i <= n; i++) {
      tree[i]! += pool[i - 1]!.weight;
      total += pool[i - 1]!.weight;
      const j = i + (i & -i);
      if (j <= n) tree[j]! += tree[i]!;
    }
    let top = 1;
    while (top * 2 <= n) top *= 2;
    const entries = new Map<string, number[]>();
    for (const [j, c] of pool.entries()) {
      const k = toHex(c.address);
      entries.set(k, [...(entries.get(k) ?? []), j]);
    }
    const removed = new Array<boolean>(n).fill(false);
    const fixed = countAttempts ? 0n : drawHash(domain, beaconOutput, taskId, 0);
    for (let k = 0; total > 0n; k++) {
      let r = (countAttempts ? drawHash(domain, beaconOutput, taskId, k) : fixed) % total;
      // The lowest index whose prefix sum exceeds r.
      let at = 0;
      for (let step = top; step > 0; step >>= 1)
        if (at + step <= n && tree[at + step]! <= r) {
          at += step;
          r -= tree[at]!;
        }
      const chosen = pool[at]!;
      yield chosen.address;
      // Every entry of that address leaves (a set lists each once; drawByWeight's exclusion would).
      for (const j of entries.get(toHex(chosen.address))!) {
        const w = pool[j]!.weight;
        if (w === 0n || removed[j]) continue;
        removed[j] = true;
        total -= w;
        for (let i = j + 1; i <= n; i += i & -i) tree[i]! -= w;
      }
    }
  }
}
