/**
 * A cycle's voter weights (models.voterWeights' rule: the race weights settled for the previous
 * cycle less the accounts excluded for an offence, or the cycle's validator set when no race
 * settled or none of its weights is positive), read one account or one key range at a time, so a
 * settlement step costs the accounts it touches, not the whole weighted set
 * (spec/rewards.md §Settlement in steps).
 */
import { type Address, concatBytes, fromHex, toHex } from "../../src/types/index.ts";
import type { ModuleContext } from "../module.ts";
import { race, weights as raceWeightMap, settled } from "../race/index.ts";
import { addressKey20, u32Key } from "../store.ts";
import { declaredModels, tasksModule } from "../tasks/index.ts";
import { exclusions, validatorSetOf, validators as validatorsModule } from "../validators/index.ts";

/** Where a cycle's voter weights come from. */
export const WeightSource = { race: 0, set: 1 } as const;

export class CycleWeights {
  private set: Map<string, bigint> | undefined;

  constructor(
    private readonly ctx: ModuleContext,
    readonly cycle: number,
    readonly source: number,
  ) {}

  /** Whether cycle c's race weights are the candidates' (before knowing whether one is positive). */
  static raceSettled(ctx: ModuleContext, c: number): boolean {
    return c > 0 && settled.has(ctx.storeOf(race), c - 1);
  }

  private validatorSet(): Map<string, bigint> {
    this.set ??= new Map(
      (validatorSetOf(this.ctx.storeOf(validatorsModule), this.cycle) ?? []).map((v) => [
        toHex(v.address),
        v.weight,
      ]),
    );
    return this.set;
  }

  private excluded(a: Address): boolean {
    return exclusions.has(this.ctx.storeOf(validatorsModule), [this.cycle, a]);
  }

  /** An account's weight, or undefined if it is not a candidate. */
  of(a: string): bigint | undefined {
    if (this.source === WeightSource.set) return this.validatorSet().get(a);
    const address = fromHex(a);
    const w = raceWeightMap.get(this.ctx.storeOf(race), [this.cycle - 1, address]);
    return w === undefined || this.excluded(address) ? undefined : w;
  }

  /** Candidates from `from` (hex, inclusive; "" the first), in key order, at most `limit`. */
  from(from: string, limit: number): [string, bigint][] {
    if (this.source === WeightSource.set)
      return [...this.validatorSet()]
        .filter(([k]) => k >= from)
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .slice(0, limit);
    const under = u32Key.encode(this.cycle - 1);
    const store = this.ctx.storeOf(race);
    const out: [string, bigint][] = [];
    // Excluded accounts are skipped and the scan reads on (exclusions are few: one per offence).
    let cursor = from ? concatBytes(under, fromHex(from)) : undefined;
    for (;;) {
      const want = limit - out.length;
      if (want <= 0) break;
      const keys = raceWeightMap.scan(store, { under, from: cursor, limit: want });
      for (const [, a] of keys)
        if (!this.excluded(a)) out.push([toHex(a), raceWeightMap.get(store, [this.cycle - 1, a])!]);
      if (keys.length < want) break;
      cursor = concatBytes(under, addressKey20.encode(keys[keys.length - 1]![1]), new Uint8Array([0]));
    }
    return out;
  }

  /** Whether account `a` serves `model` in the cycle (an account that never declared serves every model). */
  serves(a: string, model: string): boolean {
    const declared = declaredModels(this.ctx.storeOf(tasksModule), fromHex(a), this.cycle);
    return declared === undefined || declared.includes(model);
  }
}
