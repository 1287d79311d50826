export { type BlockCommit, Bucket, ChainDb, type TxLocation } from "./chainDb.ts";
export { type BatchOp, type KV, LevelKV, MemoryKV } from "./kv.ts";
