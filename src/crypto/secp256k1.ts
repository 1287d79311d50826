/**
 * secp256k1 for Ethereum accounts: noble signs (constant-time, RFC 6979); tiny-secp256k1
 * (libsecp256k1 compiled to WebAssembly, ~4.6k recoveries/s per core here vs ~1k for noble)
 * recovers senders.
 */
import { secp256k1 } from "@noble/curves/secp256k1.js";
import * as ecc from "tiny-secp256k1";
import type { Address } from "../types/index.ts";
import { keccak256 } from "./keccak.ts";

export const SECP256K1_N = secp256k1.Point.CURVE().n;
export const SECP256K1_HALF_N = SECP256K1_N >> 1n;

export interface RecoverableSignature {
  r: bigint;
  s: bigint;
  recovery: 0 | 1;
}

export function randomPrivateKey(): Uint8Array {
  return secp256k1.utils.randomSecretKey();
}

export function isValidPrivateKey(key: Uint8Array): boolean {
  return key.length === 32 && secp256k1.utils.isValidSecretKey(key);
}

export function publicKeyToAddress(uncompressed: Uint8Array): Address {
  return keccak256(uncompressed.subarray(1)).slice(12);
}

export function privateKeyToAddress(key: Uint8Array): Address {
  return publicKeyToAddress(secp256k1.getPublicKey(key, false));
}

/** Sign a 32-byte digest (no further hashing); low-s as EIP-2 requires. */
export function signDigest(digest: Uint8Array, key: Uint8Array): RecoverableSignature {
  const sig = secp256k1.sign(digest, key, { prehash: false, format: "recovered" });
  const r = BigInt(`0x${Buffer.from(sig.subarray(1, 33)).toString("hex")}`);
  const s = BigInt(`0x${Buffer.from(sig.subarray(33, 65)).toString("hex")}`);
  return { r, s, recovery: sig[0] as 0 | 1 };
}

/** Recover the signer address, or null when the signature does not recover to a point. */
export function recoverAddress(digest: Uint8Array, rs: Uint8Array, recovery: 0 | 1): Address | null {
  try {
    const pub = ecc.recover(digest, rs, recovery, false);
    return pub ? publicKeyToAddress(pub) : null;
  } catch {
    return null;
  }
}
