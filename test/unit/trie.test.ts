import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createMerkleProof, createMPT, verifyMPTWithMerkleProof } from "@ethereumjs/mpt";
import { lookupWithProof, Trie, verifyProof } from "../../src/trie/index.ts";
import { toHex } from "../../src/types/index.ts";

function key(i: number): Uint8Array {
  const k = new Uint8Array(20);
  new DataView(k.buffer).setUint32(16, i * 2654435761);
  return k;
}

describe("account trie", () => {
  it("matches @ethereumjs/mpt roots and proofs (secure trie, Ethereum encoding)", async () => {
    const ref = await createMPT({ useKeyHashing: true });
    let trie = Trie.empty();
    assert.equal(toHex(trie.rootHash()), toHex(ref.root()));
    const store = new Map<string, Uint8Array>();
    for (let i = 0; i < 600; i++) {
      // Values of every size, including ones small enough to embed (< 32-byte nodes).
      const value = new Uint8Array(1 + (i % 40)).fill(i & 0xff);
      await ref.put(key(i), value);
      trie = trie.set(key(i), value);
      if (i % 50 === 0) {
        assert.equal(toHex(trie.rootHash()), toHex(ref.root()), `root after ${i + 1} inserts`);
        for (const [h, n] of trie.takeUnpersisted()) store.set(toHex(h), n);
      }
    }
    // Overwrites.
    for (let i = 0; i < 600; i += 7) {
      await ref.put(key(i), new Uint8Array([9, 9, 9]));
      trie = trie.set(key(i), new Uint8Array([9, 9, 9]));
    }
    assert.equal(toHex(trie.rootHash()), toHex(ref.root()));
    for (const [h, n] of trie.takeUnpersisted()) store.set(toHex(h), n);
    for (const i of [0, 1, 7, 333, 599, 10_000]) {
      const mine = await lookupWithProof(trie.rootHash(), key(i), async (h) => store.get(toHex(h)));
      const theirs = await createMerkleProof(ref, key(i));
      assert.deepEqual(mine.proof.map(toHex), theirs.map(toHex), `proof for key ${i}`);
      const proven = await verifyMPTWithMerkleProof(ref, ref.root(), key(i), mine.proof);
      assert.equal(proven ? toHex(proven) : null, mine.value ? toHex(mine.value) : null);
    }
  });

  it("keeps old versions intact (copy on write)", async () => {
    const t1 = Trie.empty().set(key(1), new Uint8Array([1]));
    const root1 = toHex(t1.rootHash());
    const t2 = t1.set(key(1), new Uint8Array([2])).set(key(2), new Uint8Array([3]));
    assert.equal(toHex(t1.rootHash()), root1);
    assert.notEqual(toHex(t2.rootHash()), root1);
  });

  it("rejects a tampered proof", async () => {
    let trie = Trie.empty();
    for (let i = 0; i < 50; i++) trie = trie.set(key(i), new Uint8Array(40).fill(i));
    const store = new Map(trie.takeUnpersisted().map(([h, n]) => [toHex(h), n]));
    const { proof, value } = await lookupWithProof(trie.rootHash(), key(5), async (h) => store.get(toHex(h)));
    assert.deepEqual(await verifyProof(trie.rootHash(), key(5), proof), value);
    const bad = proof.map((p) => p.slice());
    bad[bad.length - 1]![bad[bad.length - 1]!.length - 1]! ^= 1;
    await assert.rejects(verifyProof(trie.rootHash(), key(5), bad), /missing node/);
  });
});

describe("trie deletion", () => {
  it("matches @ethereumjs/mpt after random inserts and deletes, down to the empty root", async () => {
    const ref = await createMPT({ useKeyHashing: true });
    let trie = Trie.empty();
    const live = new Set<number>();
    let seed = 7;
    const rnd = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    for (let step = 0; step < 1500; step++) {
      const i = rnd(300);
      if (live.has(i) && rnd(2) === 0) {
        await ref.del(key(i));
        trie = trie.delete(key(i));
        live.delete(i);
      } else {
        const value = new Uint8Array(1 + rnd(40)).fill(step & 0xff);
        await ref.put(key(i), value);
        trie = trie.set(key(i), value);
        live.add(i);
      }
      if (step % 100 === 0) assert.equal(toHex(trie.rootHash()), toHex(ref.root()), `root at step ${step}`);
    }
    assert.equal(toHex(trie.rootHash()), toHex(ref.root()));
    // Deleting an absent key changes nothing; deleting everything gives the empty root.
    assert.equal(toHex(trie.delete(key(100_000)).rootHash()), toHex(trie.rootHash()));
    trie = trie.setMany([...live].map((i) => [key(i), null] as [Uint8Array, null]));
    assert.equal(toHex(trie.rootHash()), toHex(Trie.empty().rootHash()));
  });
});
