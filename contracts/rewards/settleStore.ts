/**
 * What a settlement in steps keeps in the rewards store between blocks (spec/rewards.md
 * §Settlement in steps): each node's fee sums, the draw groups' rates and each model's server
 * weight, read by the fold (settlement.ts) and drained by the release (release.ts).
 */

import { quantity, struct, uint } from "../../src/encoding/index.ts";
import { addressKey20, bytesKey, StoreMap } from "../store.ts";

/**
 * tasks: fold the tasks into sums and groups; weigh: the cycle's total weight and each model's
 * servers' weight, over the weighted accounts; groups: fold the groups into rates; judge: the
 * totals over every node with sums; release: each account's record and release; close: bounties,
 * funds and supply.
 */
export const Phase = { tasks: 0, weigh: 1, groups: 2, judge: 3, release: 4, close: 5 } as const;

/** One node's sums in the cycle under settlement. */
export interface NodeSums {
  /** Fees of the tasks it executed, less a verified task's half (its verifier's). */
  execFee: bigint;
  /** Half the fee of every task it verified. */
  verFee: bigint;
  /** Fees of every task it executed: what it served. */
  servedFee: bigint;
  tasksDone: number;
  checksDrawn: number;
  checksDone: number;
  /** 1: an executor or a verifier of the cycle (it has a rewards record whatever it earned). */
  worked: number;
}
const sumsCodec = struct<NodeSums>("rewards.NodeSums", {
  execFee: quantity,
  verFee: quantity,
  servedFee: quantity,
  tasksDone: uint,
  checksDrawn: uint,
  checksDone: uint,
  worked: uint,
});

export const settleSums = new StoreMap("settleSums", addressKey20, sumsCodec);

/**
 * What the draw groups predict, with the weights factored out (fixed point, × 2^96): per group,
 * Σ count · 1000 / rest, Σ S / rest, Σ S² / rest, Σ S² / rest² and, per model, Σ S / finalRest —
 * over every group ("*"), over the groups an account is intermediary of ("i|address", which it
 * never draws), per model ("m|model") and per model less an account it excludes from the final
 * draws ("d|model|address": intermediary or refused). A node's expectation is its weight times the
 * difference, taken once at the release: a group costs its refusals, not the whole weighted set.
 */
export interface Rates {
  fair: bigint;
  owed: bigint;
  v1: bigint;
  v2: bigint;
  drawn: bigint;
}
const ratesCodec = struct<Rates>("rewards.Rates", {
  fair: quantity,
  owed: quantity,
  v1: quantity,
  v2: quantity,
  drawn: quantity,
});
export const settleRates = new StoreMap("settleRates", bytesKey, ratesCodec);
/** model → the weight of the cycle's candidates that serve it (the weigh phase's sums). */
export const settleServers = new StoreMap("settleServers", bytesKey, quantity);
export const modelKey = (model: string) => new TextEncoder().encode(model);
/** Race fraud that stood: what work alone would have released the miner, the cap of its prover's bounty. */
export const settleRaceCosts = new StoreMap("settleRaceCosts", addressKey20, quantity);
export const ONE = 1n << 96n;
export const noRates = (): Rates => ({ fair: 0n, owed: 0n, v1: 0n, v2: 0n, drawn: 0n });
export const rateKey = (name: string) => new TextEncoder().encode(name);

export const emptySums = (): NodeSums => ({
  execFee: 0n,
  verFee: 0n,
  servedFee: 0n,
  tasksDone: 0,
  checksDrawn: 0,
  checksDone: 0,
  worked: 0,
});
