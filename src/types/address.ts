import { keccak_256 } from "@noble/hashes/sha3.js";
import { fromHex, toHex } from "./bytes.ts";

export type Address = Uint8Array;
export const ZERO_ADDRESS: Address = new Uint8Array(20);
export const ZERO_HASH = new Uint8Array(32);

export function parseAddress(s: string, what = "address"): Address {
  const b = fromHex(s, what);
  if (b.length !== 20) throw new Error(`${what}: expected 20 bytes, got ${b.length}`);
  return b;
}

/** EIP-55 mixed-case checksum form. */
export function toChecksumAddress(addr: Address): string {
  const hex = toHex(addr).slice(2);
  const hash = keccak_256(new TextEncoder().encode(hex));
  let out = "0x";
  for (let i = 0; i < 40; i++) {
    const nibble = (hash[i >> 1]! >> (i % 2 === 0 ? 4 : 0)) & 0xf;
    out += nibble >= 8 ? hex[i]!.toUpperCase() : hex[i];
  }
  return out;
}

/** Map key for an address: lowercase hex without prefix. */
export function addressKey(addr: Address): string {
  return Buffer.from(addr.buffer, addr.byteOffset, addr.byteLength).toString("hex");
}
