/**
 * Transaction gossip belongs to the mempool: a transaction from a peer goes through the same
 * admission as one from RPC; one that is malformed or wrongly signed costs the peer, one that is
 * merely not admissible here (known, nonce, funds, pool full) is ignored, not forwarded.
 */
import { type GossipVerdict, type Network, rawGossip } from "../network/index.ts";
import { TxError } from "../tx/index.ts";
import type { Mempool } from "./mempool.ts";

const REJECT_TX_CODES = new Set([
  "TX_MALFORMED",
  "TX_OVERSIZED",
  "TX_TYPE_UNSUPPORTED",
  "TX_UNPROTECTED",
  "TX_BAD_SIGNATURE",
  "TX_WRONG_CHAIN",
]);

export class TxGossip {
  constructor(
    private readonly opts: { topic: string },
    private readonly m: { mempool: Mempool; network: Network },
  ) {}

  start(): void {
    this.m.network.subscribe(
      this.opts.topic,
      rawGossip,
      (raw) => this.validate(raw),
      () => undefined,
    );
  }

  /** Send a transaction accepted over RPC to peers. */
  broadcast(raw: Uint8Array): void {
    void this.m.network.publish(this.opts.topic, raw);
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
