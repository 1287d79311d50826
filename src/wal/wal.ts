/**
 * Consensus write-ahead log (spec/consensus.md §WAL). Every message consensus acts on
 * and every timeout that fires is appended before the state machine sees it; our own proposals
 * and votes are fsynced before they are sent. After a block is saved an end-height marker is
 * written and the log restarts from it. On restart the records after the last marker are
 * replayed into a fresh state machine, which rebuilds the exact state the node crashed in.
 *
 * Durable writes (our own messages, end-height markers) are synchronous: they sit on the path from
 * a proposal to our vote, and asynchronous file operations each wait for a turn of the event loop,
 * which a burst of transaction gossip stretched to seconds (lastSign.ts says more).
 *
 * Record framing: u32 BE payload length, u32 BE CRC-32 of the payload, payload (msgpack). A torn
 * tail (crash mid-write) fails its length or CRC check; replay stops there and truncates it.
 */
import {
  closeSync,
  existsSync,
  fsyncSync,
  openSync,
  readFileSync,
  renameSync,
  truncateSync,
  writeSync,
} from "node:fs";
import { crc32 } from "node:zlib";
import { Packr, Unpackr } from "msgpackr";

export type WalRecord =
  /** A proposal or vote (wire bytes), `own` when we signed it. */
  | { t: "msg"; height: number; kind: "proposal" | "vote"; data: Uint8Array; own: boolean }
  | { t: "timeout"; height: number; round: number; step: "propose" | "prevote" | "precommit" }
  /** Block `height` is saved; nothing before this marker is needed again. */
  | { t: "end"; height: number };

const packr = new Packr({ useRecords: false });
const unpackr = new Unpackr({ useRecords: false });
const MAX_RECORD = 8 * 1024 * 1024;

/** Where a test wants the process to die (RACECOIN_CRASH_AT=name[:n] kills on the n-th hit). */
export function crashPoint(name: string): void {
  const spec = process.env.RACECOIN_CRASH_AT;
  if (!spec) return;
  const [point, nth] = spec.split(":");
  if (point !== name) return;
  const g = globalThis as { __racecoinCrashHits?: number };
  g.__racecoinCrashHits = (g.__racecoinCrashHits ?? 0) + 1;
  if (g.__racecoinCrashHits >= Number(nth ?? 1)) process.kill(process.pid, "SIGKILL");
}

export function encodeRecord(r: WalRecord): Buffer {
  const payload = packr.pack(r);
  const out = Buffer.alloc(8 + payload.length);
  out.writeUInt32BE(payload.length, 0);
  out.writeUInt32BE(crc32(payload), 4);
  payload.copy(out, 8);
  return out;
}

/** Parse records; returns them and the byte length of the valid prefix. */
export function decodeRecords(buf: Uint8Array): { records: WalRecord[]; validBytes: number } {
  const b = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  const records: WalRecord[] = [];
  let off = 0;
  while (off + 8 <= b.length) {
    const len = b.readUInt32BE(off);
    if (len > MAX_RECORD || off + 8 + len > b.length) break;
    const payload = b.subarray(off + 8, off + 8 + len);
    if (crc32(payload) !== b.readUInt32BE(off + 4)) break;
    let rec: WalRecord;
    try {
      rec = unpackr.unpack(payload) as WalRecord;
    } catch {
      break;
    }
    records.push(rec);
    off += 8 + len;
  }
  return { records, validBytes: off };
}

export class Wal {
  private fd: number;
  /** Records appended since the last marker (or since open): a marker with none skips the rewrite. */
  private dirty = true;

  private constructor(
    private readonly path: string,
    /** The height of the last end-height marker written (-1: none). */
    private ended: number,
  ) {
    this.fd = openSync(path, "a");
  }

  /** Open (creating if needed), drop a torn tail, and return the records after the last marker. */
  static open(path: string): { wal: Wal; replay: WalRecord[]; lastEnd: number } {
    let replay: WalRecord[] = [];
    let lastEnd = -1;
    if (existsSync(path)) {
      const buf = readFileSync(path);
      const { records, validBytes } = decodeRecords(buf);
      if (validBytes < buf.length) truncateSync(path, validBytes);
      for (const r of records) {
        if (r.t === "end") {
          lastEnd = r.height;
          replay = [];
        } else replay.push(r);
      }
    }
    return { wal: new Wal(path, lastEnd), replay, lastEnd };
  }

  write(r: WalRecord): void {
    writeSync(this.fd, encodeRecord(r));
    this.dirty = true;
  }

  /** Append and fsync: for our own signed messages, before they leave the process. */
  writeDurable(r: WalRecord): void {
    this.write(r);
    fsyncSync(this.fd);
  }

  /**
   * Mark `height` saved and start the log afresh from the marker (atomic rename). A height already
   * marked is not marked again: nothing is logged between a decision and the next height. Where
   * nothing was logged since the last marker (heights imported by sync, one after another) the file
   * holds that marker alone, and a restart replays nothing from it either way: the rewrite (an
   * fsync and a rename, ~0.5 ms a height) is skipped.
   */
  endHeight(height: number): void {
    if (height <= this.ended) return;
    crashPoint("wal-before-end-height");
    if (!this.dirty) {
      this.ended = height;
      return;
    }
    const tmp = `${this.path}.tmp`;
    const fd = openSync(tmp, "w");
    try {
      writeSync(fd, encodeRecord({ t: "end", height }));
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    closeSync(this.fd);
    renameSync(tmp, this.path);
    this.fd = openSync(this.path, "a");
    this.ended = height;
    this.dirty = false;
  }

  close(): void {
    closeSync(this.fd);
  }
}
