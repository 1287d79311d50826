// Ordered module storage (spec/modules.md §Storage): the sorted key index of the world, the
// overlays' ordered merge of their own writes over it (a deletion hides a key, a new key takes its
// place in order), ranges and limits, all checked against a plain sorted model under random
// inserts, deletes and scans.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { KeyRange } from "../../contracts/index.ts";
import {
  SortedKeys,
  StateOverlay,
  type StateReader,
  type StorageChange,
  storageKeys,
  WorldState,
} from "../../src/state/index.ts";

/** A small deterministic generator (mulberry32), so a failure replays. */
function rng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  // Few distinct bytes and short keys: many shared prefixes, equal keys and edge bytes.
  const bytes = () => Uint8Array.from({ length: 1 + int(4) }, () => [0x00, 0x01, 0x7f, 0x80, 0xff][int(5)]!);
  return { next, int, bytes };
}

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");
const MODULES = [new Uint8Array(20).fill(1), new Uint8Array(20).fill(2)];

/** What a scan must return: the model's keys, sorted, in the prefix and range, up to the limit. */
function expected(model: Map<string, Uint8Array>, prefix: Uint8Array, r: KeyRange): string[] {
  const p = hex(prefix);
  return [...model.keys()]
    .sort()
    .filter((k) => k.startsWith(p) && (!r.from || k >= hex(r.from)) && (!r.to || k < hex(r.to)))
    .slice(0, r.limit ?? Number.POSITIVE_INFINITY);
}

function randomScan(g: ReturnType<typeof rng>): { prefix: Uint8Array; range: KeyRange } {
  const prefix = g.int(4) === 0 ? new Uint8Array(0) : g.bytes().subarray(0, 1 + g.int(2));
  const range: KeyRange = {};
  if (g.int(2)) range.from = g.bytes();
  if (g.int(2)) range.to = g.bytes();
  if (g.int(3) === 0) range.limit = g.int(6);
  return { prefix, range };
}

function checkScans(
  g: ReturnType<typeof rng>,
  state: StateReader,
  models: Map<string, Uint8Array>[],
  n = 40,
) {
  for (let i = 0; i < n; i++) {
    const m = g.int(MODULES.length);
    const { prefix, range } = randomScan(g);
    assert.deepEqual(
      storageKeys(state, MODULES[m]!, prefix, range).map(hex),
      expected(models[m]!, prefix, range),
      `module ${m}, prefix ${hex(prefix)}, range ${JSON.stringify({ from: range.from && hex(range.from), to: range.to && hex(range.to), limit: range.limit })}`,
    );
  }
}

/** Random writes to an overlay, mirrored in the models (the overlay's view). */
function write(g: ReturnType<typeof rng>, o: StateOverlay, models: Map<string, Uint8Array>[], n: number) {
  for (let i = 0; i < n; i++) {
    const m = g.int(MODULES.length);
    const key = g.bytes();
    if (g.int(3) === 0) {
      o.setStorage(MODULES[m]!, key, null);
      models[m]!.delete(hex(key));
    } else {
      const value = Uint8Array.of(g.int(256));
      o.setStorage(MODULES[m]!, key, value);
      models[m]!.set(hex(key), value);
    }
  }
}

const applyTo = (w: WorldState, storage: StorageChange[]) =>
  w.apply({ changes: new Map(), storage, trie: w.trie, storageTries: new Map() });

describe("ordered module storage", () => {
  it("SortedKeys keeps order through inserts and deletes that split and empty its chunks", () => {
    const g = rng(1);
    const s = new SortedKeys();
    const model = new Set<string>();
    // Enough keys to split chunks many times, then deletes that empty them.
    const key = () => g.int(6000).toString(16).padStart(4, "0");
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < 6000; i++) {
        const k = key();
        if (round === 2 ? g.int(10) > 0 : g.int(4) === 0) assert.equal(s.delete(k), model.delete(k));
        else {
          assert.equal(s.add(k), !model.has(k));
          model.add(k);
        }
      }
      assert.equal(s.size, model.size);
      const sorted = [...model].sort();
      assert.deepEqual([...s.scan({ prefix: "", from: "" })], sorted);
      for (let i = 0; i < 50; i++) {
        const prefix = key().slice(0, g.int(3));
        const from = g.int(2) ? key() : "";
        const to = g.int(2) ? key() : undefined;
        assert.deepEqual(
          [...s.scan({ prefix, from, to })],
          sorted.filter((k) => k.startsWith(prefix) && k >= from && (to === undefined || k < to)),
        );
        const k = key();
        assert.equal(s.has(k), model.has(k));
      }
    }
  });

  it("overlays merge their writes into the world's order: deleted keys hidden, new keys in place, nested and merged", () => {
    for (let seed = 1; seed <= 20; seed++) {
      const g = rng(seed);
      const world = new WorldState();
      const worldModels = MODULES.map(() => new Map<string, Uint8Array>());
      // The committed state: a few blocks applied to the world.
      for (let b = 0; b < 3; b++) {
        const block = new StateOverlay(world);
        write(g, block, worldModels, 60);
        applyTo(world, [...block.storage.values()]);
      }
      checkScans(g, world, worldModels);
      // A block's overlay over it, and a transaction's scratch overlay over that.
      const blockModels = worldModels.map((m) => new Map(m));
      const block = new StateOverlay(world);
      write(g, block, blockModels, 40);
      checkScans(g, block, blockModels);
      const txModels = blockModels.map((m) => new Map(m));
      const tx = new StateOverlay(block);
      write(g, tx, txModels, 20);
      checkScans(g, tx, txModels);
      // The world and the block are untouched by the transaction until it merges.
      checkScans(g, world, worldModels, 10);
      checkScans(g, block, blockModels, 10);
      tx.mergeInto(block);
      checkScans(g, block, txModels);
      // Committed: the world's index now holds the block's writes.
      applyTo(world, [...block.storage.values()]);
      checkScans(g, world, txModels);
      checkScans(g, new StateOverlay(world), txModels);
    }
  });

  it("a world loaded from flat records (node start) scans in order", () => {
    const g = rng(7);
    const models = MODULES.map(() => new Map<string, Uint8Array>());
    const records: { module: Uint8Array; key: Uint8Array; value: Uint8Array }[] = [];
    for (let i = 0; i < 300; i++) {
      const m = g.int(MODULES.length);
      const key = g.bytes();
      if (models[m]!.has(hex(key))) continue;
      models[m]!.set(hex(key), Uint8Array.of(1));
      records.push({ module: MODULES[m]!, key, value: Uint8Array.of(1) });
    }
    // The database hands records over in key order; the index must not rely on it.
    records.reverse();
    const world = WorldState.fromRecords([], records);
    checkScans(g, world, models, 100);
  });
});
