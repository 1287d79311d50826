/** Gossip topics and the envelope every consensus message travels in (spec/consensus.md §Gossip). */
import { bytes, type Codec, decode, encode, struct, uint } from "../encoding/index.ts";
import type { GossipCodec } from "./network.ts";

export function gossipTopics(chainId: bigint) {
  const t = (name: string) => `/racecoin/${chainId}/${name}/1`;
  return {
    tx: t("tx"),
    proposal: t("proposal"),
    vote: t("vote"),
    evidence: t("evidence"),
    beacon: t("beacon"),
    beaconPartial: t("beacon_partial"),
  };
}
export type GossipTopics = ReturnType<typeof gossipTopics>;

/**
 * `seq` is unsigned and changes on every rebroadcast so gossipsub (which drops a message id it
 * has seen) carries the re-sent copy; the body's signature is what counts.
 */
export interface Envelope {
  body: Uint8Array;
  seq: number;
}
const envelopeCodec = struct<Envelope>("Envelope", { body: bytes({ max: 8 * 1024 * 1024 }), seq: uint });

export function wrap(body: Uint8Array, seq: number): Uint8Array {
  return encode(envelopeCodec, { body, seq });
}

export function unwrap(data: Uint8Array): Uint8Array {
  return decode(envelopeCodec, data).body;
}

/** A codec for a message type, optionally inside the rebroadcast envelope. */
export function gossipCodec<T>(
  codec: Codec<T>,
  opts: { enveloped?: boolean; maxBytes?: number } = {},
): GossipCodec<T> {
  return {
    decode: (data) => decode(codec, opts.enveloped ? unwrap(data) : data, opts.maxBytes),
  };
}
