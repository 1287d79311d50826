/**
 * Executor choice (spec/inference.md §Routing): the node a developer calls does not run the task
 * itself; it draws the executor by race weight with randomness it does not control — the latest
 * beacon output and the task's id — so anyone holding the chain can recompute who was due to run
 * which task. A failed executor is replaced by the next draw (attempt + 1) without it.
 */
import { createHash } from "node:crypto";
import { type Address, compareBytes, equalBytes } from "../types/index.ts";

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
  const pool = candidates
    .filter((c) => c.weight > 0n && !exclude.some((x) => equalBytes(x, c.address)))
    .sort((a, b) => compareBytes(a.address, b.address));
  const total = pool.reduce((t, c) => t + c.weight, 0n);
  if (total === 0n) return undefined;
  const n = Buffer.alloc(4);
  n.writeUInt32BE(attempt);
  const h = createHash("sha256").update(domain).update(beaconOutput).update(taskId).update(n).digest();
  let r = BigInt(`0x${h.toString("hex")}`) % total;
  for (const c of pool) {
    if (r < c.weight) return c.address;
    r -= c.weight;
  }
  return pool[pool.length - 1]!.address;
}
