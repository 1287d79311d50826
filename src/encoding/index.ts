export {
  address20,
  bytes,
  type Codec,
  decode,
  encode,
  hash32,
  list,
  quantity,
  str,
  struct,
  uint,
} from "./codec.ts";
export { EMPTY_MERKLE_ROOT, merkleRoot } from "./merkle.ts";
export { rlpEncodeBytes, rlpEncodeList, rlpDecode } from "./rlp.ts";
