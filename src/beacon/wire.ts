/** Bodies of the beacon messages blocks carry (spec/beacon.md §On chain). */
import { sha256 } from "@noble/hashes/sha2.js";
import { blsSign, blsVerify } from "../crypto/index.ts";
import { bytes, decode, encode, hash32, list, quantity, struct, uint } from "../encoding/index.ts";
import { type BeaconMessage, BeaconMessageKind } from "../types/index.ts";
import type { ComplaintMessage, DealingMessage } from "./dkg.ts";

const dealingBodyCodec = struct<Omit<DealingMessage, "dealer">>("DealingBody", {
  commitments: list(bytes({ length: 48 }), 128),
  shares: list(
    struct("EncryptedShare", { ephemeral: bytes({ length: 48 }), ciphertext: bytes({ length: 32 }) }),
    256,
  ),
});

const complaintBodyCodec = struct<Omit<ComplaintMessage, "complainer">>("ComplaintBody", {
  dealer: uint,
  sharedKey: bytes({ length: 48 }),
  proof: bytes({ length: 64 }),
});

export interface OutputBody {
  partials: { index: number; signature: Uint8Array }[];
}
const outputBodyCodec = struct<OutputBody>("OutputBody", {
  partials: list(struct("Partial", { index: uint, signature: bytes({ length: 96 }) }), 256),
});

const dealingSignCodec = struct<{ chainId: bigint; cycle: number; dealer: number; bodyHash: Uint8Array }>(
  "DealingSignBytes",
  { chainId: quantity, cycle: uint, dealer: uint, bodyHash: hash32 },
);

function dealingSignBytes(chainId: bigint, cycle: number, dealer: number, body: Uint8Array): Uint8Array {
  return encode(dealingSignCodec, { chainId, cycle, dealer, bodyHash: sha256(body) });
}

export function dealingMessage(
  chainId: bigint,
  cycle: number,
  d: DealingMessage,
  secretKey: Uint8Array,
): BeaconMessage {
  const body = encode(dealingBodyCodec, { commitments: d.commitments, shares: d.shares });
  return {
    kind: BeaconMessageKind.dealing,
    sender: d.dealer,
    epoch: cycle,
    body,
    signature: blsSign(secretKey, "dkg", dealingSignBytes(chainId, cycle, d.dealer, body)),
  };
}

export function readDealing(chainId: bigint, m: BeaconMessage, dealerKey: Uint8Array): DealingMessage {
  if (!blsVerify(dealerKey, "dkg", dealingSignBytes(chainId, m.epoch, m.sender, m.body), m.signature))
    throw new Error("dealing signature does not verify with the dealer's key");
  return { dealer: m.sender, ...decode(dealingBodyCodec, m.body) };
}

/** A dealing already accepted on chain (its signature was checked then): decode only. */
export function decodeStoredDealing(m: BeaconMessage): DealingMessage {
  return { dealer: m.sender, ...decode(dealingBodyCodec, m.body) };
}

export function complaintMessage(cycle: number, c: ComplaintMessage): BeaconMessage {
  return {
    kind: BeaconMessageKind.complaint,
    sender: c.complainer,
    epoch: cycle,
    body: encode(complaintBodyCodec, { dealer: c.dealer, sharedKey: c.sharedKey, proof: c.proof }),
    signature: new Uint8Array(0),
  };
}

export function readComplaint(m: BeaconMessage): ComplaintMessage {
  if (m.signature.length !== 0) throw new Error("a complaint carries no signature");
  return { complainer: m.sender, ...decode(complaintBodyCodec, m.body) };
}

export function outputMessage(
  round: number,
  partials: OutputBody["partials"],
  signature: Uint8Array,
): BeaconMessage {
  return {
    kind: BeaconMessageKind.output,
    sender: 0,
    epoch: round,
    body: encode(outputBodyCodec, { partials }),
    signature,
  };
}

export function readOutput(m: BeaconMessage): OutputBody {
  if (m.sender !== 0) throw new Error("an output has sender 0");
  return decode(outputBodyCodec, m.body);
}
