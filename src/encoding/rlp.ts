/**
 * RLP for the Ethereum-compatible parts (transactions, trie nodes). Encoding of pre-encoded
 * list items is ours (the trie embeds small nodes verbatim); decoding uses @ethereumjs/rlp,
 * which rejects non-canonical lengths and trailing bytes.
 */
import { RLP } from "@ethereumjs/rlp";
import { concatBytes } from "../types/index.ts";

function lengthPrefix(len: number, offset: number): Uint8Array {
  if (len < 56) return new Uint8Array([offset + len]);
  let hex = len.toString(16);
  if (hex.length % 2) hex = `0${hex}`;
  const lenBytes = Buffer.from(hex, "hex");
  return concatBytes(new Uint8Array([offset + 55 + lenBytes.length]), lenBytes);
}

export function rlpEncodeBytes(b: Uint8Array): Uint8Array {
  if (b.length === 1 && b[0]! < 0x80) return b;
  return concatBytes(lengthPrefix(b.length, 0x80), b);
}

/** List of items that are already RLP-encoded. */
export function rlpEncodeList(items: Uint8Array[]): Uint8Array {
  const body = concatBytes(...items);
  return concatBytes(lengthPrefix(body.length, 0xc0), body);
}

export type RlpValue = Uint8Array | RlpValue[];

export function rlpDecode(data: Uint8Array): RlpValue {
  return RLP.decode(data) as RlpValue;
}
