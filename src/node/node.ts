/**
 * The one composition root (style rule 2): metrics → db → recovery → chain → mempool → rpc →
 * producer, each given a child logger; closed in reverse.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { Chain, loadGenesisFile } from "../chain/index.ts";
import { inlineRecovery, RecoveryPool, type SenderRecovery } from "../crypto/index.ts";
import { ChainDb, LevelKV } from "../db/index.ts";
import type { Logger } from "../logger/index.ts";
import { Mempool } from "../mempool/index.ts";
import { createMetrics, type Metrics } from "../metrics/index.ts";
import { type RpcContext, RpcServer } from "../rpc/index.ts";
import { parseAddress } from "../types/index.ts";
import type { NodeOptions } from "./options.ts";
import { type BlockSource, IntervalProducer } from "./producer.ts";

export const CLIENT_VERSION = `racecoin/v0.1.0/node-${process.version}`;

export class NodeStartError extends Error {}

export class RacecoinNode {
  private readonly closers: (() => Promise<void>)[] = [];
  rpcUrl = "";
  chain!: Chain;
  mempool!: Mempool;
  metrics!: Metrics;

  constructor(
    readonly opts: NodeOptions,
    private readonly log: Logger,
  ) {}

  async start(): Promise<void> {
    const { opts, log } = this;
    const genesis = loadGenesisFile(opts.genesisPath, { presetOverride: opts.preset });
    const preset = opts.blockTimeMs ? { ...genesis.preset, blockTimeMs: opts.blockTimeMs } : genesis.preset;
    const proposer = opts.proposer
      ? parseAddress(opts.proposer, "--proposer")
      : genesis.validators[0]!.address;

    this.metrics = createMetrics();
    mkdirSync(opts.datadir, { recursive: true });
    let kv: LevelKV;
    try {
      kv = await LevelKV.open(join(opts.datadir, "chaindata"), { sync: opts.dbSync });
    } catch (e) {
      const cause = (e as { cause?: { code?: string } }).cause;
      if (cause?.code === "LEVEL_LOCKED" || /lock/i.test(String((e as Error).message))) {
        throw new NodeStartError(
          `datadir ${opts.datadir} is in use by another racecoin process; stop it or pass another --datadir`,
        );
      }
      throw e;
    }
    this.closers.push(() => kv.close());
    const recovery: SenderRecovery =
      opts.recoveryWorkers > 0 ? new RecoveryPool(opts.recoveryWorkers) : inlineRecovery;
    this.closers.push(() => recovery.close());

    this.chain = await Chain.open(
      { ...genesis, preset },
      { db: new ChainDb(kv), recovery, log: log.child({ module: "chain" }), metrics: this.metrics },
    );
    this.mempool = new Mempool(preset.mempool, { chain: this.chain, recovery, metrics: this.metrics });

    const ctx: RpcContext = {
      chain: this.chain,
      mempool: this.mempool,
      clientVersion: CLIENT_VERSION,
      suggestedTip: opts.suggestedTipWei,
      peers: () => 0,
      syncing: () => false,
      // A single producer's blocks are final once committed; the BFT engine will say otherwise.
      finalizedHeight: () => this.chain.head.height,
    };
    const rpc = new RpcServer(opts.rpc, { ctx, log: log.child({ module: "rpc" }), metrics: this.metrics });
    try {
      const addr = await rpc.start();
      this.rpcUrl = `http://${addr.address}:${addr.port}`;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "EADDRINUSE") {
        throw new NodeStartError(
          `RPC port ${opts.rpc.port} on ${opts.rpc.host} is already in use; pass --rpc-port to pick another`,
        );
      }
      throw e;
    }
    this.closers.push(() => rpc.stop());

    const producer: BlockSource = new IntervalProducer(
      { intervalMs: preset.blockTimeMs, proposer },
      { chain: this.chain, mempool: this.mempool, log: log.child({ module: "producer" }) },
    );
    producer.start();
    this.closers.push(() => producer.stop());
    log.info(
      {
        rpc: this.rpcUrl,
        height: this.chain.head.height,
        preset: preset.name,
        chainId: genesis.chainId.toString(),
      },
      "Node started",
    );
  }

  async stop(): Promise<void> {
    while (this.closers.length > 0) {
      const close = this.closers.pop()!;
      try {
        await close();
      } catch (e) {
        this.log.warn({ err: e }, "Error while stopping");
      }
    }
  }
}
