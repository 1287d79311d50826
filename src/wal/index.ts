export { crashPoint, decodeRecords, encodeRecord, Wal, type WalRecord } from "./wal.ts";
export { DoubleSignError, LastSignGuard, type SignStep } from "./lastSign.ts";
