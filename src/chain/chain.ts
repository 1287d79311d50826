/**
 * The chain: head, in-memory account state and trie, and block import.
 *
 * Import order: decode → recover senders (worker threads) → applyBlock (pure) →
 * write the database in one atomic batch → only then update memory and notify listeners.
 * A crash between the batch and the memory update loses nothing: the next start reads the batch.
 *
 * The whole state (accounts and module storage) is held in memory and the tries rebuilt from the
 * flat buckets on start; the rebuilt root must equal the head's state root or the node refuses to
 * start. Validator sets and the beacon are module state: the set of a height is read from the
 * validators module's store, by cycle.
 */

import {
  type DkgRecord,
  defaultModules,
  type ModuleRegistry,
  type StoredRound,
} from "../../contracts/index.ts";
import type { BeaconCommittee, BeaconState } from "../beacon/index.ts";
import {
  CertificateError,
  EMPTY_CERTIFICATE,
  evidenceId,
  type ValidatorSet,
  verifyCertificate,
} from "../consensus/index.ts";
import type { SenderRecovery } from "../crypto/index.ts";
import type { ChainDb } from "../db/index.ts";
import { headerHash } from "../encoding/index.ts";
import type { Logger } from "../logger/index.ts";
import type { Metrics } from "../metrics/index.ts";
import { cycleOf } from "../params/index.ts";
import {
  applyBlock,
  BlockError,
  type BuildResult,
  buildBlock,
  type PostState,
  type PreState,
  type RecoveredTx,
  type TransitionContext,
  WorldState,
} from "../state/index.ts";
import {
  type Account,
  type Address,
  type BeaconMessage,
  type Block,
  type BlockHeader,
  type CommitCertificate,
  type Evidence,
  equalBytes,
  OperatorError,
  type Receipt,
  toHex,
} from "../types/index.ts";
import { blockAddressRefs, rebuildAddressIndex } from "./addressIndex.ts";
import type { Genesis } from "./genesis.ts";
import { type GenesisBlock, genesisBlock } from "./genesisBlock.ts";
import { ChainHistory } from "./history.ts";
import { ModuleViews } from "./moduleViews.ts";
import { importRange, prepareBlock } from "./rangeImport.ts";

export interface ChainModules {
  db: ChainDb;
  /** The modules this chain runs (default: bank, beacon, validators). Tests add their own. */
  modules?: ModuleRegistry;
  recovery: SenderRecovery;
  log: Logger;
  metrics?: Metrics;
}

export interface ImportedBlock {
  hash: Uint8Array;
  header: BlockHeader;
  txs: RecoveredTx[];
  receipts: Receipt[];
  evidence: Evidence[];
}

export type BlockListener = (b: ImportedBlock) => void;

export class ChainStartError extends OperatorError {}

/** Decoded and sender-recovered block, ready for the pure transition. */
export interface PreparedBlock {
  block: Block;
  txs: RecoveredTx[];
}

/** Signs a certificate for a block the caller finalises alone (tests, benchmarks, one-validator chains). */
export type Certifier = (height: number, hash: Uint8Array) => CommitCertificate;

interface Candidate {
  parentHash: Uint8Array;
  block: Block;
  txs: RecoveredTx[];
  post: PostState;
}

export class Chain extends ChainHistory {
  readonly ctx: TransitionContext;
  readonly modules: ModuleRegistry;
  private readonly views: ModuleViews;
  private readonly committedEvidence = new Map<string, number>();
  private beaconValue!: BeaconState;
  /** Executed proposals for the next height, by block hash (cleared on every commit). */
  private readonly candidates = new Map<string, Candidate>();
  private world = new WorldState();
  private readonly listeners: BlockListener[] = [];
  /** Serialises imports: one block at a time. */
  private lock: Promise<unknown> = Promise.resolve();

  private constructor(
    readonly genesis: Genesis,
    private readonly m: ChainModules,
  ) {
    super(m.db);
    this.modules = m.modules ?? defaultModules;
    this.views = new ModuleViews(genesis.preset, () => this.world);
    this.ctx = {
      preset: genesis.preset,
      chainId: genesis.chainId,
      validatorsAt: (h) => this.validatorsAt(h),
      isEvidenceCommitted: (id) => this.committedEvidence.has(id),
      modules: this.modules,
    };
  }

  static genesisBlock(genesis: Genesis, modules: ModuleRegistry = defaultModules): GenesisBlock {
    return genesisBlock(genesis, modules);
  }

  static async open(genesis: Genesis, m: ChainModules): Promise<Chain> {
    const chain = new Chain(genesis, m);
    const g = Chain.genesisBlock(genesis, chain.modules);
    const genesisHash = headerHash(g.header);
    const stored = await m.db.getGenesisHash();
    if (!stored) {
      await m.db.commitBlock(
        {
          hash: genesisHash,
          header: g.header,
          txs: [],
          evidence: [],
          beacon: [],
          evidenceIds: [],
          txHashes: [],
          receipts: [],
          changes: g.changes,
          storage: g.storage,
          addressRefs: [],
          trieNodes: [
            ...g.trie.takeUnpersisted(),
            ...[...g.world.storageTries.values()].flatMap((t) => t.takeUnpersisted()),
          ],
        },
        { genesis: true },
      );
      m.log.info({ hash: toHex(genesisHash), chainId: genesis.chainId.toString() }, "Initialised genesis");
    } else if (!equalBytes(stored, genesisHash)) {
      throw new ChainStartError(
        `the database holds a different chain (genesis ${toHex(stored)}, this genesis file gives ${toHex(genesisHash)}); use another --datadir or remove it`,
      );
    }
    await chain.loadState();
    await rebuildAddressIndex(m.db, chain.head.height, m.log);
    return chain;
  }

  private async loadState(): Promise<void> {
    const head = await this.m.db.getHead();
    if (!head) throw new ChainStartError("database has a genesis but no head record");
    const header = await this.m.db.headers.get(head.hash);
    if (!header) throw new ChainStartError("head block header missing from the database");
    const started = performance.now();
    if (await this.m.db.hasLegacyBeaconState())
      throw new ChainStartError(
        "this datadir predates module storage (beacon state stored whole); remove it or pass another --datadir (devnet: --reset)",
      );
    const accounts: [Uint8Array, Account][] = [];
    for await (const entry of this.m.db.allAccounts()) accounts.push(entry);
    const storage: { module: Uint8Array; key: Uint8Array; value: Uint8Array }[] = [];
    for await (const s of this.m.db.allStorage()) storage.push(s);
    this.world = WorldState.fromRecords(accounts, storage);
    if (!equalBytes(this.world.trie.rootHash(), header.stateRoot)) {
      throw new ChainStartError(
        `state root mismatch at height ${header.height}: accounts and storage give ${toHex(this.world.trie.rootHash())}, header says ${toHex(header.stateRoot)}`,
      );
    }
    // Their nodes are already stored.
    this.world.trie.takeUnpersisted();
    for (const t of this.world.storageTries.values()) t.takeUnpersisted();
    for await (const [id, height] of this.m.db.allEvidence()) this.committedEvidence.set(id, height);
    this.headCommitValue = await this.m.db.commitAt(header.height);
    this.beaconValue = this.views.loadBeacon();
    this.headHeader = header;
    this.headHashValue = head.hash;
    this.m.metrics?.blockHeight.set(header.height);
    this.m.log.info(
      {
        height: header.height,
        hash: toHex(head.hash),
        accounts: this.world.accounts.size,
        storage: this.world.storageSize(),
        ms: Math.round(performance.now() - started),
      },
      "Loaded chain state; state root verified",
    );
  }

  get head(): BlockHeader {
    return this.headHeader;
  }
  get headHash(): Uint8Array {
    return this.headHashValue;
  }
  get preset() {
    return this.ctx.preset;
  }
  /** The certificate that finalised the head (undefined at genesis). */
  get headCommit(): CommitCertificate | undefined {
    return this.headCommitValue;
  }

  /** Beacon state at the head (committee, DKG progress, active key, latest round). */
  get beacon(): BeaconState {
    return this.beaconValue;
  }

  /** A completed beacon round as stored by the beacon module at the head. */
  beaconRound(round: number): StoredRound | undefined {
    return this.views.beaconRound(round);
  }

  /** A cycle's DKG outcome as stored by the beacon module. */
  beaconDkg(cycle: number): DkgRecord | undefined {
    return this.views.beaconDkg(cycle);
  }

  /** The beacon committee of a cycle: the top of that cycle's validator set. */
  beaconCommittee(cycle: number): BeaconCommittee {
    return this.views.beaconCommittee(cycle);
  }

  /** The validator set of a height, or undefined if its cycle's set is not decided yet. */
  tryValidatorsAt(height: number): ValidatorSet | undefined {
    return this.views.tryValidatorsAt(height);
  }

  /** The validator set of a height; throws if its cycle's set is not decided yet. */
  validatorsAt(height: number): ValidatorSet {
    const set = this.tryValidatorsAt(height);
    if (!set)
      throw new BlockError(
        "BLOCK_ERROR_HEADER",
        `no validator set for height ${height} yet (cycle ${cycleOf(height, this.preset.cycleLength)})`,
      );
    return set;
  }

  /** The validator set of the next height to decide (what consensus runs on now). */
  get validators(): ValidatorSet {
    return this.validatorsAt(this.headHeader.height + 1);
  }

  /** Module storage and accounts at the head, as the state transition and queries read them. */
  get state(): WorldState {
    return this.world;
  }

  isEvidenceCommitted(id: string): boolean {
    return this.committedEvidence.has(id);
  }

  onBlock(listener: BlockListener): void {
    this.listeners.push(listener);
  }

  getAccount(address: Address): Account {
    return this.world.getAccount(address);
  }

  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.lock.then(fn, fn);
    this.lock = run.catch(() => undefined);
    return run;
  }

  /** Decode every transaction and recover senders; throws BlockError on any bad transaction. */
  prepare(block: Block): Promise<PreparedBlock> {
    return prepareBlock(block, this.preset.maxTxBytes, this.m.recovery);
  }

  /**
   * Validate and commit a block from elsewhere (sync, benchmarks). With `commit`, the certificate
   * must prove the block final under the validator set before anything is executed.
   */
  async importBlock(
    block: Block | PreparedBlock,
    commit?: CommitCertificate,
    opts: { durable?: boolean } = {},
  ): Promise<ImportedBlock> {
    const prepared = "txs" in block && "block" in block ? block : await this.prepare(block as Block);
    if (commit) this.verifyCommit(prepared.block.header, commit);
    return this.exclusive(async () => {
      const started = performance.now();
      const post = applyBlock(this.pre(), this.headHeader, prepared.block, prepared.txs, this.ctx);
      const imported = await this.commit(prepared.block, prepared.txs, post, commit, opts.durable);
      this.m.metrics?.blockImportSeconds.observe((performance.now() - started) / 1000);
      return imported;
    });
  }

  private pre(): PreState {
    const w = this.world;
    return { accounts: w, trie: w.trie, storageTries: w.storageTries, beacon: this.beaconValue };
  }

  /** Throws BlockError("BLOCK_ERROR_LAST_COMMIT") unless `commit` finalises `header`. */
  verifyCommit(header: BlockHeader, commit: CommitCertificate): void {
    try {
      verifyCertificate(
        this.validatorsAt(header.height),
        this.ctx.chainId,
        header.height,
        headerHash(header),
        commit,
      );
    } catch (e) {
      if (e instanceof CertificateError)
        throw new BlockError("BLOCK_ERROR_LAST_COMMIT", `commit: ${e.message}`);
      throw e;
    }
  }

  /** Build a proposal on the head without committing it (consensus decides first). */
  async buildProposal(
    candidates: () => Iterable<RecoveredTx>,
    proposer: Address,
    time: bigint,
    evidence: Evidence[] = [],
    beacon: BeaconMessage[] = [],
  ): Promise<BuildResult> {
    return this.exclusive(async () => {
      const built = buildBlock(
        this.pre(),
        this.headHeader,
        candidates(),
        { time, proposer, lastCommit: this.lastCommitForNext(), evidence, beacon },
        this.ctx,
      );
      this.candidates.set(toHex(built.hash), {
        parentHash: this.headHashValue,
        block: built.block,
        txs: built.included,
        post: built,
      });
      return built;
    });
  }

  /** Execute a proposed block on the head; throws BlockError if it is invalid. Result is cached. */
  async validateProposal(block: Block): Promise<Uint8Array> {
    const hash = headerHash(block.header);
    if (this.candidates.has(toHex(hash))) return hash;
    const prepared = await this.prepare(block);
    return this.exclusive(async () => {
      const post = applyBlock(this.pre(), this.headHeader, block, prepared.txs, this.ctx);
      this.candidates.set(toHex(hash), { parentHash: this.headHashValue, block, txs: prepared.txs, post });
      return hash;
    });
  }

  /** Commit a block consensus decided, with the certificate that finalised it. */
  async commitDecided(block: Block, commit: CommitCertificate): Promise<ImportedBlock> {
    const hash = headerHash(block.header);
    const c = this.candidates.get(toHex(hash));
    if (!c || !equalBytes(c.parentHash, this.headHashValue)) return this.importBlock(block, commit);
    return this.exclusive(() => this.commit(c.block, c.txs, c.post, commit));
  }

  private lastCommitForNext(): CommitCertificate {
    if (this.headHeader.height === 0) return EMPTY_CERTIFICATE;
    if (!this.headCommitValue) throw new Error(`no certificate for head ${this.headHeader.height}`);
    return this.headCommitValue;
  }

  /**
   * Import many certified blocks in order. Sender recovery runs `depth` blocks ahead in the worker
   * pool so the workers never wait for the main thread to decode the next block. Only the last
   * block's batch is fsynced: after a power loss the node restarts at an earlier final block and
   * fetches the rest again (a process kill loses nothing either way).
   */
  importBlocks(blocks: { block: Block; commit: CommitCertificate }[], depth = 3): Promise<void> {
    return importRange(this, blocks, depth);
  }

  /**
   * Build a block from candidates (in priority order) on the head and commit it, finalised by
   * `certify` (a caller holding enough validator keys: tests, benchmarks).
   */
  async produceBlock(
    candidates: () => Iterable<RecoveredTx>,
    proposer: Address,
    time: bigint,
    certify: Certifier,
  ): Promise<BuildResult & ImportedBlock> {
    return this.exclusive(async () => {
      const started = performance.now();
      const built = buildBlock(
        this.pre(),
        this.headHeader,
        candidates(),
        { time, proposer, lastCommit: this.lastCommitForNext() },
        this.ctx,
      );
      const commit = certify(built.block.header.height, built.hash);
      const imported = await this.commit(built.block, built.included, built, commit);
      this.m.metrics?.blockImportSeconds.observe((performance.now() - started) / 1000);
      this.m.log.debug({ height: built.block.header.height, txs: built.included.length }, "Produced block");
      return { ...built, ...imported };
    });
  }

  private async commit(
    block: Block,
    txs: RecoveredTx[],
    post: PostState,
    commit: CommitCertificate | undefined,
    durable?: boolean,
  ): Promise<ImportedBlock> {
    const { header } = block;
    const evidenceIds = block.evidence.map(evidenceId);
    await this.m.db.commitBlock(
      {
        hash: post.hash,
        header,
        txs: block.txs,
        evidence: block.evidence,
        beacon: block.beacon,
        evidenceIds,
        commit,
        txHashes: txs.map((t) => t.tx.hash),
        receipts: post.receipts,
        changes: post.changes.values(),
        storage: post.storage,
        addressRefs: blockAddressRefs(
          header.height,
          txs.map((t) => t.tx),
          post.receipts,
        ),
        trieNodes: [
          ...post.trie.takeUnpersisted(),
          ...[...post.storageTries.values()].flatMap((t) => t.takeUnpersisted()),
        ],
      },
      { durable },
    );
    // Memory only after the batch is written.
    this.world.apply(post);
    this.recent.set(this.headHeader.height, { hash: this.headHashValue, header: this.headHeader });
    if (this.recent.size > 256) this.recent.delete(this.recent.keys().next().value!);
    this.headHeader = header;
    this.headHashValue = post.hash;
    this.headCommitValue = commit;
    this.beaconValue = post.beacon.state;
    this.candidates.clear();
    for (const id of evidenceIds) this.committedEvidence.set(id, header.height);
    this.m.metrics?.blockHeight.set(header.height);
    this.m.metrics?.blockTxs.observe(block.txs.length);
    // Receipts say only "internal error in m.f" (the same on every node); the cause is logged here.
    for (const f of post.faults)
      this.m.log.warn(
        { height: header.height, tx: toHex(f.hash), module: f.module, method: f.method, err: f.error },
        "Module method failed with an internal error",
      );
    const imported: ImportedBlock = {
      hash: post.hash,
      header,
      txs,
      receipts: post.receipts,
      evidence: block.evidence,
    };
    for (const l of this.listeners) l(imported);
    return imported;
  }
}
