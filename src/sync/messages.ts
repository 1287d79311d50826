/** Request/response protocols (spec/consensus.md §Request/response) and their limits. */
import { blockCodec, commitCodec, hash32, list, quantity, struct, uint } from "../encoding/index.ts";
import type { ProtocolLimits } from "../network/index.ts";
import type { Block, CommitCertificate } from "../types/index.ts";

export const MAX_BLOCKS_PER_REQUEST = 64;

export interface Status {
  chainId: bigint;
  genesisHash: Uint8Array;
  height: number;
  headHash: Uint8Array;
}
export const statusCodec = struct<Status>("Status", {
  chainId: quantity,
  genesisHash: hash32,
  height: uint,
  headHash: hash32,
});

export interface BlocksByRange {
  start: number;
  count: number;
}
export const blocksByRangeCodec = struct<BlocksByRange>("BlocksByRange", { start: uint, count: uint });
export const blocksByHashCodec = list(hash32, MAX_BLOCKS_PER_REQUEST);

export interface CertifiedBlock {
  block: Block;
  commit: CommitCertificate;
}
export const certifiedBlockCodec = struct<CertifiedBlock>("CertifiedBlock", {
  block: blockCodec,
  commit: commitCodec,
});
export const certifiedBlocksCodec = list(certifiedBlockCodec, MAX_BLOCKS_PER_REQUEST);

export const protocols = {
  status: "/racecoin/status/1",
  blocksByRange: "/racecoin/blocks_by_range/1",
  blocksByHash: "/racecoin/blocks_by_hash/1",
} as const;

export const limits: Record<keyof typeof protocols, ProtocolLimits> = {
  status: { maxRequestBytes: 256, maxResponseBytes: 256, ratePerSec: 20, timeoutMs: 3000 },
  blocksByRange: {
    maxRequestBytes: 64,
    maxResponseBytes: 32 * 1024 * 1024,
    ratePerSec: 50,
    timeoutMs: 15_000,
  },
  blocksByHash: {
    maxRequestBytes: 4096,
    maxResponseBytes: 32 * 1024 * 1024,
    ratePerSec: 10,
    timeoutMs: 15_000,
  },
};
