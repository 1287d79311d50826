/**
 * Range sync: ask peers for their status every interval; while a peer is ahead, fetch blocks by
 * range from it, verify each block's commit certificate against the validator set, execute it,
 * and commit. A peer that serves a forged certificate or an invalid block is penalised and the
 * batch dropped. Serving side: status, blocks by range, blocks by hash.
 */
import type { Chain } from "../chain/index.ts";
import { decode, encode } from "../encoding/index.ts";
import type { Logger } from "../logger/index.ts";
import type { Metrics } from "../metrics/index.ts";
import { type Network, Penalty } from "../network/index.ts";
import { BlockError } from "../state/index.ts";
import { equalBytes, toHex } from "../types/index.ts";
import {
  blocksByHashCodec,
  blocksByRangeCodec,
  type CertifiedBlock,
  certifiedBlocksCodec,
  limits,
  MAX_BLOCKS_PER_REQUEST,
  protocols,
  type Status,
  statusCodec,
} from "./messages.ts";

export interface SyncOptions {
  statusIntervalMs: number;
}
export const defaultSyncOptions: SyncOptions = { statusIntervalMs: 1000 };

export class SyncService {
  private readonly peerHeights = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;
  private genesisHash!: Uint8Array;
  syncing = false;

  constructor(
    private readonly opts: SyncOptions,
    private readonly m: { chain: Chain; network: Network; log: Logger; metrics?: Metrics },
  ) {}

  async start(): Promise<void> {
    const { chain, network } = this.m;
    this.genesisHash = (await chain.headerAt(0))!.hash;
    await network.handle(protocols.status, limits.status, async (req) => {
      decode(statusCodec, req);
      return encode(statusCodec, this.status());
    });
    await network.handle(protocols.blocksByRange, limits.blocksByRange, async (req) => {
      const { start, count } = decode(blocksByRangeCodec, req);
      if (count === 0 || count > MAX_BLOCKS_PER_REQUEST)
        throw new Error(`count must be 1..${MAX_BLOCKS_PER_REQUEST}`);
      const out: CertifiedBlock[] = [];
      for (let h = Math.max(1, start); h < start + count && h <= chain.head.height; h++) {
        const item = await this.certified(h);
        if (!item) break;
        out.push(item);
      }
      return encode(certifiedBlocksCodec, out);
    });
    await network.handle(protocols.blocksByHash, limits.blocksByHash, async (req) => {
      const out: CertifiedBlock[] = [];
      for (const hash of decode(blocksByHashCodec, req)) {
        const header = await chain.headerByHash(hash);
        const item = header && (await this.certified(header.height));
        if (item) out.push(item);
      }
      return encode(certifiedBlocksCodec, out);
    });
    this.schedule();
  }

  status(): Status {
    const { chain } = this.m;
    return {
      chainId: chain.genesis.chainId,
      genesisHash: this.genesisHash,
      height: chain.head.height,
      headHash: chain.headHash,
    };
  }

  private async certified(height: number): Promise<CertifiedBlock | undefined> {
    const { chain } = this.m;
    const at = await chain.headerAt(height);
    const block = at && (await chain.blockByHash(at.hash));
    const commit = await chain.commitAt(height);
    return block && commit ? { block, commit } : undefined;
  }

  /** Highest height a connected peer reported. */
  bestPeerHeight(): number {
    let best = 0;
    const connected = new Set(this.m.network.peers());
    for (const [p, h] of this.peerHeights) if (connected.has(p) && h > best) best = h;
    return best;
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.tick()
        .catch((e) => this.m.log.warn({ err: e }, "Sync round failed"))
        .finally(() => {
          this.running = undefined;
          this.schedule();
        });
    }, this.opts.statusIntervalMs);
  }

  /** Run one status exchange and sync as far as the best peer goes; also callable on demand. */
  async tick(): Promise<void> {
    const { network, chain, log } = this.m;
    const req = encode(statusCodec, this.status());
    await Promise.all(
      network.peers().map(async (peer) => {
        try {
          const s = decode(statusCodec, await network.request(peer, protocols.status, req, limits.status));
          if (s.chainId !== chain.genesis.chainId || !equalBytes(s.genesisHash, this.genesisHash)) {
            network.penalise(peer, -1000, "different chain");
            return;
          }
          this.peerHeights.set(peer, s.height);
        } catch (e) {
          log.debug({ peer, err: (e as Error).message }, "Status request failed");
        }
      }),
    );
    const head = chain.head.height;
    const best = [...this.peerHeights].filter(([, h]) => h > head).sort((a, b) => b[1] - a[1])[0];
    if (best) {
      this.syncing = true;
      try {
        await this.syncFrom(best[0], best[1]);
      } finally {
        this.syncing = false;
      }
    }
  }

  /** Fetch ranges from `peer` up to `target`, importing one range while the next is in flight. */
  private async syncFrom(peer: string, target: number): Promise<void> {
    const { chain } = this.m;
    const range = (from: number) =>
      this.fetch(peer, from, Math.min(MAX_BLOCKS_PER_REQUEST, target - from + 1));
    let next: Promise<CertifiedBlock[] | undefined> | undefined = range(chain.head.height + 1);
    while (next && !this.stopped) {
      const items: CertifiedBlock[] | undefined = await next;
      if (!items || items.length === 0) return;
      const last: number = items[items.length - 1]!.block.header.height;
      next = last < target ? range(last + 1) : undefined;
      if (!(await this.importRange(peer, items))) return;
    }
  }

  private async fetch(peer: string, start: number, count: number): Promise<CertifiedBlock[] | undefined> {
    const { network, log } = this.m;
    try {
      const res = await network.request(
        peer,
        protocols.blocksByRange,
        encode(blocksByRangeCodec, { start, count }),
        limits.blocksByRange,
      );
      const items = decode(certifiedBlocksCodec, res, limits.blocksByRange.maxResponseBytes);
      if (items.length === 0) this.peerHeights.delete(peer);
      return items;
    } catch (e) {
      log.debug({ peer, err: (e as Error).message }, "Blocks by range failed");
      this.peerHeights.delete(peer);
      return undefined;
    }
  }

  private async importRange(peer: string, items: CertifiedBlock[]): Promise<boolean> {
    const { network, chain, log, metrics } = this.m;
    // Consensus may have committed some of these meanwhile.
    const fresh = items.filter((i) => i.block.header.height > chain.head.height);
    if (fresh.some((it, k) => it.block.header.height !== chain.head.height + 1 + k)) {
      network.penalise(peer, Penalty.badBlock, "blocks out of order");
      this.peerHeights.delete(peer);
      return false;
    }
    try {
      await chain.importBlocks(fresh);
      metrics?.syncedBlocks.inc(fresh.length);
    } catch (e) {
      if (e instanceof BlockError) {
        // Consensus committed these heights while the range was importing: nobody's fault.
        if (e.code === "BLOCK_ERROR_PARENT_MISMATCH" && chain.head.height >= fresh[0]!.block.header.height)
          return true;
        log.warn(
          { peer, height: chain.head.height + 1, code: e.code, err: e.message },
          "Peer served a bad block",
        );
        network.penalise(peer, Penalty.badBlock, e.code);
        this.peerHeights.delete(peer);
        return false;
      }
      throw e;
    }
    log.debug({ peer, to: chain.head.height, hash: toHex(chain.headHash).slice(0, 18) }, "Synced blocks");
    return true;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }
}
