/**
 * The committed state at the head: flat accounts, flat module storage, the account trie and one
 * storage trie per module account. The chain owns one and applies each committed block to it;
 * the pure transition reads it through StateReader and computes the next roots from its tries.
 */
import { storageSlot } from "../../contracts/index.ts";
import { keccak256 } from "../crypto/index.ts";
import { rlpEncodeBytes, rlpEncodeList } from "../encoding/index.ts";
import { EMPTY_TRIE_ROOT, Trie } from "../trie/index.ts";
import { type Account, type Address, addressKey, bigintToBytes } from "../types/index.ts";
import { type AccountChange, EMPTY_ACCOUNT, hexOf, type StateReader, type StorageChange } from "./overlay.ts";
import { type KeyScan, SortedKeys } from "./sortedKeys.ts";

const KECCAK_EMPTY = keccak256(new Uint8Array(0));

/** Account as stored in the trie: Ethereum's RLP [nonce, balance, storageRoot, codeHash]. */
export function accountTrieValue(a: Account, storageRoot: Uint8Array = EMPTY_TRIE_ROOT): Uint8Array {
  return rlpEncodeList([
    rlpEncodeBytes(bigintToBytes(a.nonce)),
    rlpEncodeBytes(bigintToBytes(a.balance)),
    rlpEncodeBytes(storageRoot),
    rlpEncodeBytes(KECCAK_EMPTY),
  ]);
}

/** A storage trie leaf holds the RLP string of the entry's bytes. */
export function storageTrieValue(value: Uint8Array): Uint8Array {
  return rlpEncodeBytes(value);
}

export interface TrieAccount extends AccountChange {
  storageRoot?: Uint8Array;
}

export function updateTrie(trie: Trie, changes: Iterable<TrieAccount>): Trie {
  const entries: [Uint8Array, Uint8Array][] = [];
  for (const c of changes) entries.push([c.address, accountTrieValue(c.account, c.storageRoot)]);
  return trie.setMany(entries);
}

export function updateStorageTrie(trie: Trie, changes: Iterable<StorageChange>): Trie {
  const entries: [Uint8Array, Uint8Array | null][] = [];
  for (const c of changes)
    entries.push([storageSlot(c.key), c.value === null ? null : storageTrieValue(c.value)]);
  return trie.setMany(entries);
}

/** What a block changes, as the transition computed it. */
export interface StateDelta {
  changes: Map<string, AccountChange>;
  storage: StorageChange[];
  trie: Trie;
  /** New storage tries of the module accounts whose storage changed, by addressKey. */
  storageTries: Map<string, Trie>;
}

interface StoredEntry {
  key: Uint8Array;
  value: Uint8Array;
}

export class WorldState implements StateReader {
  readonly accounts = new Map<string, Account>();
  /** Module storage by addressKey, then by hex store key; written only here (the index follows). */
  readonly storage = new Map<string, Map<string, StoredEntry>>();
  readonly storageTries = new Map<string, Trie>();
  trie: Trie = Trie.empty();
  /** Each module's store keys in order, so a range read never walks the rest of the store. */
  private readonly ordered = new Map<string, SortedKeys>();

  /** Build from flat records (start-up, genesis); tries are rebuilt from them. */
  static fromRecords(
    accounts: Iterable<[Address, Account]>,
    storage: Iterable<{ module: Address; key: Uint8Array; value: Uint8Array }>,
  ): WorldState {
    const w = new WorldState();
    const touched = new Map<string, Address>();
    for (const s of storage) {
      const k = addressKey(s.module);
      let m = w.storage.get(k);
      if (!m) {
        m = new Map();
        w.storage.set(k, m);
      }
      m.set(hexOf(s.key), { key: s.key, value: s.value });
      touched.set(k, s.module);
    }
    // The database hands storage over in key order, so this sort is one pass.
    for (const [k, m] of w.storage) w.ordered.set(k, SortedKeys.fromSorted([...m.keys()].sort()));
    for (const [k, m] of w.storage)
      w.storageTries.set(
        k,
        updateStorageTrie(
          Trie.empty(),
          [...m.values()].map((e) => ({ module: touched.get(k)!, key: e.key, value: e.value })),
        ),
      );
    const rows: TrieAccount[] = [];
    for (const [address, account] of accounts) {
      w.accounts.set(addressKey(address), account);
      rows.push({ address, account, storageRoot: w.storageRoot(address) });
      touched.delete(addressKey(address));
    }
    // Module accounts that hold storage but no coin still appear in the account trie.
    for (const address of touched.values())
      rows.push({ address, account: EMPTY_ACCOUNT, storageRoot: w.storageRoot(address) });
    w.trie = updateTrie(Trie.empty(), rows);
    return w;
  }

  getAccount(address: Address): Account {
    return this.accounts.get(addressKey(address)) ?? EMPTY_ACCOUNT;
  }

  getStorage(module: Address, key: Uint8Array): Uint8Array | undefined {
    return this.storage.get(addressKey(module))?.get(hexOf(key))?.value;
  }

  storageScan(module: Address, scan: KeyScan): Iterable<string> {
    return this.ordered.get(addressKey(module))?.scan(scan) ?? [];
  }

  storageRoot(address: Address): Uint8Array {
    return this.storageTries.get(addressKey(address))?.rootHash() ?? EMPTY_TRIE_ROOT;
  }

  /** Number of storage entries per module (for logs). */
  storageSize(): number {
    let n = 0;
    for (const m of this.storage.values()) n += m.size;
    return n;
  }

  /** Apply a committed block's delta. */
  apply(d: StateDelta): void {
    for (const [k, c] of d.changes) this.accounts.set(k, c.account);
    for (const c of d.storage) {
      const k = addressKey(c.module);
      let m = this.storage.get(k);
      if (!m) {
        m = new Map();
        this.storage.set(k, m);
      }
      let order = this.ordered.get(k);
      if (!order) {
        order = new SortedKeys();
        this.ordered.set(k, order);
      }
      const id = hexOf(c.key);
      if (c.value === null) {
        if (m.delete(id)) order.delete(id);
      } else {
        if (!m.has(id)) order.add(id);
        m.set(id, { key: c.key, value: c.value });
      }
    }
    for (const [k, t] of d.storageTries) this.storageTries.set(k, t);
    this.trie = d.trie;
  }
}

/**
 * The roots after a block: new storage tries for modules whose storage changed, then the account
 * trie with every changed account (and every module whose storage root moved).
 */
export function computeDelta(
  pre: { trie: Trie; storageTries?: ReadonlyMap<string, Trie> },
  changes: Map<string, AccountChange>,
  storageWrites: Iterable<StorageChange>,
  readAccount: (a: Address) => Account,
): StateDelta {
  const byModule = new Map<string, { module: Address; writes: StorageChange[] }>();
  const storage: StorageChange[] = [];
  for (const c of storageWrites) {
    const k = addressKey(c.module);
    let g = byModule.get(k);
    if (!g) {
      g = { module: c.module, writes: [] };
      byModule.set(k, g);
    }
    g.writes.push(c);
    storage.push(c);
  }
  const storageTries = new Map<string, Trie>();
  for (const [k, g] of byModule)
    storageTries.set(k, updateStorageTrie(pre.storageTries?.get(k) ?? Trie.empty(), g.writes));
  const rows = new Map<string, TrieAccount>();
  for (const [k, c] of changes) rows.set(k, { ...c });
  for (const [k, g] of byModule)
    if (!rows.has(k)) rows.set(k, { address: g.module, account: readAccount(g.module) });
  for (const [k, r] of rows)
    r.storageRoot = (storageTries.get(k) ?? pre.storageTries?.get(k))?.rootHash() ?? EMPTY_TRIE_ROOT;
  return { changes, storage, trie: updateTrie(pre.trie, rows.values()), storageTries };
}
