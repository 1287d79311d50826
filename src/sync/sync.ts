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
    while (!this.stopped) {
      const head = chain.head.height;
      const candidates = [...this.peerHeights].filter(([, h]) => h > head).sort((a, b) => b[1] - a[1]);
      const best = candidates[0];
      if (!best) break;
      this.syncing = true;
      const ok = await this.fetchFrom(best[0], head + 1, Math.min(MAX_BLOCKS_PER_REQUEST, best[1] - head));
      if (!ok) break;
    }
    this.syncing = false;
  }

  private async fetchFrom(peer: string, start: number, count: number): Promise<boolean> {
    const { network, chain, log, metrics } = this.m;
    let items: CertifiedBlock[];
    try {
      const res = await network.request(
        peer,
        protocols.blocksByRange,
        encode(blocksByRangeCodec, { start, count }),
        limits.blocksByRange,
      );
      items = decode(certifiedBlocksCodec, res, limits.blocksByRange.maxResponseBytes);
    } catch (e) {
      log.debug({ peer, err: (e as Error).message }, "Blocks by range failed");
      this.peerHeights.delete(peer);
      return false;
    }
    if (items.length === 0) {
      this.peerHeights.delete(peer);
      return false;
    }
    for (const { block, commit } of items) {
      if (block.header.height !== chain.head.height + 1) {
        if (block.header.height <= chain.head.height) continue; // consensus got there first
        network.penalise(peer, Penalty.badBlock, "blocks out of order");
        return false;
      }
      try {
        await chain.importBlock(block, commit);
        metrics?.syncedBlocks.inc();
      } catch (e) {
        if (e instanceof BlockError) {
          log.warn(
            { peer, height: block.header.height, code: e.code, err: e.message },
            "Peer served a bad block",
          );
          network.penalise(peer, Penalty.badBlock, e.code);
          this.peerHeights.delete(peer);
          return false;
        }
        throw e;
      }
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
