/**
 * The one composition root: metrics → db → recovery → chain → mempool (+ journal)
 * → network → transaction gossip → sync → beacon → evidence pool → consensus (reactor + driver)
 * → rpc, each given a child logger and only the narrow views of the others it needs; closed in
 * reverse.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import {
  BATCH,
  modelList,
  models as modelsModule,
  rewards as rewardsModule,
  rewardsSupply,
  tasksByCycle,
  tasksModule,
  u32Key,
} from "../../contracts/index.ts";
import { Chain, loadGenesisFile } from "../chain/index.ts";
import {
  CachedRecovery,
  inlineRecovery,
  privateKeyToAddress,
  RecoveryPool,
  type SenderRecovery,
} from "../crypto/index.ts";
import { ChainDb, LevelKV } from "../db/index.ts";
import type { Logger } from "../logger/index.ts";
import { Mempool, TxGossip, TxJournal } from "../mempool/index.ts";
import { createMetrics, type Metrics } from "../metrics/index.ts";
import { DEFAULT_MODELS_DIR, type HfModel, loadRegisteredModels } from "../models/index.ts";
import { gossipTopics, Network } from "../network/index.ts";
import { TRAINING_FUND_ADDRESS } from "../params/index.ts";
import { type RpcContext, RpcServer } from "../rpc/index.ts";
import {
  BeaconService,
  ConsensusDriver,
  ConsensusReactor,
  DummyTraffic,
  EvidencePool,
  EvidenceReactor,
  MinerService,
  ModuleTxSender,
  RaceVerifier,
  TaskService,
  TrainingService,
} from "../services/index.ts";
import { readStoreIn } from "../state/index.ts";
import { SyncService } from "../sync/index.ts";
import { OperatorError, toHex } from "../types/index.ts";
import type { NodeOptions } from "./options.ts";

export const CLIENT_VERSION = `racecoin/v0.1.0/node-${process.version}`;

export class NodeStartError extends OperatorError {}

export class RacecoinNode {
  private readonly closers: (() => Promise<void>)[] = [];
  rpcUrl = "";
  chain!: Chain;
  mempool!: Mempool;
  metrics!: Metrics;
  network!: Network;
  consensus!: ConsensusDriver;
  sync!: SyncService;
  beacon!: BeaconService;

  constructor(
    readonly opts: NodeOptions,
    private readonly log: Logger,
  ) {}

  async start(): Promise<void> {
    const { opts, log } = this;
    const genesis = loadGenesisFile(opts.genesisPath, { presetOverride: opts.preset });
    const preset = opts.blockTimeMs
      ? {
          ...genesis.preset,
          blockTimeMs: opts.blockTimeMs,
          consensus: { ...genesis.preset.consensus, commitMs: opts.blockTimeMs },
        }
      : genesis.preset;

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
    const recovery: SenderRecovery = new CachedRecovery(
      opts.recoveryWorkers > 0 ? new RecoveryPool(opts.recoveryWorkers) : inlineRecovery,
    );
    this.closers.push(() => recovery.close());

    this.chain = await Chain.open(
      { ...genesis, preset },
      {
        db: new ChainDb(kv),
        recovery,
        log: log.child({ module: "chain" }),
        metrics: this.metrics,
        modules: opts.modules,
      },
    );
    this.mempool = new Mempool(preset.mempool, { chain: this.chain, recovery, metrics: this.metrics });
    await this.restoreJournal(join(opts.datadir, "transactions.journal"));

    try {
      this.network = await Network.create(
        {
          host: opts.p2p.host,
          port: opts.p2p.port,
          bootstrap: opts.p2p.bootstrap,
          peerKeyPath: join(opts.datadir, "p2p-key"),
          maxGossipBytes: 4 * 1024 * 1024,
          reconnectMs: 1000,
        },
        { log: log.child({ module: "network" }), metrics: this.metrics },
      );
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code ?? (e as { cause?: { code?: string } }).cause?.code;
      if (code === "EADDRINUSE" || /EADDRINUSE/.test(String(e)))
        throw new NodeStartError(
          `P2P port ${opts.p2p.port} on ${opts.p2p.host} is already in use; pass --p2p-port to pick another`,
        );
      throw e;
    }
    this.closers.push(() => this.network.stop());
    const topics = gossipTopics(genesis.chainId);
    const txGossip = new TxGossip({ topic: topics.tx }, { mempool: this.mempool, network: this.network });
    txGossip.start();
    this.closers.push(async () => txGossip.stop());

    this.sync = new SyncService(
      { statusIntervalMs: preset.consensus.rebroadcastMs },
      { chain: this.chain, network: this.network, log: log.child({ module: "sync" }), metrics: this.metrics },
    );
    await this.sync.start();
    this.closers.push(() => this.sync.stop());

    this.beacon = new BeaconService(
      {
        validatorKey: opts.validatorKey,
        ...(opts.beaconSilentCycles ? { silentCycles: opts.beaconSilentCycles } : {}),
      },
      {
        chain: this.chain,
        network: this.network,
        log: log.child({ module: "beacon" }),
        metrics: this.metrics,
      },
    );
    this.beacon.start();

    const evidencePool = new EvidencePool({ chain: this.chain, metrics: this.metrics });
    const evidence = new EvidenceReactor(
      { topic: topics.evidence },
      {
        chain: this.chain,
        pool: evidencePool,
        network: this.network,
        log: log.child({ module: "evidence" }),
      },
    );
    evidence.start();
    const reactor = new ConsensusReactor(
      { topics },
      { chain: this.chain, network: this.network, height: () => this.consensus.height },
    );
    this.consensus = new ConsensusDriver(
      {
        timeouts: preset.consensus,
        validatorKey: opts.validatorKey,
        walPath: join(opts.datadir, "consensus.wal"),
        signStatePath: join(opts.datadir, "last-signed.json"),
        rebroadcastMs: preset.consensus.rebroadcastMs,
        byzantine: opts.byzantine,
      },
      {
        chain: this.chain,
        reactor,
        txs: this.mempool,
        evidence: { pool: evidencePool, report: (e) => evidence.report(e) },
        log: log.child({ module: "consensus" }),
        metrics: this.metrics,
        beaconCandidates: () => this.beacon.candidates(),
      },
    );

    let miner: MinerService | undefined;
    if (opts.mine?.race)
      miner = new MinerService(
        { ...opts.mine, validatorKey: opts.validatorKey },
        {
          chain: this.chain,
          mempool: this.mempool,
          broadcastTx: (raw) => txGossip.broadcast(raw),
          peers: () => this.network.peers().length,
          log: log.child({ module: "miner" }),
        },
      );
    // The inference market (spec/tasks.md): every node is an intermediary; a mining node also
    // executes tasks, settles their receipts and verifies the checks drawn to it.
    let dummy: DummyTraffic | undefined;
    const localModels = await this.loadModels(opts, log);
    // One sender per account: two would hand out the same nonces.
    const senderDeps = {
      chain: this.chain,
      mempool: this.mempool,
      broadcastTx: (raw: Uint8Array) => txGossip.broadcast(raw),
      peers: () => this.network.peers().length,
    };
    const accountSender =
      miner?.sender ?? (opts.mine ? new ModuleTxSender(opts.mine.accountKey, senderDeps) : undefined);
    const taskService = new TaskService(
      {
        observe: (r) => dummy?.model.observe(r, toHex(privateKeyToAddress(r.apiKey))),
        ...(opts.mine
          ? {
              account: {
                key: opts.mine.accountKey,
                sender: accountSender!,
              },
            }
          : {}),
        settleEveryBlocks: 10,
        ...(opts.mine?.inferenceUpstream ? { upstream: opts.mine.inferenceUpstream } : {}),
        ...(opts.mine?.taskCheats ? { cheats: opts.mine.taskCheats } : {}),
        models: localModels,
        cheatModels: localModels.cheat,
      },
      { chain: this.chain, network: this.network, log: log.child({ module: "tasks" }) },
    );
    await taskService.start();
    // Training jobs (spec/training.md): with --train, on the mining account if the node mines.
    let trainer: TrainingService | undefined;
    if (opts.train) {
      const sender =
        accountSender && toHex(accountSender.address) === toHex(privateKeyToAddress(opts.train.accountKey))
          ? accountSender
          : new ModuleTxSender(opts.train.accountKey, senderDeps);
      trainer = new TrainingService(
        { sender, ...(opts.train.cheat ? { cheat: opts.train.cheat } : {}) },
        { chain: this.chain, network: this.network, log: log.child({ module: "training" }) },
      );
      await trainer.start();
    }
    if (opts.dummy) {
      dummy = new DummyTraffic(
        { ...opts.dummy, fundEach: 10n ** 18n },
        {
          chain: this.chain,
          mempool: this.mempool,
          broadcastTx: (raw) => txGossip.broadcast(raw),
          peers: () => this.network.peers().length,
          router: taskService,
          log: log.child({ module: "dummy" }),
        },
      );
      const started = dummy;
      started.start();
      this.closers.push(async () => started.stop());
    }

    const ctx: RpcContext = {
      chain: this.chain,
      mempool: this.mempool,
      clientVersion: CLIENT_VERSION,
      suggestedTip: opts.suggestedTipWei,
      peers: () => this.network.peers().length,
      syncing: () => this.sync.syncing,
      // A block is committed only with a certificate of > 2/3 of the weight: final at once.
      finalizedHeight: () => this.chain.head.height,
      broadcastTx: (raw) => txGossip.broadcast(raw),
      inference: taskService,
      ...(trainer ? { training: trainer } : {}),
      localModels,
      admin: opts.adminRpc
        ? {
            banPeer: (peer, ms) => this.network.ban(peer, ms),
            unbanPeer: (peer) => this.network.unban(peer),
          }
        : undefined,
      consensus: {
        round: () => this.consensus.round,
        step: () => this.consensus.step,
        height: () => this.consensus.height,
        validators: (h) => this.chain.validatorsAt(h),
        peerScores: () => this.network.scores.snapshot(),
        peerId: () => this.network.peerId,
        p2pAddrs: () => this.network.listenAddrs,
      },
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

    this.consensus.start();
    this.closers.push(() => this.consensus.stop());
    if (miner) {
      const started = miner;
      started.start();
      this.closers.push(async () => started.stop());
    }
    // Every node warms each race's threshold; a mining validator also verifies (race-cycle.md).
    const verifier = new RaceVerifier(
      {
        backend: opts.mine?.backend ?? "reference",
        minerCalibrates: miner !== undefined,
        ...(miner && opts.mine && opts.validatorKey
          ? { duty: { sender: miner.sender, validatorKey: opts.validatorKey, mode: opts.mine.verify } }
          : {}),
      },
      { chain: this.chain, log: log.child({ module: "verifier" }) },
    );
    verifier.start();
    this.closers.push(() => verifier.stop());
    this.watchProgress();
    this.watchRewards();
    log.info(
      {
        rpc: this.rpcUrl,
        p2p: this.network.listenAddrs[0],
        peerId: this.network.peerId,
        validator: this.consensus.validatorIndex,
        height: this.chain.head.height,
        preset: preset.name,
        chainId: genesis.chainId.toString(),
      },
      "Node started",
    );
  }

  /**
   * A node that cannot make progress says why instead of sitting silently at its height: no peers
   * (and not able to finalize alone), or peers but no new block for a while.
   */
  private watchProgress(): void {
    let last = { height: this.chain.head.height, at: Date.now(), warned: 0 };
    const timer = setInterval(() => {
      const height = this.chain.head.height;
      if (height !== last.height) {
        last = { height, at: Date.now(), warned: 0 };
        return;
      }
      const stalledMs = Date.now() - last.at;
      if (stalledMs < 10_000 || Date.now() - last.warned < 30_000) return;
      last.warned = Date.now();
      const peers = this.network.peers().length;
      if (peers === 0)
        this.log.warn(
          { height, validator: this.consensus.validatorIndex },
          `No peers and no new block for ${Math.round(stalledMs / 1000)} s: pass --bootstrap with a running node's P2P address (its "Node started" log line shows it), e.g. --bootstrap /ip4/127.0.0.1/tcp/26656`,
        );
      else
        this.log.warn(
          { height, peers, validator: this.consensus.validatorIndex },
          `No new block for ${Math.round(stalledMs / 1000)} s with ${peers} peers: waiting for validators holding > 2/3 of the weight`,
        );
    }, 5_000);
    timer.unref();
    this.closers.push(async () => clearInterval(timer));
  }

  /** Rewards and market gauges (spec/rewards.md §Queries): supply and fund with every block, the cycle's settled tasks when scraped. */
  private watchRewards(): void {
    const m = this.metrics;
    const race = (wei: bigint) => Number(wei / 10n ** 12n) / 1e6;
    this.chain.onBlock(() => {
      const state = this.chain.state;
      const supply = rewardsSupply.get(readStoreIn(state, rewardsModule));
      if (!supply) return;
      m.rewardsMinted.set(race(supply.issued));
      m.rewardsBatch.set(Number(supply.issued / BATCH) + 1);
      m.trainingFund.set(race(state.getAccount(TRAINING_FUND_ADDRESS).balance));
    });
    m.sources.tasksSettled = () =>
      tasksByCycle.keys(readStoreIn(this.chain.state, tasksModule), u32Key.encode(this.chain.head.cycle))
        .length;
  }

  /** Pending transactions survive restarts: re-admit the journal, then keep it current. */
  /**
   * The registry's models with files (tolerance class), loaded from the models directory and
   * hash-checked; a refused one is logged with the reason and not served. With the test-only
   * "small-model" cheat, `<id>-small/` is loaded unchecked as the weights to cheat with.
   */
  private async loadModels(opts: NodeOptions, log: Logger) {
    const dir = opts.modelsDir ?? DEFAULT_MODELS_DIR;
    const registry = modelList(readStoreIn(this.chain.state, modelsModule)).map((m) => ({
      id: m.id,
      files: m.files.map((f) => ({ name: f.name, sha256: toHex(f.sha256) })),
    }));
    const local = await loadRegisteredModels(dir, registry);
    for (const id of local.loaded.keys()) log.info({ model: id, dir }, "Serving model from local files");
    for (const [id, why] of local.refused)
      log.warn({ model: id, reason: why }, "Not serving a registered model");
    const cheat = new Map<string, HfModel>();
    if (opts.mine?.taskCheats?.some((c) => c.cheat === "small-model"))
      for (const m of registry) {
        const small = await loadRegisteredModels(dir, [{ id: `${m.id}-small`, files: m.files }], {
          unchecked: true,
        });
        const got = small.loaded.get(`${m.id}-small`);
        if (got) cheat.set(m.id, got);
      }
    return { ...local, cheat };
  }

  private async restoreJournal(path: string): Promise<void> {
    const journal = new TxJournal(path);
    const saved = journal.load();
    let restored = 0;
    for (const raw of saved) {
      try {
        await this.mempool.add(raw);
        restored++;
      } catch {
        // Included or made invalid since it was journaled.
      }
    }
    if (saved.length > 0)
      this.log.info({ restored, journaled: saved.length }, "Restored transactions from the journal");
    journal.rotate(this.mempool.all());
    this.mempool.onAdmit = (raw) => journal.append(raw);
    const timer = setInterval(() => journal.rotate(this.mempool.all()), 60_000);
    timer.unref();
    this.closers.push(async () => {
      clearInterval(timer);
      this.mempool.onAdmit = undefined;
      journal.rotate(this.mempool.all());
      journal.close();
    });
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
