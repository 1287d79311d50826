/**
 * Binary Merkle root over an ordered list of leaves (spec/encoding.md §Merkle):
 * leaf = keccak256(0x00 ‖ data), node = keccak256(0x01 ‖ left ‖ right), an odd node is
 * promoted unchanged, and the empty list has root keccak256(""). Domain-separated prefixes stop
 * a leaf being passed off as an inner node (RFC 6962 style).
 */
import { keccak256 } from "../crypto/index.ts";

const LEAF = new Uint8Array([0]);
const NODE = new Uint8Array([1]);
export const EMPTY_MERKLE_ROOT = keccak256(new Uint8Array(0));

export function merkleRoot(leaves: Uint8Array[]): Uint8Array {
  if (leaves.length === 0) return EMPTY_MERKLE_ROOT;
  let level: Uint8Array[] = leaves.map((l) => keccak256(LEAF, l));
  while (level.length > 1) {
    const next: Uint8Array[] = [];
    for (let i = 0; i < level.length; i += 2) {
      const right = level[i + 1];
      next.push(right ? keccak256(NODE, level[i]!, right) : level[i]!);
    }
    level = next;
  }
  return level[0]!;
}
