import type { ModuleRegistry } from "../../contracts/index.ts";
import type { BlsKeyPair } from "../crypto/index.ts";
import { defaultRpcOptions, type RpcServerOptions } from "../rpc/index.ts";
import type { RaceCheat, TaskCheat, TrainingCheat, VerifyMode } from "../services/index.ts";

export interface P2pOptions {
  host: string;
  /** TCP port for libp2p; 0 picks a free one. */
  port: number;
  /** Peers to dial and keep dialling, as multiaddrs. */
  bootstrap: string[];
}

export interface NodeOptions {
  datadir: string;
  genesisPath: string;
  /** Overrides the genesis preset (tests use "minimal" everywhere). */
  preset?: string;
  rpc: RpcServerOptions;
  p2p: P2pOptions;
  /** Overrides the preset's block interval (the pause after each commit). */
  blockTimeMs?: number;
  /** Validator signing key; without one the node follows the chain and never signs. */
  validatorKey?: BlsKeyPair;
  /** Sender-recovery worker threads; 0 recovers on the main thread. */
  recoveryWorkers: number;
  /** fsync every block batch (durability against power loss; SIGKILL is safe either way). */
  dbSync: boolean;
  suggestedTipWei: bigint;
  logLevel: string;
  logFormat?: "pretty" | "json";
  /** Serve admin_* RPC methods (peer bans). Off by default. */
  adminRpc?: boolean;
  /** Where registered models' files live (`<dir>/<model id>/`); absent: genesis/models. */
  modelsDir?: string;
  /** The chain's modules; absent: the default registry. Tests add test-only modules here. */
  modules?: ModuleRegistry;
  /** Race every cycle (MinerService): the committing account and how to mine. */
  mine?: {
    accountKey: Uint8Array;
    /** Race every cycle (--mine); false: only execute and verify inference tasks (--serve-tasks). */
    race: boolean;
    /** Generate tasks on this OpenAI-compatible server (base URL ending in /v1). */
    inferenceUpstream?: string;
    backend: string;
    workers: number;
    duty: number;
    /** The price per unit of compute this miner votes for (wei). */
    unitPrice?: bigint;
    /** Verify the samples of the miners this node's VRF chooses, or of every miner. */
    verify: VerifyMode;
    /** Test-only (RACECOIN_RACE_CHEAT): never set in production. */
    cheats?: RaceCheat[];
    /** Test-only (RACECOIN_TASK_CHEAT): never set in production. */
    taskCheats?: { cheat: TaskCheat; fromCycle: number }[];
  };
  /**
   * Join training jobs (spec/training.md): the account that registers, commits and scores (the
   * mining account when the node also mines).
   */
  train?: {
    accountKey: Uint8Array;
    /** Test-only (RACECOIN_TRAIN_CHEAT): never set in production. */
    cheat?: TrainingCheat;
  };
  /** Dummy tasks (spec/tasks.md §Dummy tasks): rate, the paying fund account, hidden or marked. */
  dummy?: { perMinute: number; fundKey: Uint8Array; mode: "hidden" | "marked" };
  /** Test-only misbehaviour (RACECOIN_BYZANTINE); never set in production. */
  byzantine?: "double-prevote";
  /** Test-only (RACECOIN_BEACON_SILENT, comma list of cycles): sign no beacon partials then. */
  beaconSilentCycles?: number[];
}

export const defaultP2pOptions: P2pOptions = { host: "127.0.0.1", port: 26656, bootstrap: [] };

export const defaultNodeOptions: Omit<NodeOptions, "datadir" | "genesisPath"> = {
  rpc: defaultRpcOptions,
  p2p: defaultP2pOptions,
  recoveryWorkers: 2,
  dbSync: true,
  suggestedTipWei: 1_000_000_000n,
  logLevel: "info",
};
