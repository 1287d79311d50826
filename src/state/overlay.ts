import type { KeyRange } from "../../contracts/index.ts";
import { type Account, type Address, addressKey } from "../types/index.ts";
import { type KeyScan, SortedKeys } from "./sortedKeys.ts";

export const EMPTY_ACCOUNT: Account = Object.freeze({ nonce: 0n, balance: 0n });

export interface AccountReader {
  getAccount(address: Address): Account;
}

/** Accounts and module storage as the state transition reads them. */
export interface StateReader extends AccountReader {
  getStorage(module: Address, key: Uint8Array): Uint8Array | undefined;
  /**
   * A module's store keys in a scan, as lowercase hex without 0x, in byte order, lazily: an
   * overlay merges its own writes into its base's scan and reads only as far as its caller does.
   * Nothing may be written while a scan is being read (storageKeys reads it whole first).
   */
  storageScan(module: Address, scan: KeyScan): Iterable<string>;
}

/** A module's store keys that start with `prefix` and lie in `range`, in byte order. */
export function storageKeys(
  state: StateReader,
  module: Address,
  prefix: Uint8Array,
  range: KeyRange = {},
): Uint8Array[] {
  const limit = range.limit ?? Number.POSITIVE_INFINITY;
  const out: Uint8Array[] = [];
  if (limit <= 0) return out;
  const scan: KeyScan = { prefix: hexOf(prefix), from: range.from ? hexOf(range.from) : "" };
  if (range.to) scan.to = hexOf(range.to);
  for (const id of state.storageScan(module, scan)) {
    out.push(new Uint8Array(Buffer.from(id, "hex")));
    if (out.length >= limit) break;
  }
  return out;
}

/** Store keys as the ordered indexes hold them: hex, whose string order is the bytes' order. */
export function hexOf(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString("hex");
}

/** Reads from a Map keyed by addressKey; no module storage (tests, tools). */
export class MapAccountReader implements StateReader {
  constructor(readonly accounts: ReadonlyMap<string, Account>) {}
  getAccount(address: Address): Account {
    return this.accounts.get(addressKey(address)) ?? EMPTY_ACCOUNT;
  }
  getStorage(): Uint8Array | undefined {
    return undefined;
  }
  storageScan(): Iterable<string> {
    return [];
  }
}

export interface AccountChange {
  address: Address;
  account: Account;
}

/** A write to one module storage entry; `value: null` removes it. */
export interface StorageChange {
  module: Address;
  key: Uint8Array;
  value: Uint8Array | null;
}

function storageId(module: Address, key: Uint8Array): string {
  return `${addressKey(module)}:${hexOf(key)}`;
}

/** Writes buffered over a reader; nested overlays let a failing module call be rolled back. */
export class StateOverlay implements StateReader {
  readonly changes = new Map<string, AccountChange>();
  /** Storage writes by `module:key`; write only through setStorage (the index follows it). */
  readonly storage = new Map<string, StorageChange>();
  /** The keys this overlay wrote (deletions included), ordered, per module (addressKey). */
  private readonly written = new Map<string, SortedKeys>();
  constructor(readonly base: StateReader) {}

  getAccount(address: Address): Account {
    return this.changes.get(addressKey(address))?.account ?? this.base.getAccount(address);
  }

  setAccount(address: Address, account: Account): void {
    if (account.balance < 0n || account.nonce < 0n)
      throw new Error("state invariant: negative balance or nonce");
    this.changes.set(addressKey(address), { address, account });
  }

  getStorage(module: Address, key: Uint8Array): Uint8Array | undefined {
    const c = this.storage.get(storageId(module, key));
    if (c) return c.value ?? undefined;
    return this.base.getStorage(module, key);
  }

  setStorage(module: Address, key: Uint8Array, value: Uint8Array | null): void {
    this.record({ module, key: key.slice(), value: value === null ? null : value.slice() });
  }

  /**
   * The base's scan with this overlay's writes merged in, in order: a key written here replaces
   * the base's (a deletion hides it), and a key new here is yielded in its place among them.
   */
  *storageScan(module: Address, scan: KeyScan): Generator<string> {
    const m = addressKey(module);
    const mine = this.written.get(m);
    if (!mine) {
      yield* this.base.storageScan(module, scan);
      return;
    }
    const base = this.base.storageScan(module, scan)[Symbol.iterator]();
    const own = mine.scan(scan);
    let b = base.next();
    let o = own.next();
    while (!o.done) {
      if (!b.done && b.value < o.value) {
        yield b.value;
        b = base.next();
        continue;
      }
      if (!b.done && b.value === o.value) b = base.next();
      if (this.storage.get(`${m}:${o.value}`)!.value !== null) yield o.value;
      o = own.next();
    }
    while (!b.done) {
      yield b.value;
      b = base.next();
    }
  }

  /** Move this overlay's writes into its base overlay. */
  mergeInto(parent: StateOverlay): void {
    for (const [k, c] of this.changes) parent.changes.set(k, c);
    for (const c of this.storage.values()) parent.record(c);
  }

  private record(c: StorageChange): void {
    const m = addressKey(c.module);
    const key = hexOf(c.key);
    this.storage.set(`${m}:${key}`, c);
    let keys = this.written.get(m);
    if (!keys) {
      keys = new SortedKeys();
      this.written.set(m, keys);
    }
    keys.add(key);
  }
}
