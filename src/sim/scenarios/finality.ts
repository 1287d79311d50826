/**
 * Finality at WAN latency: n equal-weight validators spread over seven regions, the mainnet
 * preset's timeouts and block pacing, optionally 1/3 − ε of the weight crashed or slow, and an
 * optional partition of the set into two halves for a while (then healed).
 */
import { mainnet, minimal } from "../../params/index.ts";
import { ConsensusNet, SIM_CHAIN_ID } from "../consensusNet.ts";
import { defaultCosts, type SimCosts } from "../costs.ts";
import { Simulator } from "../engine.ts";
import { defaultGossipOptions } from "../gossip.ts";
import { Rng } from "../rng.ts";
import { histogram, mean, ms2s, percentile, r } from "../stats.ts";
import { transfers } from "../txs.ts";
import { defaultWanOptions, type NodeLink, spreadLinks, Wan } from "../wan.ts";

/** The validators' regions and links of a seed: shared with the namespace testnet (calibration). */
export function validatorLinks(seed: string, n: number, upMbps: number, downMbps: number): NodeLink[] {
  return spreadLinks(n, new Rng(`${seed}/regions`), upMbps, downMbps);
}

export interface FinalityOptions {
  seed: string;
  validators: number;
  /** Heights every live validator must decide. */
  heights: number;
  /** "crash": the largest set under 1/3 of the weight never starts; "slow": it sends everything late. */
  fault: "none" | "crash" | "slow";
  slowMs: number;
  /** Transfers in every block. */
  txs: number;
  upMbps: number;
  downMbps: number;
  loss: number;
  /** Split the set into two halves from `at` for `forMs` (simulated ms). */
  partition?: { atMs: number; forMs: number };
  /** Non-validator nodes (miners following the chain): 20 Mbps up, 50 down. */
  followers: number;
  preset: "mainnet" | "minimal";
  /** Per-height node work beyond messages and execution (costs.ts heightOverheadMs). */
  heightOverheadMs?: number;
  /** Time to execute one block when validating or importing it (default: per transfer, costs.ts). */
  blockApplyMs?: number;
  /** The pause after a commit (the node's --block-time-ms); default: the preset's. */
  blockTimeMs?: number;
  jitter: number;
  latencyScale: number;
  floodPublish: boolean;
  costs: SimCosts;
  /** Give up after this much simulated time. */
  maxSimMs: number;
}

export const defaultFinalityOptions: FinalityOptions = {
  seed: "racecoin",
  validators: 16,
  heights: 20,
  fault: "none",
  slowMs: 1500,
  txs: 100,
  upMbps: 100,
  downMbps: 100,
  loss: 0.001,
  costs: defaultCosts,
  maxSimMs: 3_600_000,
  followers: 0,
  preset: "mainnet",
  jitter: defaultWanOptions.jitter,
  latencyScale: 1,
  floodPublish: true,
};

export function runFinality(o: FinalityOptions): Record<string, unknown> {
  const rng = new Rng(o.seed);
  const sim = new Simulator();
  const n = o.validators;
  const f = o.followers;
  const links = [
    ...validatorLinks(o.seed, n, o.upMbps, o.downMbps),
    ...spreadLinks(f, rng.fork("follower-regions"), 20, 50),
  ];
  const wan = new Wan(sim, rng.fork("wan"), links, {
    ...defaultWanOptions,
    loss: o.loss,
    jitter: o.jitter,
    latencyScale: o.latencyScale,
  });
  const preset = o.preset === "minimal" ? minimal : mainnet;
  const consensus = { ...preset.consensus, commitMs: o.blockTimeMs ?? preset.consensus.commitMs };
  const net = new ConsensusNet(sim, wan, rng.fork("consensus"), {
    weights: Array.from({ length: n }, () => 1000n),
    timeouts: consensus,
    commitMs: consensus.commitMs,
    rebroadcastMs: consensus.rebroadcastMs,
    cycleLength: preset.cycleLength,
    txs: transfers(o.txs, rng.fork("txs"), SIM_CHAIN_ID),
    costs: {
      ...o.costs,
      ...(o.blockApplyMs !== undefined && o.txs > 0
        ? { applyTxMs: o.blockApplyMs / o.txs, buildTxMs: o.blockApplyMs / o.txs }
        : {}),
      heightOverheadMs: o.heightOverheadMs ?? o.costs.heightOverheadMs,
    },
    gossip: { ...defaultGossipOptions, floodPublish: o.floodPublish },
    followers: f,
  });
  const faulty = rng
    .fork("faults")
    .shuffle([...Array(n).keys()])
    .slice(0, o.fault === "none" ? 0 : Math.floor((n - 1) / 3));
  for (const i of faulty) {
    if (o.fault === "crash") net.down.add(i);
    else net.gossip.sendDelayMs[i] = o.slowMs;
  }
  net.start();

  let healedAt: number | undefined;
  let heightAtHeal = 0;
  if (o.partition) {
    const { atMs, forMs } = o.partition;
    const halves = rng.fork("partition").shuffle([...Array(n).keys()]);
    const groupOf = new Array<number>(n).fill(0);
    for (const i of halves.slice(0, Math.floor(n / 2))) groupOf[i] = 1;
    sim.at(atMs, () => wan.setPartition(groupOf));
    sim.at(atMs + forMs, () => {
      wan.setPartition(undefined);
      healedAt = sim.now;
      heightAtHeal = net.finalizedByAll();
    });
  }

  const target = o.heights;
  let firstAfterHeal: number | undefined;
  while (sim.now < o.maxSimMs) {
    sim.run(sim.now + 1000);
    if (healedAt !== undefined && firstAfterHeal === undefined) {
      const d = net.decisions.find((x) => x.at >= healedAt! && x.height > heightAtHeal);
      if (d) firstAfterHeal = d.at;
    }
    if (
      o.partition === undefined
        ? net.finalizedByAll() >= target
        : healedAt !== undefined && net.finalizedByAll() >= Math.max(target, heightAtHeal + 3)
    )
      break;
  }
  const last = o.partition ? net.finalizedByAll() : target;

  // Height 1 starts from a cold network; it is left out of the figures.
  const all = net.decisions.filter((d) => d.height > 1 && d.height <= last);
  const ds = all.filter((d) => d.node < n);
  const fds = all.filter((d) => d.node >= n);
  const heightMs = ds.map((d) => d.heightMs);
  const b2f = ds.map((d) => d.blockToFinalMs);
  const roundsByHeight = new Map<number, number>();
  for (const d of ds) roundsByHeight.set(d.height, Math.max(roundsByHeight.get(d.height) ?? 0, d.round + 1));
  const firstAt = new Map<number, number>();
  for (const d of net.decisions) if (!firstAt.has(d.height)) firstAt.set(d.height, d.at);
  const intervals: number[] = [];
  for (let h = 3; h <= last; h++) {
    const a = firstAt.get(h);
    const b = firstAt.get(h - 1);
    if (a !== undefined && b !== undefined) intervals.push(a - b);
  }
  const nodeIntervals: number[] = [];
  const lastAt = new Map<number, { height: number; at: number }>();
  for (const d of net.decisions) {
    if (d.node >= n) continue;
    const prev = lastAt.get(d.node);
    if (prev && prev.height === d.height - 1 && d.height > 2 && d.height <= last)
      nodeIntervals.push(d.at - prev.at);
    lastAt.set(d.node, { height: d.height, at: d.at });
  }
  const live = [...Array(n).keys()].filter((i) => !net.down.has(i));
  const followers = [...Array(f).keys()].map((i) => n + i);
  const secs = sim.now / 1000;
  const up = live.map((i) => wan.nodes[i]!.bytesUp / secs / 1024);
  const down = live.map((i) => wan.nodes[i]!.bytesDown / secs / 1024);
  const cpu = live.map((i) => wan.nodes[i]!.cpuBusyMs / sim.now);
  const topics = Object.fromEntries(
    [...net.gossip.bytesByTopic].sort().map(([t, b]) => [t, r(b / secs / 1024 / (live.length + f), 2)]),
  );
  const summary: Record<string, unknown> = {
    scenario: o.partition ? "partition" : "finality",
    seed: o.seed,
    preset: preset.name,
    validators: n,
    fault: o.fault,
    faultyValidators: faulty.length,
    faultyWeightFraction: r(faulty.length / n, 3),
    floodPublish: o.floodPublish,
    txsPerBlock: o.txs,
    blockApplySeconds: ms2s(o.blockApplyMs ?? o.costs.applyTxMs * o.txs),
    heightsFinalized: net.finalizedByAll(),
    finalitySeconds: {
      heightStartToDecide: { p50: ms2s(percentile(heightMs, 50)), p99: ms2s(percentile(heightMs, 99)) },
      proposalToDecide: { p50: ms2s(percentile(b2f, 50)), p99: ms2s(percentile(b2f, 99)) },
    },
    blockIntervalSeconds: { p50: ms2s(percentile(intervals, 50)), p99: ms2s(percentile(intervals, 99)) },
    decideIntervalPerNodeSeconds: {
      p50: ms2s(percentile(nodeIntervals, 50)),
      p99: ms2s(percentile(nodeIntervals, 99)),
    },
    commitPauseSeconds: consensus.commitMs / 1000,
    roundsPerHeight: {
      mean: r(mean([...roundsByHeight.values()]), 2),
      max: Math.max(0, ...roundsByHeight.values()),
      histogram: histogram([...roundsByHeight.values()]),
    },
    messageBytes: {
      proposal: net.proposalBytes,
      vote: net.voteBytes,
      certificate: net.certificateBytes(2),
    },
    perValidator: {
      upKBps: { mean: r(mean(up)), max: r(Math.max(...up)) },
      downKBps: { mean: r(mean(down)), max: r(Math.max(...down)) },
      gossipUpKBpsPerNodeByTopic: topics,
      cpuBusyFraction: { mean: r(mean(cpu), 3), max: r(Math.max(...cpu), 3) },
    },
    ...(f > 0
      ? {
          followers: f,
          perFollower: {
            upKBps: {
              mean: r(mean(followers.map((i) => wan.nodes[i]!.bytesUp / secs / 1024))),
              max: r(Math.max(...followers.map((i) => wan.nodes[i]!.bytesUp / secs / 1024))),
            },
            downKBps: {
              mean: r(mean(followers.map((i) => wan.nodes[i]!.bytesDown / secs / 1024))),
              max: r(Math.max(...followers.map((i) => wan.nodes[i]!.bytesDown / secs / 1024))),
            },
            cpuBusyFraction: r(mean(followers.map((i) => wan.nodes[i]!.cpuBusyMs / sim.now)), 3),
            proposalToDecide: {
              p50: ms2s(
                percentile(
                  fds.map((d) => d.blockToFinalMs),
                  50,
                ),
              ),
              p99: ms2s(
                percentile(
                  fds.map((d) => d.blockToFinalMs),
                  99,
                ),
              ),
            },
          },
        }
      : {}),
    evidence: net.evidence.length,
    simulatedSeconds: r(secs, 1),
    events: sim.events,
    realSignatures: net.signatures,
    realSignatureChecks: net.verifiedForReal,
  };
  if (o.partition) {
    summary.partition = {
      atSeconds: o.partition.atMs / 1000,
      forSeconds: o.partition.forMs / 1000,
      heightAtHeal,
      timeBackToFinalitySeconds:
        firstAfterHeal !== undefined && healedAt !== undefined ? ms2s(firstAfterHeal - healedAt) : null,
      roundAtRecovery: net.decisions.find((d) => d.height === heightAtHeal + 1)?.round ?? null,
    };
  }
  return summary;
}
