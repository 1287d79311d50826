/**
 * keccak256 on hash-wasm's WebAssembly build: 6–11× faster than pure-JS noble here (1.0 µs vs
 * 6.6 µs for 32 bytes), and keccak is on every hot path (transaction hashes, trie nodes, keys).
 */
import { createKeccak } from "hash-wasm";

const hasher = await createKeccak(256);

export function keccak256(...parts: Uint8Array[]): Uint8Array {
  hasher.init();
  for (const p of parts) hasher.update(p);
  return hasher.digest("binary");
}
