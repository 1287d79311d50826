/** Votes of one (height, round, type), tallied by weight per block hash ("" is nil). */
import { toHex, type Vote } from "../types/index.ts";
import type { ValidatorSet } from "./validatorSet.ts";

export function valueId(blockHash: Uint8Array): string {
  return blockHash.length === 0 ? "" : toHex(blockHash);
}

export class VoteSet {
  private readonly byValidator = new Map<number, Vote>();
  private readonly weightByValue = new Map<string, bigint>();
  total = 0n;

  constructor(private readonly set: ValidatorSet) {}

  /** Adds a vote; returns the earlier conflicting vote when the validator equivocates. */
  add(vote: Vote): { added: boolean; conflict?: Vote } {
    const prior = this.byValidator.get(vote.validator);
    if (prior) {
      if (valueId(prior.blockHash) === valueId(vote.blockHash)) return { added: false };
      return { added: false, conflict: prior };
    }
    const weight = this.set.validators[vote.validator]!.weight;
    this.byValidator.set(vote.validator, vote);
    const id = valueId(vote.blockHash);
    this.weightByValue.set(id, (this.weightByValue.get(id) ?? 0n) + weight);
    this.total += weight;
    return { added: true };
  }

  weightFor(id: string): bigint {
    return this.weightByValue.get(id) ?? 0n;
  }

  hasQuorumFor(id: string): boolean {
    return this.set.hasQuorum(this.weightFor(id));
  }

  hasQuorumAny(): boolean {
    return this.set.hasQuorum(this.total);
  }

  votesFor(id: string): Vote[] {
    return [...this.byValidator.values()].filter((v) => valueId(v.blockHash) === id);
  }

  has(validator: number): boolean {
    return this.byValidator.has(validator);
  }

  get(validator: number): Vote | undefined {
    return this.byValidator.get(validator);
  }

  all(): Vote[] {
    return [...this.byValidator.values()];
  }
}
