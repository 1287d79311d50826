export {
  EMPTY_TRIE_ROOT,
  lookupWithProof,
  type NodeLoader,
  Trie,
  type TrieLookup,
  verifyProof,
} from "./trie.ts";
