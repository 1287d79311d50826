export { DoubleSignError, LastSignGuard, type SignStep } from "./lastSign.ts";
export { crashPoint, decodeRecords, encodeRecord, Wal, type WalRecord } from "./wal.ts";
