export {
  type AddressRef,
  AddressRole,
  type BlockCommit,
  Bucket,
  ChainDb,
  type TxLocation,
} from "./chainDb.ts";
export { type BatchOp, type KV, LevelKV, MemoryKV, type RangeOptions } from "./kv.ts";
