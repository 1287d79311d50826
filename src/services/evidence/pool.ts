/**
 * Evidence waiting for a block (style: an operation pool with insert / get-for-block / prune).
 * What a block may carry is decided once, by the inclusion window the state transition checks
 * (`evidenceInWindow`): from an earlier height, at most one cycle old, not yet included.
 */
import { evidenceId, evidenceInWindow } from "../../consensus/index.ts";
import type { Metrics } from "../../metrics/index.ts";
import type { Evidence } from "../../types/index.ts";

/** What the pool needs of the chain. */
export interface EvidenceChain {
  readonly preset: { cycleLength: number };
  isEvidenceCommitted(id: string): boolean;
}

/** At most this many items per block (the block encoding's limit). */
export const MAX_BLOCK_EVIDENCE = 64;

export class EvidencePool {
  private readonly pending = new Map<string, Evidence>();

  constructor(private readonly m: { chain: EvidenceChain; metrics?: Metrics }) {}

  get size(): number {
    return this.pending.size;
  }

  /** Add verified evidence; false if it is already pending or included. */
  insert(e: Evidence): boolean {
    const id = evidenceId(e);
    if (this.pending.has(id) || this.m.chain.isEvidenceCommitted(id)) return false;
    this.pending.set(id, e);
    this.m.metrics?.evidenceSeen.inc();
    return true;
  }

  /** What a block at `height` may carry. */
  forBlock(height: number): Evidence[] {
    const { chain } = this.m;
    return [...this.pending.entries()]
      .filter(
        ([id, e]) =>
          evidenceInWindow(e.a.height, height, chain.preset.cycleLength) && !chain.isEvidenceCommitted(id),
      )
      .slice(0, MAX_BLOCK_EVIDENCE)
      .map(([, e]) => e);
  }

  /** After block `height`: drop what is included or too old for the next block. */
  prune(height: number): void {
    const { chain } = this.m;
    for (const [id, e] of this.pending)
      if (
        chain.isEvidenceCommitted(id) ||
        !evidenceInWindow(e.a.height, height + 1, chain.preset.cycleLength)
      )
        this.pending.delete(id);
  }
}
