/**
 * Persistent (copy-on-write) Merkle Patricia trie nodes, Ethereum's encoding (Yellow Paper
 * appendix D). Nodes are immutable: an update copies the path from the root, so an older root
 * stays valid until dropped, which lets a block be applied tentatively and discarded. Hashes are
 * computed lazily, once per node.
 */
import { keccak256 } from "../crypto/index.ts";
import { rlpEncodeBytes, rlpEncodeList } from "../encoding/index.ts";
import { concatBytes } from "../types/index.ts";

export type Nibbles = Uint8Array;

export class LeafNode {
  encoded?: Uint8Array;
  persisted = false;
  constructor(
    readonly path: Nibbles,
    readonly value: Uint8Array,
  ) {}
}

export class ExtensionNode {
  encoded?: Uint8Array;
  persisted = false;
  constructor(
    readonly path: Nibbles,
    readonly child: TrieNode,
  ) {}
}

export class BranchNode {
  encoded?: Uint8Array;
  persisted = false;
  constructor(readonly children: (TrieNode | null)[]) {}
}

/** A node known only by hash: stored in the database and not loaded. */
export class HashNode {
  persisted = true;
  constructor(readonly hash: Uint8Array) {}
}

export type TrieNode = LeafNode | ExtensionNode | BranchNode | HashNode;

/** Hex-prefix encoding of a nibble path (Yellow Paper appendix C). */
export function hexPrefix(path: Nibbles, leaf: boolean): Uint8Array {
  const odd = path.length % 2;
  const out = new Uint8Array(1 + (path.length >> 1));
  out[0] = ((leaf ? 2 : 0) + odd) << 4;
  let i = 0;
  if (odd) out[0] |= path[i++]!;
  for (let o = 1; i < path.length; i += 2, o++) out[o] = (path[i]! << 4) | path[i + 1]!;
  return out;
}

export function decodeHexPrefix(b: Uint8Array): { path: Nibbles; leaf: boolean } {
  const flag = b[0]! >> 4;
  const odd = flag & 1;
  const path: number[] = odd ? [b[0]! & 0xf] : [];
  for (let i = 1; i < b.length; i++) path.push(b[i]! >> 4, b[i]! & 0xf);
  return { path: new Uint8Array(path), leaf: flag >= 2 };
}

export function bytesToNibbles(b: Uint8Array): Nibbles {
  const out = new Uint8Array(b.length * 2);
  for (let i = 0; i < b.length; i++) {
    out[2 * i] = b[i]! >> 4;
    out[2 * i + 1] = b[i]! & 0xf;
  }
  return out;
}

const EMPTY = rlpEncodeBytes(new Uint8Array(0));

/** RLP of a node. Children whose RLP is shorter than 32 bytes are embedded; others by hash. */
export function encodeNode(node: Exclude<TrieNode, HashNode>): Uint8Array {
  if (node.encoded) return node.encoded;
  let enc: Uint8Array;
  if (node instanceof LeafNode) {
    enc = rlpEncodeList([rlpEncodeBytes(hexPrefix(node.path, true)), rlpEncodeBytes(node.value)]);
  } else if (node instanceof ExtensionNode) {
    enc = rlpEncodeList([rlpEncodeBytes(hexPrefix(node.path, false)), childRef(node.child)]);
  } else {
    enc = rlpEncodeList([...node.children.map((c) => (c ? childRef(c) : EMPTY)), EMPTY]);
  }
  node.encoded = enc;
  return enc;
}

function childRef(node: TrieNode): Uint8Array {
  if (node instanceof HashNode) return rlpEncodeBytes(node.hash);
  const enc = encodeNode(node);
  return enc.length < 32 ? enc : rlpEncodeBytes(nodeHash(node));
}

const hashes = new WeakMap<object, Uint8Array>();

export function nodeHash(node: TrieNode): Uint8Array {
  if (node instanceof HashNode) return node.hash;
  let h = hashes.get(node);
  if (!h) {
    h = keccak256(encodeNode(node));
    hashes.set(node, h);
  }
  return h;
}

export function concatNibbles(a: Nibbles, b: Nibbles): Nibbles {
  return concatBytes(a, b);
}
