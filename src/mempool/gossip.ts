/**
 * Transaction gossip belongs to the mempool: a transaction from a peer goes through the same
 * admission as one from RPC; one that is malformed or wrongly signed costs the peer, one that is
 * merely not admissible here (known, nonce, funds, pool full) is ignored, not forwarded.
 */

import { keccak256 } from "../crypto/index.ts";
import { type GossipVerdict, type Network, rawGossip } from "../network/index.ts";
import { TxError } from "../tx/index.ts";
import { fromHex, toHex } from "../types/index.ts";
import type { Mempool } from "./mempool.ts";

const REJECT_TX_CODES = new Set([
  "TX_MALFORMED",
  "TX_OVERSIZED",
  "TX_TYPE_UNSUPPORTED",
  "TX_UNPROTECTED",
  "TX_BAD_SIGNATURE",
  "TX_WRONG_CHAIN",
]);

/** How often transactions submitted here are published again while they wait in the pool. */
const REPUBLISH_MS = 2_000;

export class TxGossip {
  /**
   * Transactions submitted to this node (RPC, its own services), by hash. Gossip does not re-send:
   * one published before peers had announced their topics reached no one, and every later
   * transaction of its sender would wait behind its nonce; so they are published again until
   * they leave the pool (included, replaced or invalid).
   */
  private readonly local = new Map<string, Uint8Array>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly opts: { topic: string },
    private readonly m: { mempool: Mempool; network: Network },
  ) {}

  stop(): void {
    clearInterval(this.timer);
  }

  private republish(): void {
    for (const [hash, raw] of this.local) {
      if (!this.m.mempool.get(fromHex(hash))) this.local.delete(hash);
      else this.publish(raw);
    }
  }

  /**
   * Publish only once a peer subscribes to the topic. Gossipsub marks a message seen when it is
   * published, even to no one, and refuses to publish it again while it stays seen (2 minutes):
   * a transaction sent before the peers announced their topics (a newcomer's key registration at
   * start) was lost, and every later transaction of its sender waited behind its nonce.
   */
  private publish(raw: Uint8Array): void {
    if (this.m.network.topicPeers(this.opts.topic) > 0) void this.m.network.publish(this.opts.topic, raw);
  }

  start(): void {
    this.timer = setInterval(() => this.republish(), REPUBLISH_MS);
    this.timer.unref();
    this.m.network.subscribe(
      this.opts.topic,
      rawGossip,
      (raw) => this.validate(raw),
      () => undefined,
    );
  }

  /** Send a transaction submitted to this node to peers (and again while it waits in the pool). */
  broadcast(raw: Uint8Array): void {
    if (this.local.size < 10_000) this.local.set(toHex(keccak256(raw)), raw);
    this.publish(raw);
  }

  private async validate(raw: Uint8Array): Promise<GossipVerdict> {
    try {
      await this.m.mempool.add(raw);
      return "accept";
    } catch (e) {
      if (e instanceof TxError) return REJECT_TX_CODES.has(e.code) ? "reject" : "ignore";
      throw e;
    }
  }
}
