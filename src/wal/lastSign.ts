/**
 * Double-sign protection (spec/consensus.md §WAL): the last (height, round, step) we
 * signed and the digest of what we signed, persisted with fsync before the signature is released.
 * A request to sign at an earlier position, or different bytes at the same position, is refused,
 * so a validator restarted at any moment never signs two conflicting messages.
 */
import { existsSync, readFileSync } from "node:fs";
import { open, rename } from "node:fs/promises";
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
  async check(height: number, round: number, step: SignStep, bytes: Uint8Array): Promise<void> {
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
    // Claim the position in memory first: a concurrent request for the same position must not
    // pass the check while this one is being written.
    this.last = next;
    const tmp = `${this.path}.tmp`;
    const fh = await open(tmp, "w");
    try {
      await fh.writeFile(JSON.stringify(next));
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, this.path);
  }
}
