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
}

export function createMetrics(opts: { defaultMetrics?: boolean } = {}): Metrics {
  const registry = new Registry();
  if (opts.defaultMetrics ?? true) collectDefaultMetrics({ register: registry, prefix: "racecoin_" });
  return {
    registry,
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
  };
}
