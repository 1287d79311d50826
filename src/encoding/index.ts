export {
  accountCodec,
  blockCodec,
  commitCodec,
  headerCodec,
  headerHash,
  MAX_BLOCK_TXS,
  MAX_TX_BYTES,
  receiptCodec,
  receiptListCodec,
  receiptsRoot,
  txListCodec,
  txRoot,
  validatorCodec,
  validatorListCodec,
  validatorSetHash,
} from "./block.ts";
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
export { type RlpValue, rlpDecode, rlpEncodeBytes, rlpEncodeList } from "./rlp.ts";
