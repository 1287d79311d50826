import { type Account, type Address, addressKey, toHex } from "../types/index.ts";

export const EMPTY_ACCOUNT: Account = Object.freeze({ nonce: 0n, balance: 0n });

export interface AccountReader {
  getAccount(address: Address): Account;
}

/** Accounts and module storage as the state transition reads them. */
export interface StateReader extends AccountReader {
  getStorage(module: Address, key: Uint8Array): Uint8Array | undefined;
  /** Store keys of a module that start with `prefix`, in byte order. */
  storageKeys(module: Address, prefix: Uint8Array): Uint8Array[];
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
  storageKeys(): Uint8Array[] {
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
  return `${addressKey(module)}:${toHex(key).slice(2)}`;
}

/** Writes buffered over a reader; nested overlays let a failing module call be rolled back. */
export class StateOverlay implements StateReader {
  readonly changes = new Map<string, AccountChange>();
  readonly storage = new Map<string, StorageChange>();
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
    this.storage.set(storageId(module, key), {
      module,
      key: key.slice(),
      value: value === null ? null : value.slice(),
    });
  }

  storageKeys(module: Address, prefix: Uint8Array): Uint8Array[] {
    const mine = `${addressKey(module)}:`;
    const p = toHex(prefix).slice(2);
    const keys = new Map<string, Uint8Array>();
    for (const k of this.base.storageKeys(module, prefix)) keys.set(toHex(k).slice(2), k);
    for (const [id, c] of this.storage) {
      if (!id.startsWith(mine)) continue;
      const hex = id.slice(mine.length);
      if (!hex.startsWith(p)) continue;
      if (c.value === null) keys.delete(hex);
      else keys.set(hex, c.key);
    }
    return [...keys.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, k]) => k);
  }

  /** Move this overlay's writes into its base overlay. */
  mergeInto(parent: StateOverlay): void {
    for (const [k, c] of this.changes) parent.changes.set(k, c);
    for (const [k, c] of this.storage) parent.storage.set(k, c);
  }
}
