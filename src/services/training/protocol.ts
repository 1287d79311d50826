/**
 * /racecoin/training/1 (spec/training.md §Exchange between nodes): a node asks a peer for a
 * pseudo-gradient or a checkpoint by its hash; the answer is the bytes (encodeVector /
 * encodeCheckpoint), or nothing if the peer does not hold it. The asker checks the hash, so a peer
 * can withhold but not forge.
 */
import { hash32, struct, uint } from "../../encoding/index.ts";
import type { ProtocolLimits } from "../../network/index.ts";

export const TRAINING_PROTOCOL = "/racecoin/training/1";

export const WantKind = { delta: 1, checkpoint: 2 } as const;

export interface Want {
  kind: number;
  hash: Uint8Array;
}
export const wantCodec = struct<Want>("training.Want", { kind: uint, hash: hash32 });

/**
 * A checkpoint of the standard preset is ~140 KB (θ and m as int32); 4 MiB leaves room for larger
 * models without letting one answer fill memory. Ten asks a second per peer: a round needs one
 * per participant and one checkpoint.
 */
export const TRAINING_LIMITS: ProtocolLimits = {
  maxRequestBytes: 64,
  maxResponseBytes: 4 << 20,
  ratePerSec: 10,
  timeoutMs: 5_000,
};
