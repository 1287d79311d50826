/**
 * Work and steering (spec/rewards.md §Work and steering): what a node's race weight predicts of the
 * task shares it serves, and its standing against that over a window of settled cycles. Issuance is
 * split by weight, so the weight must be matched by the tasks it draws (below the band a node
 * skipped work); and an intermediary that drops the draws naming others could send a coalition all
 * the tasks it pays for (above the band they were steered, not drawn).
 */
import { quantity, struct } from "../../src/encoding/index.ts";
import { WeightedPool } from "../../src/inference/index.ts";
import { type Address, equalBytes, toHex } from "../../src/types/index.ts";
import { beacon, rounds as beaconRounds } from "../beacon/index.ts";
import { voterWeights } from "../models/index.ts";
import type { ModuleContext } from "../module.ts";
import { race } from "../race/index.ts";
import { addressKey20, StoreMap } from "../store.ts";
import { servingCandidates, type TaskRecord } from "../tasks/index.ts";
import { validators as validatorsModule } from "../validators/index.ts";

/**
 * A node's record of served task shares over recent settled cycles, each cycle weighing 15/16 of
 * the one after it: the shares its weight owed it (first draws), those its weight let it draw
 * (final draws, after refusals), their variance, and those it kept. Luck averages out over the
 * window, so a small node is judged on many draws, and so is each of the accounts a miner splits
 * its weight into.
 */
export interface Standing {
  owed: bigint;
  drawn: bigint;
  variance: bigint;
  kept: bigint;
}
const standingCodec = struct<Standing>("rewards.Standing", {
  owed: quantity,
  drawn: quantity,
  variance: quantity,
  kept: quantity,
});
export const standings = new StoreMap("standing", addressKey20, standingCodec);
/** Each settled cycle keeps 15/16 of the standing before it (a half-life of about 11 cycles). */
const KEEP_NUM = 15n;
const KEEP_DEN = 16n;

/** The task shares a node's weight lets it expect to serve in one cycle. */
export interface Expectation {
  /** By each task's first draw: the work its weight owes. */
  owed: bigint;
  /** By each task's final draw, among the candidates the refusals left: what it may keep. */
  drawn: bigint;
  /** Of the shares by first draws. */
  variance: bigint;
}

export interface Judgement {
  /** The task shares it served this cycle, and those above the band: steered to it. */
  served: bigint;
  excess: bigint;
  /** Shares kept over the window, and the least the window owes (the band's floor). */
  kept: bigint;
  owed: bigint;
}

/**
 * What each candidate's weight predicts of the cycle's task shares. Each task's executor was drawn
 * by weight among the cycle's candidates but its intermediary; a task redrawn after refusals was
 * finally drawn among fewer, so who took refused tasks may keep them. Tasks with the same
 * intermediary and the same refusals share one draw distribution, so their shares (and squares)
 * are summed before the weights apply: the work is groups × candidates, not tasks × candidates.
 */
export function expectServed(
  ctx: ModuleContext,
  c: number,
  tasks: { id: Uint8Array; record: TaskRecord; share: bigint }[],
  weights: Map<string, bigint>,
): Map<string, Expectation> {
  const total = [...weights.values()].reduce((t, w) => t + w, 0n);
  const sets = new DrawSets(ctx);
  const groups = new Map<string, DrawGroup>();
  for (const { id, record, share } of tasks) {
    const intermediary = toHex(record.intermediary);
    const refused = record.attempt > 0 ? refusedDraws(ctx, sets, c, id, record) : [];
    const key = [intermediary, record.model, ...refused].join();
    const g = groups.get(key) ?? { intermediary, model: record.model, refused, sum: 0n, squares: 0n };
    g.sum += share;
    g.squares += share * share;
    groups.set(key, g);
  }
  const out = new Map<string, Expectation>();
  for (const g of groups.values()) expectGroup(g, weights, total, sets.servers(c, g.model), out);
  return out;
}

/**
 * The candidates of a cycle that serve a model (tasks.md §Serving), those its draws ran over: read
 * and sorted once per (cycle, model) for every task and group that needs them.
 */
export class DrawSets {
  private readonly sets = new Map<string, { address: Address; weight: bigint }[]>();
  private readonly pools = new Map<string, WeightedPool>();
  private readonly serverSets = new Map<string, Set<string>>();
  constructor(private readonly ctx: ModuleContext) {}

  candidates(cycle: number, model: string): { address: Address; weight: bigint }[] {
    const k = `${cycle}:${model}`;
    let set = this.sets.get(k);
    if (!set) {
      const all = voterWeights(this.ctx.storeOf(race), this.ctx.storeOf(validatorsModule), cycle).map(
        ([address, weight]) => ({ address, weight }),
      );
      set = servingCandidates(this.ctx, all, cycle, model);
      this.sets.set(k, set);
    }
    return set;
  }

  pool(cycle: number, model: string): WeightedPool {
    const k = `${cycle}:${model}`;
    let pool = this.pools.get(k);
    if (!pool) {
      pool = new WeightedPool(this.candidates(cycle, model));
      this.pools.set(k, pool);
    }
    return pool;
  }

  servers(cycle: number, model: string): Set<string> {
    const k = `${cycle}:${model}`;
    let set = this.serverSets.get(k);
    if (!set) {
      set = new Set(this.candidates(cycle, model).map((x) => toHex(x.address)));
      this.serverSets.set(k, set);
    }
    return set;
  }
}

/** Tasks that share one draw distribution: the same intermediary, model and refusals. */
export interface DrawGroup {
  intermediary: string;
  model: string;
  refused: string[];
  /** Their task shares, and the sum of the shares' squares. */
  sum: bigint;
  squares: bigint;
}

/**
 * Add what one group's draws predict for each weighted node to `out`: `servers` are the model's
 * candidates in the cycle. What a node's weight owes is of all the cycle's tasks, served or not;
 * what it may keep is of the final draws, which ran only over the model's servers the refusals left.
 */
export function expectGroup(
  g: DrawGroup,
  weights: Map<string, bigint>,
  total: bigint,
  servers: Set<string>,
  out: Map<string, Expectation>,
): void {
  const rest = total - (weights.get(g.intermediary) ?? 0n);
  if (rest <= 0n) return;
  let finalRest = 0n;
  for (const [a, w] of weights)
    if (servers.has(a) && a !== g.intermediary && !g.refused.includes(a)) finalRest += w;
  for (const [a, w] of weights) {
    if (a === g.intermediary) continue;
    const e = out.get(a) ?? { owed: 0n, drawn: 0n, variance: 0n };
    e.owed += (g.sum * w) / rest;
    if (finalRest > 0n && servers.has(a) && !g.refused.includes(a)) e.drawn += (g.sum * w) / finalRest;
    e.variance += (g.squares * w * (rest - w)) / (rest * rest);
    out.set(a, e);
  }
}

const keep = (v: bigint) => (v * KEEP_NUM) / KEEP_DEN;
const keepSquared = (v: bigint) => (v * KEEP_NUM * KEEP_NUM) / (KEEP_DEN * KEEP_DEN);
const noExpectation: Expectation = { owed: 0n, drawn: 0n, variance: 0n };
const noStanding: Standing = { owed: 0n, drawn: 0n, variance: 0n, kept: 0n };

/*
 * Judging the task shares every node served in the cycle against its standing, in two passes over
 * the nodes (the settlement's judge and release phases). Over the window, a node keeps what its
 * weight let it draw within two standard deviations: above the band, the excess was steered to it,
 * not drawn. Steered tasks were never drawn to anyone else, so what the others owed shrinks by
 * their part of the cycle's shares. Below what its weight owed less two standard deviations (the
 * floor), a node skipped work. (Refusals on record are not counted against a node: the
 * intermediary names the attempt, so it could put any node on record as refusing, at the cost of
 * one task's fee.)
 */

/**
 * The first pass for one node: the shares it served above its band (0 when it served none). The
 * cycle's sums of these and of the shares scale what every node owes.
 */
export function excessOf(
  s: ModuleContext["store"],
  a: Address,
  shares: bigint,
  e: Expectation = noExpectation,
): bigint {
  const before = standings.get(s, a) ?? noStanding;
  const spread = 2n * isqrt(keepSquared(before.variance) + e.variance);
  const over = keep(before.kept) + shares - (keep(before.drawn) + e.drawn + spread);
  return over <= 0n ? 0n : over < shares ? over : shares;
}

/** The second pass for one node, given the cycle's steered and served totals: its judgement; writes its standing. */
export function judgeAndStand(
  s: ModuleContext["store"],
  a: Address,
  shares: bigint,
  e: Expectation = noExpectation,
  steered: bigint,
  total: bigint,
): Judgement {
  const excess = excessOf(s, a, shares, e);
  const before = standings.get(s, a) ?? noStanding;
  const unsteered = (v: bigint) => (total === 0n ? v : (v * (total - steered)) / total);
  const owed = keep(before.owed) + unsteered(e.owed);
  const variance = keepSquared(before.variance) + unsteered(e.variance);
  const spread = 2n * isqrt(variance);
  const kept = keep(before.kept) + shares - excess;
  standings.set(s, a, { owed, drawn: keep(before.drawn) + e.drawn, variance, kept });
  return { served: shares, excess, kept, owed: owed > spread ? owed - spread : 0n };
}

/**
 * The candidates a redrawn task's earlier draws named (they refused it), in draw order: the draws
 * are recomputed from the receipt's beacon round under the weights of the settlement cycle or, for
 * a receipt routed the cycle before, of that cycle: whichever names the executor at its attempt.
 */
export function refusedDraws(
  ctx: ModuleContext,
  sets: DrawSets,
  c: number,
  taskId: Uint8Array,
  t: TaskRecord,
): string[] {
  const round = beaconRounds.get(ctx.storeOf(beacon), t.round);
  if (!round) return [];
  for (const cycle of c > 0 ? [c, c - 1] : [c]) {
    // Draws 0 … attempt of the routing rule (routedExecutor) over the prepared pool.
    const draws = sets
      .pool(cycle, t.model)
      .firstDraws("racecoin/executor", round.output, taskId, [t.intermediary], t.attempt + 1, true);
    const last = draws[t.attempt];
    if (last && equalBytes(last, t.executor)) return draws.slice(0, t.attempt).map((d) => toHex(d));
  }
  return [];
}

export function isqrt(n: bigint): bigint {
  if (n < 2n) return n;
  let x = n;
  let y = (x + 1n) / 2n;
  while (y < x) {
    x = y;
    y = (x + n / x) / 2n;
  }
  return x;
}
