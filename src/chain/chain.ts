/**
 * The chain: head, in-memory account state and trie, and block import.
 *
 * Import order (style rule 4): decode → recover senders (worker threads) → applyBlock (pure) →
 * write the database in one atomic batch → only then update memory and notify listeners.
 * A crash between the batch and the memory update loses nothing: the next start reads the batch.
 *
 * The whole state (accounts and module storage) is held in memory and the tries rebuilt from the
 * flat buckets on start; the rebuilt root must equal the head's state root or the node refuses to
 * start. Validator sets and the beacon are module state: the set of a height is read from the
 * validators module's store, by cycle.
 */

import {
  beaconDkgs,
  beacon as beaconModule,
  beaconRounds,
  type DkgRecord,
  defaultModules,
  loadBeaconState,
  type ModuleRegistry,
  type StoredRound,
  validatorSetOf,
  validators as validatorsModule,
} from "../../contracts/index.ts";
import { type BeaconCommittee, type BeaconState, selectCommittee } from "../beacon/index.ts";
import {
  CertificateError,
  EMPTY_CERTIFICATE,
  evidenceId,
  ValidatorSet,
  verifyCertificate,
  verifyCertificateBatch,
} from "../consensus/index.ts";
import type { SenderRecovery } from "../crypto/index.ts";
import type { ChainDb, TxLocation } from "../db/index.ts";
import { EMPTY_MERKLE_ROOT, headerHash, rlpDecode } from "../encoding/index.ts";
import type { Logger } from "../logger/index.ts";
import type { Metrics } from "../metrics/index.ts";
import { cycleOf, cycleStart } from "../params/index.ts";
import {
  applyBlock,
  BlockError,
  type BuildResult,
  buildBlock,
  type PostState,
  type PreState,
  type RecoveredTx,
  readStoreIn,
  StateOverlay,
  type StorageChange,
  storeIn,
  type TransitionContext,
  WorldState,
} from "../state/index.ts";
import { EMPTY_TRIE_ROOT, lookupWithProof, type TrieLookup } from "../trie/index.ts";
import { decodeTx, TxError } from "../tx/index.ts";
import {
  type Account,
  type Address,
  type BeaconMessage,
  type Block,
  type BlockHeader,
  bigintToBytes,
  type CommitCertificate,
  type Evidence,
  equalBytes,
  type Receipt,
  toHex,
  ZERO_ADDRESS,
  ZERO_HASH,
} from "../types/index.ts";
import type { Genesis } from "./genesis.ts";

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

export class ChainStartError extends Error {}

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

export class Chain {
  readonly ctx: TransitionContext;
  readonly modules: ModuleRegistry;
  /** Validator sets by cycle (a cycle's set never changes once stored). */
  private readonly sets = new Map<number, ValidatorSet>();
  private readonly committedEvidence = new Map<string, number>();
  private headCommitValue: CommitCertificate | undefined;
  private beaconValue!: BeaconState;
  /** Executed proposals for the next height, by block hash (cleared on every commit). */
  private readonly candidates = new Map<string, Candidate>();
  private world = new WorldState();
  private headHeader!: BlockHeader;
  private headHashValue!: Uint8Array;
  private readonly listeners: BlockListener[] = [];
  private readonly recent = new Map<number, { hash: Uint8Array; header: BlockHeader }>();
  /** Serialises imports: one block at a time. */
  private lock: Promise<unknown> = Promise.resolve();

  private constructor(
    readonly genesis: Genesis,
    private readonly m: ChainModules,
  ) {
    this.modules = m.modules ?? defaultModules;
    this.ctx = {
      preset: genesis.preset,
      chainId: genesis.chainId,
      validatorsAt: (h) => this.validatorsAt(h),
      isEvidenceCommitted: (id) => this.committedEvidence.has(id),
      modules: this.modules,
    };
  }

  static genesisBlock(genesis: Genesis, modules: ModuleRegistry = defaultModules): GenesisBlock {
    const { world, storage } = genesisState(genesis, modules);
    const changes = genesis.alloc.map((a) => ({ address: a.address, account: a.account }));
    const trie = world.trie;
    const header: BlockHeader = {
      chainId: genesis.chainId,
      height: 0,
      parentHash: ZERO_HASH,
      time: genesis.timestamp,
      proposer: ZERO_ADDRESS,
      stateRoot: trie.rootHash(),
      txRoot: EMPTY_MERKLE_ROOT,
      receiptsRoot: EMPTY_MERKLE_ROOT,
      evidenceRoot: EMPTY_MERKLE_ROOT,
      beaconMsgsRoot: EMPTY_MERKLE_ROOT,
      validatorSetHash: new ValidatorSet(genesis.validators).hash,
      lastCommit: EMPTY_CERTIFICATE,
      gasLimit: genesis.preset.blockGasLimit,
      gasUsed: 0n,
      baseFee: genesis.preset.initialBaseFee,
      cycle: 0,
      raceRoot: new Uint8Array(32),
      beacon: new Uint8Array(32),
      extra: genesis.extraData,
    };
    return { header, changes, trie, world, storage };
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
    this.beaconValue = loadBeaconState(readStoreIn(this.world, beaconModule), (c) => this.beaconCommittee(c));
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

  /** Certificate of a stored block: from its child's header, else the one this node finalised it with. */
  async commitAt(height: number): Promise<CommitCertificate | undefined> {
    if (height < 1 || height > this.headHeader.height) return undefined;
    if (height === this.headHeader.height) return this.headCommitValue;
    const child = await this.headerAt(height + 1);
    if (child) return child.header.lastCommit;
    return this.m.db.commitAt(height);
  }

  /** Beacon state at the head (committee, DKG progress, active key, latest round). */
  get beacon(): BeaconState {
    return this.beaconValue;
  }

  /** A completed beacon round as stored by the beacon module at the head. */
  beaconRound(round: number): StoredRound | undefined {
    return beaconRounds.get(readStoreIn(this.world, beaconModule), round);
  }

  /** A cycle's DKG outcome as stored by the beacon module. */
  beaconDkg(cycle: number): DkgRecord | undefined {
    return beaconDkgs.get(readStoreIn(this.world, beaconModule), cycle);
  }

  /** The beacon committee of a cycle: the top of that cycle's validator set. */
  beaconCommittee(cycle: number): BeaconCommittee {
    return selectCommittee(
      this.validatorsAt(cycleStart(cycle, this.preset.cycleLength)).validators,
      this.preset.beacon.committeeSize,
      cycle,
    );
  }

  /** The validator set of a height, or undefined if its cycle's set is not decided yet. */
  tryValidatorsAt(height: number): ValidatorSet | undefined {
    const cycle = cycleOf(height, this.preset.cycleLength);
    let set = this.sets.get(cycle);
    if (!set) {
      const list = validatorSetOf(readStoreIn(this.world, validatorsModule), cycle);
      if (!list) return undefined;
      set = new ValidatorSet(list);
      this.sets.set(cycle, set);
    }
    return set;
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

  /** Account and proof at any stored state root (nodes are never pruned). */
  async getAccountProof(stateRoot: Uint8Array, address: Address): Promise<TrieLookup> {
    return lookupWithProof(stateRoot, address, (h) => this.m.db.getTrieNode(h));
  }

  /**
   * A module storage slot and its proof at a stored state root: the account's storage root from
   * the account trie, then the slot in that storage trie. `value` is the entry's bytes.
   */
  async getStorageProof(
    stateRoot: Uint8Array,
    address: Address,
    slot: Uint8Array,
  ): Promise<{ value: Uint8Array | undefined; proof: Uint8Array[]; storageRoot: Uint8Array }> {
    const load = (h: Uint8Array) => this.m.db.getTrieNode(h);
    const account = await lookupWithProof(stateRoot, address, load);
    if (!account.value) return { value: undefined, proof: [], storageRoot: EMPTY_TRIE_ROOT };
    const storageRoot = (rlpDecode(account.value) as Uint8Array[])[2]!;
    const { value, proof } = await lookupWithProof(storageRoot, slot, load);
    return { value: value && (rlpDecode(value) as Uint8Array), proof, storageRoot };
  }

  // Reads below never see a block above the in-memory head: LevelDB applies a block's batch before
  // the commit's continuation updates memory, and a request served in that gap must not see the
  // new receipt while account state is still the old one.

  async headerAt(height: number): Promise<{ hash: Uint8Array; header: BlockHeader } | undefined> {
    if (height > this.headHeader.height) return undefined;
    if (height === this.headHeader.height) return { hash: this.headHashValue, header: this.headHeader };
    const cached = this.recent.get(height);
    if (cached) return cached;
    const hash = await this.m.db.hashAt(height);
    if (!hash) return undefined;
    const header = await this.m.db.headers.get(hash);
    return header ? { hash, header } : undefined;
  }

  async headerByHash(hash: Uint8Array): Promise<BlockHeader | undefined> {
    const header = await this.m.db.headers.get(hash);
    return header && header.height <= this.headHeader.height ? header : undefined;
  }

  async bodyByHash(hash: Uint8Array): Promise<Uint8Array[] | undefined> {
    return (await this.m.db.bodies.get(hash))?.txs;
  }

  async blockByHash(hash: Uint8Array): Promise<Block | undefined> {
    const header = await this.headerByHash(hash);
    const body = header && (await this.m.db.bodies.get(hash));
    return header && body
      ? { header, txs: body.txs, evidence: body.evidence, beacon: body.beacon }
      : undefined;
  }

  async receiptsByHash(hash: Uint8Array): Promise<Receipt[] | undefined> {
    return this.m.db.receipts.get(hash);
  }

  async txLocation(txHash: Uint8Array): Promise<TxLocation | undefined> {
    const loc = await this.m.db.txIndex.get(txHash);
    return loc && loc.height <= this.headHeader.height ? loc : undefined;
  }

  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.lock.then(fn, fn);
    this.lock = run.catch(() => undefined);
    return run;
  }

  /** Decode every transaction and recover senders; throws BlockError on any bad transaction. */
  async prepare(block: Block): Promise<PreparedBlock> {
    const decoded = block.txs.map((raw, i) => {
      try {
        return decodeTx(raw, this.preset.maxTxBytes);
      } catch (e) {
        if (e instanceof TxError)
          throw new BlockError("BLOCK_ERROR_TX_INVALID", `transaction ${i}: ${e.message}`);
        throw e;
      }
    });
    const senders = await this.m.recovery.recover(
      decoded.map((tx) => ({ digest: tx.signingHash, rs: rsBytes(tx.r, tx.s), recovery: tx.recovery })),
    );
    const txs = decoded.map((tx, i) => {
      const sender = senders[i];
      if (!sender) throw new BlockError("BLOCK_ERROR_TX_INVALID", `transaction ${i}: invalid sender`);
      return { tx, sender };
    });
    return { block, txs };
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
  async importBlocks(blocks: { block: Block; commit: CommitCertificate }[], depth = 3): Promise<void> {
    // One batched pairing check per cycle whose validator set is already known; a failure falls
    // through to per-block checks, which reject the first bad certificate with its reason. Blocks
    // of a cycle whose set a block in this run decides are checked one by one as they import.
    const byCycle = new Map<
      number,
      { set: ValidatorSet; claims: Parameters<typeof verifyCertificateBatch>[2] }
    >();
    for (const { block, commit } of blocks) {
      const set = this.tryValidatorsAt(block.header.height);
      if (!set) break;
      const cycle = cycleOf(block.header.height, this.preset.cycleLength);
      let g = byCycle.get(cycle);
      if (!g) {
        g = { set, claims: [] };
        byCycle.set(cycle, g);
      }
      g.claims.push({ height: block.header.height, blockHash: headerHash(block.header), cert: commit });
    }
    for (const g of byCycle.values()) verifyCertificateBatch(g.set, this.ctx.chainId, g.claims);
    const inflight: Promise<PreparedBlock>[] = [];
    let next = 0;
    const fill = () => {
      while (inflight.length < depth && next < blocks.length) {
        const p = this.prepare(blocks[next++]!.block);
        p.catch(() => undefined); // awaited below in order; avoid an early unhandled rejection
        inflight.push(p);
      }
    };
    fill();
    let done = 0;
    while (inflight.length > 0) {
      const prepared = await inflight.shift()!;
      fill();
      const last = done === blocks.length - 1;
      await this.importBlock(prepared, blocks[done++]!.commit, { durable: last });
    }
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

/** Genesis accounts, then each module's genesis hook, into a fresh state. */
function genesisState(genesis: Genesis, modules: ModuleRegistry) {
  const overlay = new StateOverlay(new WorldState());
  for (const a of genesis.alloc) overlay.setAccount(a.address, a.account);
  const block = {
    chainId: genesis.chainId,
    preset: genesis.preset,
    height: 0,
    cycle: 0,
    proposer: ZERO_ADDRESS,
  };
  for (const m of modules.modules) {
    m.genesis?.({
      chainId: block.chainId,
      preset: block.preset,
      validators: genesis.validators,
      section: genesis.modules?.[m.name],
      state: { getAccount: (a) => overlay.getAccount(a), setAccount: (a, v) => overlay.setAccount(a, v) },
      store: storeIn(overlay, m),
    });
  }
  const storage = [...overlay.storage.values()];
  const world = WorldState.fromRecords(
    [...overlay.changes.values()].map((c) => [c.address, c.account] as [Uint8Array, Account]),
    storage.map((s) => ({ module: s.module, key: s.key, value: s.value! })),
  );
  return { world, storage };
}

export interface GenesisBlock {
  header: BlockHeader;
  changes: { address: Address; account: Account }[];
  trie: WorldState["trie"];
  /** The full genesis state (accounts, module storage, tries). */
  world: WorldState;
  storage: StorageChange[];
}

export function rsBytes(r: bigint, s: bigint): Uint8Array {
  const out = new Uint8Array(64);
  const rb = bigintToBytes(r);
  const sb = bigintToBytes(s);
  out.set(rb, 32 - rb.length);
  out.set(sb, 64 - sb.length);
  return out;
}
