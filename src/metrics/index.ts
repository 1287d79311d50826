/** Prometheus metrics (prom-client lives only here). Names carry the racecoin_ prefix and a unit. */
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";

export interface Metrics {
  registry: Registry;
  blockHeight: Gauge;
  blockImportSeconds: Histogram;
  blockTxs: Histogram;
  mempoolSize: Gauge;
  mempoolRejected: Counter<"reason">;
  rpcRequestSeconds: Histogram<"method">;
  rpcRequests: Counter<"method" | "outcome">;
  peers: Gauge;
  gossipValidation: Counter<"topic" | "result">;
  peerPenalties: Counter<"reason">;
  consensusHeight: Gauge;
  consensusRound: Gauge;
  consensusStep: Gauge;
  roundsPerHeight: Histogram;
  finalityLatencySeconds: Histogram;
  finalizedHeight: Gauge;
  evidenceSeen: Counter;
  syncedBlocks: Counter;
  beaconRound: Gauge;
  beaconDkgPhase: Gauge;
  beaconRoundLatencySeconds: Histogram;
  beaconDkgOutcomes: Counter<"result">;
  rewardsMinted: Gauge;
  rewardsBatch: Gauge;
  trainingFund: Gauge;
  tasksSettled: Gauge;
  /**
   * Read at scrape time, not per block: a count that costs a scan of the cycle's tasks (up to
   * hundreds of thousands) would otherwise run on every block, also on each block sync imports.
   */
  sources: { tasksSettled?: () => number };
}

export function createMetrics(opts: { defaultMetrics?: boolean } = {}): Metrics {
  const registry = new Registry();
  if (opts.defaultMetrics ?? true) collectDefaultMetrics({ register: registry, prefix: "racecoin_" });
  const sources: Metrics["sources"] = {};
  return {
    registry,
    sources,
    blockHeight: new Gauge({
      name: "racecoin_block_height",
      help: "Height of the chain head",
      registers: [registry],
    }),
    blockImportSeconds: new Histogram({
      name: "racecoin_block_import_seconds",
      help: "Time to validate, execute and commit one block",
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
    blockTxs: new Histogram({
      name: "racecoin_block_transactions",
      help: "Transactions per block",
      buckets: [0, 1, 10, 100, 500, 1000, 2000, 5000],
      registers: [registry],
    }),
    mempoolSize: new Gauge({
      name: "racecoin_mempool_transactions",
      help: "Transactions in the mempool",
      registers: [registry],
    }),
    mempoolRejected: new Counter({
      name: "racecoin_mempool_rejected_total",
      help: "Transactions refused by the mempool, by reason code",
      labelNames: ["reason"],
      registers: [registry],
    }),
    rpcRequestSeconds: new Histogram({
      name: "racecoin_rpc_request_seconds",
      help: "JSON-RPC call latency by method",
      labelNames: ["method"],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5],
      registers: [registry],
    }),
    rpcRequests: new Counter({
      name: "racecoin_rpc_requests_total",
      help: "JSON-RPC calls by method and outcome",
      labelNames: ["method", "outcome"],
      registers: [registry],
    }),
    peers: new Gauge({ name: "racecoin_p2p_peers", help: "Connected peers", registers: [registry] }),
    gossipValidation: new Counter({
      name: "racecoin_gossip_validation_total",
      help: "Gossip messages by topic and validation result (accept, ignore, reject)",
      labelNames: ["topic", "result"],
      registers: [registry],
    }),
    peerPenalties: new Counter({
      name: "racecoin_p2p_penalties_total",
      help: "Penalties given to peers, by reason (an honest network shows none)",
      labelNames: ["reason"],
      registers: [registry],
    }),
    consensusHeight: new Gauge({
      name: "racecoin_consensus_height",
      help: "Height consensus is working on",
      registers: [registry],
    }),
    consensusRound: new Gauge({
      name: "racecoin_consensus_round",
      help: "Current round",
      registers: [registry],
    }),
    consensusStep: new Gauge({
      name: "racecoin_consensus_step",
      help: "Current step: 0 propose, 1 prevote, 2 precommit, 3 commit",
      registers: [registry],
    }),
    roundsPerHeight: new Histogram({
      name: "racecoin_consensus_rounds_per_height",
      help: "Rounds needed to decide a height (1 = decided in round 0)",
      buckets: [1, 2, 3, 4, 6, 10],
      registers: [registry],
    }),
    finalityLatencySeconds: new Histogram({
      name: "racecoin_consensus_finality_seconds",
      help: "Time from the start of a height to its decision",
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30],
      registers: [registry],
    }),
    finalizedHeight: new Gauge({
      name: "racecoin_finalized_height",
      help: "Highest finalised block",
      registers: [registry],
    }),
    evidenceSeen: new Counter({
      name: "racecoin_consensus_evidence_total",
      help: "Equivocations detected",
      registers: [registry],
    }),
    syncedBlocks: new Counter({
      name: "racecoin_sync_blocks_total",
      help: "Blocks imported by range sync",
      registers: [registry],
    }),
    beaconRound: new Gauge({
      name: "racecoin_beacon_round",
      help: "Latest completed beacon round",
      registers: [registry],
    }),
    beaconDkgPhase: new Gauge({
      name: "racecoin_beacon_dkg_phase",
      help: "DKG phase of the current cycle: 0 dealing, 1 complaint, 2 outcome fixed",
      registers: [registry],
    }),
    rewardsMinted: new Gauge({
      name: "racecoin_rewards_minted_race",
      help: "Core incentive minted so far (RACE; proportional plus minimum issuance)",
      registers: [registry],
    }),
    rewardsBatch: new Gauge({
      name: "racecoin_rewards_batch",
      help: "Issuance batch in progress (1-12; 13 when the 600 M are minted)",
      registers: [registry],
    }),
    trainingFund: new Gauge({
      name: "racecoin_training_fund_race",
      help: "Balance of the training fund (RACE)",
      registers: [registry],
    }),
    tasksSettled: new Gauge({
      name: "racecoin_tasks_settled",
      help: "Inference tasks settled in the current cycle",
      registers: [registry],
      collect() {
        const n = sources.tasksSettled?.();
        if (n !== undefined) this.set(n);
      },
    }),
    beaconRoundLatencySeconds: new Histogram({
      name: "racecoin_beacon_round_latency_seconds",
      help: "Time from a beacon round opening (as seen by this node) to its output being final",
      buckets: [0.25, 0.5, 1, 2, 5, 10, 30, 60],
      registers: [registry],
    }),
    beaconDkgOutcomes: new Counter({
      name: "racecoin_beacon_dkg_total",
      help: "DKG outcomes seen, by result (ok, failed)",
      labelNames: ["result"],
      registers: [registry],
    }),
  };
}
