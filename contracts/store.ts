/**
 * Module storage (spec/modules.md §Storage). Each module owns a storage trie under its account's
 * storageRoot, so the header's stateRoot commits to every entry and eth_getProof proves it.
 *
 * A module never sees raw keys: it declares typed items and maps, and reads and writes them
 * through the store handed to its hooks and methods. An entry's store key is
 * `name ‖ 0x00 ‖ key bytes`; its storage slot is keccak256(store key), and the slot's value in the
 * trie is the RLP string of the entry's canonical msgpack.
 */
import { keccak256 } from "../src/crypto/index.ts";
import { type Codec, decode, encode } from "../src/encoding/index.ts";
import { type Address, concatBytes, u32be } from "../src/types/index.ts";

/** Bounds of a key scan, as whole store keys: from `from` (inclusive) to `to` (exclusive), at most `limit` keys. */
export interface KeyRange {
  from?: Uint8Array;
  to?: Uint8Array;
  limit?: number;
}

/** The raw byte store of one module, as the state transition provides it. */
export interface RawStore {
  get(key: Uint8Array): Uint8Array | undefined;
  set(key: Uint8Array, value: Uint8Array): void;
  delete(key: Uint8Array): void;
  /**
   * Store keys that start with `prefix` and lie in `range`, in byte order. Keys are kept ordered,
   * so this costs O(log n + keys returned) however large the store: hooks scan ranges, never all.
   */
  keys(prefix: Uint8Array, range?: KeyRange): Uint8Array[];
}

export type ReadStore = Pick<RawStore, "get" | "keys">;

export interface KeyCodec<K> {
  encode(k: K): Uint8Array;
  decode(b: Uint8Array): K;
}

/** Big-endian u32: numeric keys iterate in numeric order. */
export const u32Key: KeyCodec<number> = {
  encode: (n) => u32be(n),
  decode: (b) => {
    if (b.length !== 4) throw new Error("u32 key must be 4 bytes");
    return Buffer.from(b).readUInt32BE(0);
  },
};

export const addressKey20: KeyCodec<Address> = {
  encode: (a) => {
    if (a.length !== 20) throw new Error("address key must be 20 bytes");
    return a;
  },
  decode: (b) => {
    if (b.length !== 20) throw new Error("address key must be 20 bytes");
    return b.slice();
  },
};

export const bytesKey: KeyCodec<Uint8Array> = { encode: (b) => b, decode: (b) => b.slice() };

/** Two keys side by side (the first of fixed width), e.g. (cycle, dealer). */
export function pairKey<A, B>(a: KeyCodec<A>, aWidth: number, b: KeyCodec<B>): KeyCodec<[A, B]> {
  return {
    encode: ([x, y]) => concatBytes(a.encode(x), b.encode(y)),
    decode: (k) => [a.decode(k.subarray(0, aWidth)), b.decode(k.subarray(aWidth))],
  };
}

const SEPARATOR = new Uint8Array([0]);
const utf8 = new TextEncoder();

function namespace(name: string): Uint8Array {
  if (!/^[a-z][a-zA-Z0-9]*$/.test(name)) throw new Error(`store name "${name}" must be alphanumeric`);
  return concatBytes(utf8.encode(name), SEPARATOR);
}

/** The storage slot of a store key: what eth_getStorageAt and eth_getProof take. */
export function storageSlot(storeKey: Uint8Array): Uint8Array {
  return keccak256(storeKey);
}

/** One value under a fixed name. */
export class StoreItem<V> {
  readonly key: Uint8Array;
  constructor(
    readonly name: string,
    readonly codec: Codec<V>,
  ) {
    this.key = namespace(name);
  }
  get(s: ReadStore): V | undefined {
    const raw = s.get(this.key);
    return raw === undefined ? undefined : decode(this.codec, raw);
  }
  set(s: RawStore, v: V): void {
    s.set(this.key, encode(this.codec, v));
  }
  delete(s: RawStore): void {
    s.delete(this.key);
  }
}

/** A range of a map's keys (StoreMap.scan): key bytes without the map's name. */
export interface MapScan {
  under?: Uint8Array;
  from?: Uint8Array;
  to?: Uint8Array;
  limit?: number;
}

/** Values under one name, keyed by K. */
export class StoreMap<K, V> {
  readonly prefix: Uint8Array;
  constructor(
    readonly name: string,
    readonly keyCodec: KeyCodec<K>,
    readonly codec: Codec<V>,
  ) {
    this.prefix = namespace(name);
  }
  storeKey(k: K): Uint8Array {
    return concatBytes(this.prefix, this.keyCodec.encode(k));
  }
  get(s: ReadStore, k: K): V | undefined {
    const raw = s.get(this.storeKey(k));
    return raw === undefined ? undefined : decode(this.codec, raw);
  }
  has(s: ReadStore, k: K): boolean {
    return s.get(this.storeKey(k)) !== undefined;
  }
  set(s: RawStore, k: K, v: V): void {
    s.set(this.storeKey(k), encode(this.codec, v));
  }
  delete(s: RawStore, k: K): void {
    s.delete(this.storeKey(k));
  }
  /** Keys (optionally under a key prefix, e.g. one cycle of a (cycle, x) map), in byte order. */
  keys(s: ReadStore, under?: Uint8Array): K[] {
    return this.scan(s, { under });
  }
  /**
   * Keys in a range, in byte order: under a key prefix, from `from` (inclusive) to `to`
   * (exclusive), both encoded keys or prefixes of them, at most `limit`. E.g. the (height, task)
   * entries below height h: `{ to: u32Key.encode(h) }`.
   */
  scan(s: ReadStore, r: MapScan = {}): K[] {
    const p = r.under ? concatBytes(this.prefix, r.under) : this.prefix;
    const range: KeyRange = { limit: r.limit };
    if (r.from) range.from = concatBytes(this.prefix, r.from);
    if (r.to) range.to = concatBytes(this.prefix, r.to);
    return s.keys(p, range).map((k) => this.keyCodec.decode(k.subarray(this.prefix.length)));
  }
  entries(s: ReadStore, under?: Uint8Array): [K, V][] {
    return this.keys(s, under).map((k) => [k, this.get(s, k)!]);
  }
}
