/**
 * Chain storage: one repository per bucket, each a one-byte key prefix, encoding confined here.
 * Every block commits as one atomic batch (commitBlock), so a process killed at any point
 * restarts at its last committed block.
 */

import {
  accountCodec,
  beaconMessageListCodec,
  type Codec,
  commitCodec,
  decode,
  encode,
  evidenceListCodec,
  hash32,
  headerCodec,
  receiptListCodec,
  struct,
  txListCodec,
  uint,
} from "../encoding/index.ts";
import type { AccountChange, StorageChange } from "../state/index.ts";
import {
  type Account,
  type BeaconMessage,
  type BlockHeader,
  type CommitCertificate,
  concatBytes,
  type Evidence,
  type Receipt,
  u32be,
} from "../types/index.ts";
import type { BatchOp, KV } from "./kv.ts";

export const Bucket = {
  header: 0x01,
  body: 0x02,
  canonical: 0x03,
  txIndex: 0x04,
  receipts: 0x05,
  account: 0x06,
  trieNode: 0x07,
  meta: 0x08,
  /** height → the certificate this node finalised the block with (serves sync of the newest block). */
  commit: 0x09,
  /** evidence id → height of the block that included it (no evidence twice). */
  evidence: 0x0a,
  /** beacon round (u32 BE) → { round, output, signature, signers, height } */
  beaconRound: 0x0b,
  /** cycle (u32 BE) → that cycle's DKG outcome (committee, qualified set, group key) or its failure */
  beaconDkg: 0x0c,
  /** module address (20 bytes) ‖ store key → value: flat copy of module storage at the head */
  storage: 0x0d,
  /**
   * address (20 bytes) ‖ height (u32 BE) ‖ transaction index (u32 BE) → tx hash ‖ roles ‖ log
   * indexes (u32 BE each): every transaction an address sent, received or is named in a log of.
   */
  addressIndex: 0x0e,
} as const;

/** The address's roles in a transaction (bits of AddressRef.roles). */
export const AddressRole = { sender: 1, recipient: 2, log: 4 } as const;

/** One transaction's reference from one address. */
export interface AddressRef {
  address: Uint8Array;
  height: number;
  txIndex: number;
  txHash: Uint8Array;
  /** AddressRole bits. */
  roles: number;
  /** Block-wide indexes of the logs that name the address (as eth_getLogs' logIndex). */
  logs: number[];
}

export interface BlockBody {
  txs: Uint8Array[];
  evidence: Evidence[];
  beacon: BeaconMessage[];
}
const bodyCodec = struct<BlockBody>("BlockBody", {
  txs: txListCodec,
  evidence: evidenceListCodec,
  beacon: beaconMessageListCodec,
});

export interface TxLocation {
  height: number;
  index: number;
  blockHash: Uint8Array;
}
const txLocationCodec = struct<TxLocation>("TxLocation", { height: uint, index: uint, blockHash: hash32 });
const headRecordCodec = struct<{ hash: Uint8Array; height: number }>("Head", { hash: hash32, height: uint });

const META_HEAD = new TextEncoder().encode("head");
const META_GENESIS = new TextEncoder().encode("genesis");
const META_BEACON = new TextEncoder().encode("beacon");
/** The height through which the address index is complete (absent: never built). */
const META_ADDRESS_INDEX = new TextEncoder().encode("addressIndex");

// Address index entries are written for every transaction of every block, so they are laid out by
// hand rather than through a codec: the key orders an address's history by (height, index).
function writeU32(b: Uint8Array, at: number, v: number): void {
  b[at] = v >>> 24;
  b[at + 1] = (v >>> 16) & 0xff;
  b[at + 2] = (v >>> 8) & 0xff;
  b[at + 3] = v & 0xff;
}

function addressKey(address: Uint8Array, height: number, txIndex: number): Uint8Array {
  const k = new Uint8Array(29);
  k[0] = Bucket.addressIndex;
  k.set(address, 1);
  writeU32(k, 21, height);
  writeU32(k, 25, txIndex);
  return k;
}

function addressValue(r: AddressRef): Uint8Array {
  const out = new Uint8Array(33 + 4 * r.logs.length);
  out.set(r.txHash, 0);
  out[32] = r.roles;
  for (let i = 0; i < r.logs.length; i++) writeU32(out, 33 + 4 * i, r.logs[i]!);
  return out;
}

function decodeAddressRef(k: Uint8Array, value: Uint8Array): AddressRef {
  const kv = new DataView(k.buffer, k.byteOffset, k.byteLength);
  const vv = new DataView(value.buffer, value.byteOffset, value.byteLength);
  if (k.length !== 29 || value.length < 33 || (value.length - 33) % 4 !== 0)
    throw new Error(`malformed address index entry (key ${k.length} bytes, value ${value.length})`);
  const logs: number[] = [];
  for (let o = 33; o < value.length; o += 4) logs.push(vv.getUint32(o));
  return {
    address: k.slice(1, 21),
    height: kv.getUint32(21),
    txIndex: kv.getUint32(25),
    txHash: value.slice(0, 32),
    roles: value[32]!,
    logs,
  };
}

function key(bucket: number, k: Uint8Array): Uint8Array {
  return concatBytes(new Uint8Array([bucket]), k);
}

class Repository<V> {
  constructor(
    private readonly kv: KV,
    readonly bucket: number,
    private readonly codec: Codec<V>,
  ) {}
  async get(k: Uint8Array): Promise<V | undefined> {
    const raw = await this.kv.get(key(this.bucket, k));
    return raw ? decode(this.codec, raw) : undefined;
  }
  putOp(k: Uint8Array, v: V): BatchOp {
    return { type: "put", key: key(this.bucket, k), value: encode(this.codec, v) };
  }
}

export interface BlockCommit {
  hash: Uint8Array;
  header: BlockHeader;
  txs: Uint8Array[];
  evidence: Evidence[];
  beacon: BeaconMessage[];
  /** Ids (hex) of the evidence, for the evidence bucket. */
  evidenceIds: string[];
  /** The certificate that finalised this block, when known (not for genesis). */
  commit?: CommitCertificate;
  txHashes: Uint8Array[];
  receipts: Receipt[];
  changes: Iterable<AccountChange>;
  /** Module storage writes (value null: removed). */
  storage: Iterable<StorageChange>;
  /** The block's address index entries (the marker moves to this block in the same batch). */
  addressRefs: Iterable<AddressRef>;
  /** New nodes of the account trie and of every storage trie that changed. */
  trieNodes: [Uint8Array, Uint8Array][];
}

export class ChainDb {
  readonly headers: Repository<BlockHeader>;
  readonly bodies: Repository<BlockBody>;
  readonly commits: Repository<CommitCertificate>;
  readonly canonical: Repository<Uint8Array>;
  readonly txIndex: Repository<TxLocation>;
  readonly receipts: Repository<Receipt[]>;
  readonly accounts: Repository<Account>;

  constructor(readonly kv: KV) {
    this.headers = new Repository(kv, Bucket.header, headerCodec);
    this.bodies = new Repository(kv, Bucket.body, bodyCodec);
    this.commits = new Repository(kv, Bucket.commit, commitCodec);
    this.canonical = new Repository(kv, Bucket.canonical, hash32);
    this.txIndex = new Repository(kv, Bucket.txIndex, txLocationCodec);
    this.receipts = new Repository(kv, Bucket.receipts, receiptListCodec);
    this.accounts = new Repository(kv, Bucket.account, accountCodec);
  }

  async getHead(): Promise<{ hash: Uint8Array; height: number } | undefined> {
    const raw = await this.kv.get(key(Bucket.meta, META_HEAD));
    return raw ? decode(headRecordCodec, raw) : undefined;
  }

  async getGenesisHash(): Promise<Uint8Array | undefined> {
    const raw = await this.kv.get(key(Bucket.meta, META_GENESIS));
    return raw ? decode(hash32, raw) : undefined;
  }

  async getTrieNode(hash: Uint8Array): Promise<Uint8Array | undefined> {
    return this.kv.get(key(Bucket.trieNode, hash));
  }

  async hashAt(height: number): Promise<Uint8Array | undefined> {
    return this.canonical.get(u32be(height));
  }

  /** True if the datadir was written before module storage existed (beacon state as one blob). */
  async hasLegacyBeaconState(): Promise<boolean> {
    return (await this.kv.get(key(Bucket.meta, META_BEACON))) !== undefined;
  }

  async commitAt(height: number): Promise<CommitCertificate | undefined> {
    return this.commits.get(u32be(height));
  }

  /** The height through which the address index is complete, or undefined if it was never built. */
  async addressIndexHeight(): Promise<number | undefined> {
    const raw = await this.kv.get(key(Bucket.meta, META_ADDRESS_INDEX));
    return raw ? Buffer.from(raw).readUInt32BE(0) : undefined;
  }

  /** Index entries and the completion marker (through `height`), for a block's batch or a rebuild. */
  addressIndexOps(refs: Iterable<AddressRef>, height: number): BatchOp[] {
    const ops: BatchOp[] = [];
    for (const r of refs)
      ops.push({ type: "put", key: addressKey(r.address, r.height, r.txIndex), value: addressValue(r) });
    ops.push({ type: "put", key: key(Bucket.meta, META_ADDRESS_INDEX), value: u32be(height) });
    return ops;
  }

  /** Writes a stretch of a rebuilt index with its marker, atomically. */
  async commitAddressIndex(refs: Iterable<AddressRef>, height: number): Promise<void> {
    await this.kv.batch(this.addressIndexOps(refs, height));
  }

  /**
   * An address's transactions, newest first, strictly before `before` (height, index) when given:
   * one range read of at most `limit` keys.
   */
  async addressHistory(
    address: Uint8Array,
    opts: { limit: number; before?: { height: number; txIndex: number } },
  ): Promise<AddressRef[]> {
    const lt = opts.before
      ? addressKey(address, opts.before.height, opts.before.txIndex)
      : key(Bucket.addressIndex, concatBytes(address, new Uint8Array(8).fill(0xff)));
    const entries = await this.kv.range({
      gte: addressKey(address, 0, 0),
      lt,
      reverse: true,
      limit: opts.limit,
    });
    return entries.map(([k, v]) => decodeAddressRef(k, v));
  }

  /** Evidence ids with the height that included them. */
  async *allEvidence(): AsyncIterable<[string, number]> {
    for await (const [k, v] of this.kv.entries(new Uint8Array([Bucket.evidence]))) {
      yield [Buffer.from(k.slice(1)).toString("hex"), Buffer.from(v).readUInt32BE(0)];
    }
  }

  async *allStorage(): AsyncIterable<{ module: Uint8Array; key: Uint8Array; value: Uint8Array }> {
    for await (const [k, v] of this.kv.entries(new Uint8Array([Bucket.storage]))) {
      yield { module: k.slice(1, 21), key: k.slice(21), value: v };
    }
  }

  async *allAccounts(): AsyncIterable<[Uint8Array, Account]> {
    for await (const [k, v] of this.kv.entries(new Uint8Array([Bucket.account]))) {
      yield [k.slice(1), decode(accountCodec, v)];
    }
  }

  /** Everything a block changes, in one atomic batch, head pointer last in the same batch. */
  async commitBlock(c: BlockCommit, opts: { genesis?: boolean; durable?: boolean } = {}): Promise<void> {
    const ops: BatchOp[] = [
      this.headers.putOp(c.hash, c.header),
      this.bodies.putOp(c.hash, { txs: c.txs, evidence: c.evidence, beacon: c.beacon }),
      this.canonical.putOp(u32be(c.header.height), c.hash),
      this.receipts.putOp(c.hash, c.receipts),
    ];
    c.txHashes.forEach((h, index) => {
      ops.push(this.txIndex.putOp(h, { height: c.header.height, index, blockHash: c.hash }));
    });
    if (c.commit) ops.push(this.commits.putOp(u32be(c.header.height), c.commit));
    for (const id of c.evidenceIds)
      ops.push({
        type: "put",
        key: key(Bucket.evidence, Buffer.from(id, "hex")),
        value: u32be(c.header.height),
      });
    for (const ch of c.changes) ops.push(this.accounts.putOp(ch.address, ch.account));
    for (const s of c.storage) {
      const k = key(Bucket.storage, concatBytes(s.module, s.key));
      ops.push(s.value === null ? { type: "del", key: k } : { type: "put", key: k, value: s.value });
    }
    for (const [h, node] of c.trieNodes) ops.push({ type: "put", key: key(Bucket.trieNode, h), value: node });
    for (const op of this.addressIndexOps(c.addressRefs, c.header.height)) ops.push(op);
    ops.push({
      type: "put",
      key: key(Bucket.meta, META_HEAD),
      value: encode(headRecordCodec, { hash: c.hash, height: c.header.height }),
    });
    if (opts.genesis)
      ops.push({ type: "put", key: key(Bucket.meta, META_GENESIS), value: encode(hash32, c.hash) });
    await this.kv.batch(ops, { durable: opts.durable });
  }
}
