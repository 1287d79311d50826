import { defaultRpcOptions, type RpcServerOptions } from "../rpc/index.ts";

export interface NodeOptions {
  datadir: string;
  genesisPath: string;
  /** Overrides the genesis preset (tests use "minimal" everywhere). */
  preset?: string;
  rpc: RpcServerOptions;
  /** Overrides the preset's block interval (tests run faster blocks). */
  blockTimeMs?: number;
  /** Proposer address for single-node production; defaults to the first genesis validator. */
  proposer?: string;
  /** Sender-recovery worker threads; 0 recovers on the main thread. */
  recoveryWorkers: number;
  /** fsync every block batch (durability against power loss; SIGKILL is safe either way). */
  dbSync: boolean;
  suggestedTipWei: bigint;
  logLevel: string;
  logFormat?: "pretty" | "json";
}

export const defaultNodeOptions: Omit<NodeOptions, "datadir" | "genesisPath"> = {
  rpc: defaultRpcOptions,
  recoveryWorkers: 2,
  dbSync: true,
  suggestedTipWei: 1_000_000_000n,
  logLevel: "info",
};
