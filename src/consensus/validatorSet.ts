/**
 * A validator set with weights, quorum arithmetic and weighted round-robin proposer
 * selection (spec/consensus.md §Proposer selection). Integer arithmetic only.
 */
import { validatorSetHash } from "../encoding/index.ts";
import { proposerEpochStart } from "../params/index.ts";
import { type Address, addressKey, compareBytes, type Validator } from "../types/index.ts";

/** Priority window factor: priorities are rescaled to stay within 2 × total weight. */
const PRIORITY_WINDOW_FACTOR = 2n;

export class ValidatorSet {
  readonly totalWeight: bigint;
  readonly hash: Uint8Array;
  private readonly byAddress: Map<string, number>;

  constructor(readonly validators: readonly Validator[]) {
    if (validators.length === 0) throw new Error("a validator set needs at least one validator");
    this.totalWeight = validators.reduce((s, v) => s + v.weight, 0n);
    this.hash = validatorSetHash([...validators]);
    this.byAddress = new Map(validators.map((v, i) => [addressKey(v.address), i]));
  }

  get size(): number {
    return this.validators.length;
  }

  indexOf(address: Address): number | undefined {
    return this.byAddress.get(addressKey(address));
  }

  /** > 2/3 of the total weight: 3w > 2T, exactly. */
  hasQuorum(weight: bigint): boolean {
    return 3n * weight > 2n * this.totalWeight;
  }

  /** > 1/3 of the total weight: at least one honest validator under the f < T/3 assumption. */
  hasOneThird(weight: bigint): boolean {
    return 3n * weight > this.totalWeight;
  }
}

/**
 * Proposer priorities. A fresh set starts at zero; each increment adds every weight to its
 * validator's priority, picks the highest (ties: lower address), and subtracts the total from it.
 */
export class ProposerPriorities {
  private constructor(
    private readonly set: ValidatorSet,
    readonly priorities: bigint[],
  ) {}

  static fresh(set: ValidatorSet): ProposerPriorities {
    return new ProposerPriorities(
      set,
      set.validators.map(() => 0n),
    );
  }

  copy(): ProposerPriorities {
    return new ProposerPriorities(this.set, [...this.priorities]);
  }

  /** One round-robin step; returns the chosen validator's index. */
  increment(): number {
    this.rescale();
    this.centre();
    const p = this.priorities;
    const vals = this.set.validators;
    let best = 0;
    for (let i = 0; i < p.length; i++) {
      p[i]! += vals[i]!.weight;
    }
    for (let i = 1; i < p.length; i++) {
      if (p[i]! > p[best]! || (p[i] === p[best] && compareBytes(vals[i]!.address, vals[best]!.address) < 0))
        best = i;
    }
    p[best]! -= this.set.totalWeight;
    return best;
  }

  /** Keep max − min within PRIORITY_WINDOW_FACTOR × total (divide by the ceiling ratio, truncating). */
  private rescale(): void {
    const p = this.priorities;
    const window = PRIORITY_WINDOW_FACTOR * this.set.totalWeight;
    let min = p[0]!;
    let max = p[0]!;
    for (const x of p) {
      if (x < min) min = x;
      if (x > max) max = x;
    }
    const diff = max - min;
    if (diff <= window) return;
    const ratio = (diff + window - 1n) / window;
    for (let i = 0; i < p.length; i++) p[i] = p[i]! / ratio; // BigInt division truncates toward zero
  }

  /** Subtract the average priority, rounded toward −∞ (Euclidean division, as Go's big.Int.Div). */
  private centre(): void {
    const p = this.priorities;
    const n = BigInt(p.length);
    const sum = p.reduce((s, x) => s + x, 0n);
    let avg = sum / n;
    if (sum < 0n && avg * n !== sum) avg -= 1n;
    for (let i = 0; i < p.length; i++) p[i]! -= avg;
  }
}

/**
 * Proposer of (height, round): the validator chosen by the n-th increment from fresh priorities,
 * n = (height − cycle start) + round + 1. `ProposerSchedule` caches the per-height state so the
 * common case costs one increment per round.
 */
export class ProposerSchedule {
  private cache: { height: number; priorities: ProposerPriorities; chosen: number } | undefined;

  constructor(
    readonly set: ValidatorSet,
    private readonly cycleLength: number,
  ) {}

  private stateAt(height: number): { priorities: ProposerPriorities; chosen: number } {
    const start = proposerEpochStart(height, this.cycleLength);
    let c = this.cache;
    if (!c || c.height > height || proposerEpochStart(c.height, this.cycleLength) !== start) {
      const priorities = ProposerPriorities.fresh(this.set);
      c = { height: start, priorities, chosen: priorities.increment() };
      this.cache = c;
    }
    while (c.height < height) {
      c.chosen = c.priorities.increment();
      c.height++;
    }
    return c;
  }

  /** Priorities after `height`'s round-0 selection (what chain_getValidators reports). */
  prioritiesAt(height: number): bigint[] {
    return [...this.stateAt(height).priorities.priorities];
  }

  /** Index of the proposer of (height, round). */
  proposer(height: number, round: number): number {
    const s = this.stateAt(height);
    if (round === 0) return s.chosen;
    const p = s.priorities.copy();
    let chosen = s.chosen;
    for (let r = 0; r < round; r++) chosen = p.increment();
    return chosen;
  }
}
