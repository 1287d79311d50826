/** Codecs for chain data (field order is the wire order) and the hashing rules built on them. */
import { keccak256 } from "../crypto/index.ts";
import type {
  Account,
  BeaconMessage,
  BeaconMessageKind,
  Block,
  BlockHeader,
  CommitCertificate,
  Evidence,
  Log,
  Receipt,
  Validator,
  Vote,
  VoteType,
} from "../types/index.ts";
import { EncodingError } from "../types/index.ts";
import { address20, bytes, type Codec, encode, hash32, list, quantity, str, struct, uint } from "./codec.ts";
import { merkleRoot } from "./merkle.ts";

export const MAX_BLOCK_TXS = 65_536;
export const MAX_TX_BYTES = 128 * 1024;

export const commitCodec = struct<CommitCertificate>("CommitCertificate", {
  round: uint,
  signers: bytes({ max: 1024 }),
  signature: bytes({ max: 96 }),
});

export const headerCodec = struct<BlockHeader>("BlockHeader", {
  chainId: quantity,
  height: uint,
  parentHash: hash32,
  time: quantity,
  proposer: address20,
  stateRoot: hash32,
  txRoot: hash32,
  receiptsRoot: hash32,
  evidenceRoot: hash32,
  beaconMsgsRoot: hash32,
  validatorSetHash: hash32,
  lastCommit: commitCodec,
  gasLimit: quantity,
  gasUsed: quantity,
  baseFee: quantity,
  cycle: uint,
  raceRoot: hash32,
  beacon: hash32,
  extra: bytes({ max: 32 }),
});

export const txListCodec = list(bytes({ max: MAX_TX_BYTES }), MAX_BLOCK_TXS);

export const MAX_BLOCK_EVIDENCE = 64;

/** A uint restricted to a few values (message kinds, vote types). */
function oneOf<T extends number>(name: string, allowed: readonly T[]): Codec<T> {
  return {
    kind: name,
    toWire(v, path) {
      return uint.toWire(v, path);
    },
    fromWire(w, path) {
      const x = uint.fromWire(w, path);
      if (!allowed.includes(x as T))
        throw new EncodingError(`${path}: ${name} must be one of ${allowed.join(", ")}`);
      return x as T;
    },
  };
}

const voteType = oneOf<VoteType>("vote type", [1, 2]);

/** A 32-byte hash, or empty for nil. */
const optionalHash: Codec<Uint8Array> = {
  kind: "optionalHash",
  toWire(v, path) {
    if (!(v instanceof Uint8Array) || (v.length !== 0 && v.length !== 32))
      throw new EncodingError(`${path}: expected a 32-byte hash or empty (nil)`);
    return v;
  },
  fromWire(w, path) {
    if (!(w instanceof Uint8Array) || (w.length !== 0 && w.length !== 32))
      throw new EncodingError(`${path}: expected a 32-byte hash or empty (nil)`);
    return w;
  },
};

export const voteCodec = struct<Vote>("Vote", {
  type: voteType,
  height: uint,
  round: uint,
  blockHash: optionalHash,
  validator: uint,
  signature: bytes({ length: 96 }),
});

export const evidenceCodec = struct<Evidence>("Evidence", { a: voteCodec, b: voteCodec });
export const evidenceListCodec = list(evidenceCodec, MAX_BLOCK_EVIDENCE);

export const MAX_BLOCK_BEACON_MSGS = 256;

const beaconKind = oneOf<BeaconMessageKind>("beacon message kind", [1, 2, 3]);

export const beaconMessageCodec = struct<BeaconMessage>("BeaconMessage", {
  kind: beaconKind,
  sender: uint,
  epoch: uint,
  body: bytes({ max: 64 * 1024 }),
  signature: bytes({ max: 96 }),
});
export const beaconMessageListCodec = list(beaconMessageCodec, MAX_BLOCK_BEACON_MSGS);

export const blockCodec = struct<Block>("Block", {
  header: headerCodec,
  txs: txListCodec,
  evidence: evidenceListCodec,
  beacon: beaconMessageListCodec,
});

export function beaconMsgsRoot(msgs: BeaconMessage[]): Uint8Array {
  return merkleRoot(msgs.map((m) => encode(beaconMessageCodec, m)));
}

export const MAX_LOGS_PER_TX = 64;
export const logCodec = struct<Log>("Log", {
  address: address20,
  topics: list(bytes({ length: 32 }), 4),
  data: bytes({ max: 4096 }),
});

/** A failed call's reason in its receipt, in UTF-8 bytes. */
export const MAX_RECEIPT_ERROR_BYTES = 256;
export const receiptCodec = struct<Receipt>("Receipt", {
  status: uint,
  gasUsed: quantity,
  cumulativeGasUsed: quantity,
  effectiveGasPrice: quantity,
  from: address20,
  error: str(MAX_RECEIPT_ERROR_BYTES),
  logs: list(logCodec, MAX_LOGS_PER_TX),
});

export const receiptListCodec = list(receiptCodec, MAX_BLOCK_TXS);

export const validatorCodec = struct<Validator>("Validator", {
  address: address20,
  weight: quantity,
  blsKey: bytes({ length: 48 }),
});
export const validatorListCodec = list(validatorCodec, 10_000);

export const accountCodec = struct<Account>("Account", { nonce: quantity, balance: quantity });

export function headerHash(header: BlockHeader): Uint8Array {
  return keccak256(encode(headerCodec, header));
}

/** Root over the transactions' hashes (keccak256 of each wire form), in block order. */
export function txRoot(txHashes: Uint8Array[]): Uint8Array {
  return merkleRoot(txHashes);
}

export function receiptsRoot(receipts: Receipt[]): Uint8Array {
  return merkleRoot(receipts.map((r) => encode(receiptCodec, r)));
}

export function validatorSetHash(validators: Validator[]): Uint8Array {
  return keccak256(encode(validatorListCodec, validators));
}

export function evidenceRoot(evidence: Evidence[]): Uint8Array {
  return merkleRoot(evidence.map((e) => encode(evidenceCodec, e)));
}
