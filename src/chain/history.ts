/**
 * Reads of stored history: headers, bodies, receipts, the transaction index, certificates, and
 * account and storage proofs at any stored state root (trie nodes are never pruned). The chain
 * extends this with the head state and the import pipeline.
 */
import type { AddressRef, ChainDb, TxLocation } from "../db/index.ts";
import { rlpDecode } from "../encoding/index.ts";
import { EMPTY_TRIE_ROOT, lookupWithProof, type TrieLookup } from "../trie/index.ts";
import type { Address, Block, BlockHeader, CommitCertificate, Receipt } from "../types/index.ts";

export abstract class ChainHistory {
  protected headHeader!: BlockHeader;
  protected headHashValue!: Uint8Array;
  protected headCommitValue: CommitCertificate | undefined;
  protected readonly recent = new Map<number, { hash: Uint8Array; header: BlockHeader }>();

  protected constructor(protected readonly db: ChainDb) {}

  /** Certificate of a stored block: from its child's header, else the one this node finalised it with. */
  async commitAt(height: number): Promise<CommitCertificate | undefined> {
    if (height < 1 || height > this.headHeader.height) return undefined;
    if (height === this.headHeader.height) return this.headCommitValue;
    const child = await this.headerAt(height + 1);
    if (child) return child.header.lastCommit;
    return this.db.commitAt(height);
  }

  /** Account and proof at any stored state root (nodes are never pruned). */
  async getAccountProof(stateRoot: Uint8Array, address: Address): Promise<TrieLookup> {
    return lookupWithProof(stateRoot, address, (h) => this.db.getTrieNode(h));
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
    const load = (h: Uint8Array) => this.db.getTrieNode(h);
    const account = await lookupWithProof(stateRoot, address, load);
    if (!account.value) return { value: undefined, proof: [], storageRoot: EMPTY_TRIE_ROOT };
    const storageRoot = (rlpDecode(account.value) as Uint8Array[])[2]!;
    const { value, proof } = await lookupWithProof(storageRoot, slot, load);
    return { value: value && (rlpDecode(value) as Uint8Array), proof, storageRoot };
  }

  // Reads below never see a block above the in-memory head: LevelDB applies a block's batch before
  // the commit's continuation updates memory, and a request served in that gap must not see the
  // new receipt while account state is still the old one.

  /**
   * An address's transactions from the address index, newest first, strictly before `before`
   * (height, transaction index) when given: one bounded range read, never above the head.
   */
  async addressHistory(
    address: Address,
    opts: { limit: number; before?: { height: number; txIndex: number } },
  ): Promise<AddressRef[]> {
    const aboveHead = { height: this.headHeader.height + 1, txIndex: 0 };
    const before = opts.before && opts.before.height <= this.headHeader.height ? opts.before : aboveHead;
    return this.db.addressHistory(address, { limit: opts.limit, before });
  }

  async headerAt(height: number): Promise<{ hash: Uint8Array; header: BlockHeader } | undefined> {
    if (height > this.headHeader.height) return undefined;
    if (height === this.headHeader.height) return { hash: this.headHashValue, header: this.headHeader };
    const cached = this.recent.get(height);
    if (cached) return cached;
    const hash = await this.db.hashAt(height);
    if (!hash) return undefined;
    const header = await this.db.headers.get(hash);
    return header ? { hash, header } : undefined;
  }

  async headerByHash(hash: Uint8Array): Promise<BlockHeader | undefined> {
    const header = await this.db.headers.get(hash);
    return header && header.height <= this.headHeader.height ? header : undefined;
  }

  async bodyByHash(hash: Uint8Array): Promise<Uint8Array[] | undefined> {
    return (await this.db.bodies.get(hash))?.txs;
  }

  async blockByHash(hash: Uint8Array): Promise<Block | undefined> {
    const header = await this.headerByHash(hash);
    const body = header && (await this.db.bodies.get(hash));
    return header && body
      ? { header, txs: body.txs, evidence: body.evidence, beacon: body.beacon }
      : undefined;
  }

  async receiptsByHash(hash: Uint8Array): Promise<Receipt[] | undefined> {
    return this.db.receipts.get(hash);
  }

  async txLocation(txHash: Uint8Array): Promise<TxLocation | undefined> {
    const loc = await this.db.txIndex.get(txHash);
    return loc && loc.height <= this.headHeader.height ? loc : undefined;
  }
}
