// Transaction gossip republishes a node's own transactions until they leave the pool, and publishes
// only once a peer subscribes to the topic. The network double below keeps gossipsub's rule that
// matters here: a published message is marked seen even when no peer receives it, and a seen
// message cannot be published again (the real libp2p path is covered by the race-cycle e2e's
// newcomer, whose key registration is sent at start, before peers announce their topics).
import assert from "node:assert/strict";
import { describe, it, mock } from "node:test";
import { keccak256 } from "../../src/crypto/index.ts";
import { type Mempool, TxGossip } from "../../src/mempool/index.ts";
import type { Network } from "../../src/network/index.ts";
import { toHex } from "../../src/types/index.ts";

class SeenCacheNetwork {
  readonly seen = new Set<string>();
  readonly delivered: Uint8Array[] = [];
  subscribers = 0;
  topicPeers(): number {
    return this.subscribers;
  }
  async publish(_topic: string, data: Uint8Array): Promise<void> {
    const id = toHex(keccak256(data));
    if (this.seen.has(id)) return; // gossipsub: PublishError.Duplicate, logged and skipped
    this.seen.add(id);
    if (this.subscribers > 0) this.delivered.push(data);
  }
  subscribe(): void {}
}

describe("transaction gossip", () => {
  it("a transaction sent before any peer subscribed reaches the first one to subscribe", () => {
    mock.timers.enable({ apis: ["setInterval"] });
    try {
      const net = new SeenCacheNetwork();
      const pool = new Set<string>();
      const mempool = { get: (h: Uint8Array) => (pool.has(toHex(h)) ? {} : undefined) } as unknown as Mempool;
      const gossip = new TxGossip({ topic: "txs" }, { mempool, network: net as unknown as Network });
      gossip.start();
      const raw = new Uint8Array([0x02, 1, 2, 3]);
      pool.add(toHex(keccak256(raw)));
      gossip.broadcast(raw);
      mock.timers.tick(2_000);
      assert.equal(net.delivered.length, 0, "no subscriber yet: nothing delivered");
      assert.equal(net.seen.size, 0, "and nothing marked seen, so it can still go out");
      net.subscribers = 1;
      mock.timers.tick(2_000);
      assert.equal(net.delivered.length, 1, "delivered at the first republish after a peer subscribed");
      // Still in the pool: the republish is a duplicate, skipped, not delivered twice.
      mock.timers.tick(2_000);
      assert.equal(net.delivered.length, 1);
      // Out of the pool (included): no longer republished, and forgotten.
      pool.clear();
      net.seen.clear();
      mock.timers.tick(2_000);
      mock.timers.tick(2_000);
      assert.equal(net.delivered.length, 1);
      gossip.stop();
    } finally {
      mock.timers.reset();
    }
  });
});
