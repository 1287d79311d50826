import { keccak_256 } from "@noble/hashes/sha3.js";
import { fromHex, toHex } from "./bytes.ts";

export type Address = Uint8Array;
export const ZERO_ADDRESS: Address = new Uint8Array(20);
export const ZERO_HASH = new Uint8Array(32);

/**
 * An address as a person writes it: 0x and 40 hex digits. Mixed case must be the EIP-55 checksum
 * (as wallets enforce): a mistyped character in a checksummed address is refused, not sent to.
 */
export function parseAddress(s: string, what = "address"): Address {
  const b = fromHex(s, what);
  if (b.length !== 20) throw new Error(`${what}: expected 20 bytes, got ${b.length}`);
  const hex = s.slice(2);
  if (/[a-f]/.test(hex) && /[A-F]/.test(hex) && toChecksumAddress(b) !== s)
    throw new Error(
      `${what}: bad address checksum in ${s} (mixed case must be the EIP-55 checksum); check the address for a typo`,
    );
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
