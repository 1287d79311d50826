/**
 * Double-sign protection (spec/consensus.md §WAL): the last (height, round, step) we
 * signed and the digest of what we signed, persisted with fsync before the signature is released.
 * A request to sign at an earlier position, or different bytes at the same position, is refused,
 * so a validator restarted at any moment never signs two conflicting messages.
 *
 * The write is synchronous, on purpose: it sits on the path from a proposal to our vote, and each
 * asynchronous file operation waits for a turn of the event loop. Under a burst of transaction
 * gossip a turn took 0.1–1.8 s on the 4-process devnet, so the five operations of one write held a
 * vote back for seconds and rounds timed out; the synchronous write costs its fsync (milliseconds).
 */
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from "node:fs";
import { sha256 } from "@noble/hashes/sha2.js";

/** 1 proposal, 2 prevote, 3 precommit: the order steps happen in within a round. */
export type SignStep = 1 | 2 | 3;

interface LastSigned {
  height: number;
  round: number;
  step: SignStep;
  digest: string;
}

export class DoubleSignError extends Error {}

export class LastSignGuard {
  private last: LastSigned | undefined;

  constructor(private readonly path: string) {
    if (existsSync(path)) this.last = JSON.parse(readFileSync(path, "utf8")) as LastSigned;
  }

  get state(): LastSigned | undefined {
    return this.last;
  }

  /** Throws DoubleSignError if signing `bytes` at this position could conflict with the past. */
  check(height: number, round: number, step: SignStep, bytes: Uint8Array): void {
    const digest = Buffer.from(sha256(bytes)).toString("hex");
    const l = this.last;
    if (l) {
      const order = height - l.height || round - l.round || step - l.step;
      if (order < 0)
        throw new DoubleSignError(
          `refusing to sign ${height}/${round}/${step}: already signed at ${l.height}/${l.round}/${l.step}`,
        );
      if (order === 0 && digest !== l.digest)
        throw new DoubleSignError(`refusing to sign different bytes at ${height}/${round}/${step}`);
      if (order === 0) return;
    }
    const next = { height, round, step, digest };
    const tmp = `${this.path}.tmp`;
    const fd = openSync(tmp, "w");
    try {
      writeSync(fd, JSON.stringify(next));
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, this.path);
    this.last = next;
  }
}
