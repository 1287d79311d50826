/**
 * The transaction journal (spec/mempool.md §Journal), as geth keeps one: every admitted
 * transaction is appended (length-prefixed raw bytes) so pending and queued transactions survive a
 * restart; the file is rewritten from the pool's content periodically and on shutdown, so it does
 * not grow without bound. On start each journaled transaction goes through admission again, and
 * whatever the chain has since made invalid is dropped. A torn tail (a crash mid-append) is ignored.
 */
import { closeSync, existsSync, openSync, readFileSync, renameSync, writeFileSync, writeSync } from "node:fs";

const MAX_ENTRY = 1 << 20;

export class TxJournal {
  private fd: number | undefined;

  constructor(readonly path: string) {}

  /** Raw transactions in the file, in order; stops at a torn or oversized entry. */
  load(): Uint8Array[] {
    if (!existsSync(this.path)) return [];
    const buf = readFileSync(this.path);
    const out: Uint8Array[] = [];
    let at = 0;
    while (at + 4 <= buf.length) {
      const n = buf.readUInt32BE(at);
      if (n === 0 || n > MAX_ENTRY || at + 4 + n > buf.length) break;
      out.push(new Uint8Array(buf.subarray(at + 4, at + 4 + n)));
      at += 4 + n;
    }
    return out;
  }

  append(raw: Uint8Array): void {
    this.fd ??= openSync(this.path, "a");
    const head = Buffer.alloc(4);
    head.writeUInt32BE(raw.length);
    writeSync(this.fd, Buffer.concat([head, raw]));
  }

  /** Replace the file with exactly these transactions (write to a temporary file, then rename). */
  rotate(raws: Iterable<Uint8Array>): number {
    const parts: Buffer[] = [];
    let n = 0;
    for (const raw of raws) {
      const head = Buffer.alloc(4);
      head.writeUInt32BE(raw.length);
      parts.push(head, Buffer.from(raw));
      n++;
    }
    this.close();
    const tmp = `${this.path}.tmp`;
    writeFileSync(tmp, Buffer.concat(parts));
    renameSync(tmp, this.path);
    return n;
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}
