/**
 * Which models an account serves (spec/tasks.md §Serving): a declaration takes effect from the next
 * cycle, so every draw of a cycle — routing checked at settlement, check draws, panels — sees one
 * fixed candidate set per model. An account that never declared serves every registered model
 * (what nodes did before declarations); a node declares what it has loaded when it starts.
 */
import { list, str, struct } from "../../src/encoding/index.ts";
import { TASKS_MODULE_ADDRESS } from "../../src/params/index.ts";
import { type Address, concatBytes, equalBytes, toHex } from "../../src/types/index.ts";
import type { Module } from "../module.ts";
import { race, weights as raceWeightMap } from "../race/index.ts";
import { addressKey20, pairKey, type RawStore, type ReadStore, StoreMap, u32Key } from "../store.ts";
import { validatorSetOf, validators as validatorsModule } from "../validators/index.ts";

/** Models one declaration names at most. */
export const MAX_DECLARED = 8;
/** Declarations older than this many cycles are removed (the newest of them is kept). */
export const DECLARATION_CYCLES = 16;

/** (account, first cycle it applies to) → the models it serves from that cycle. */
export const declarations = new StoreMap(
  "serves",
  pairKey(addressKey20, 20, u32Key),
  list(str(64), MAX_DECLARED),
);

export const serveArgs = struct<{ models: string[] }>("tasks.serve", { models: list(str(64), MAX_DECLARED) });

type StoreReader = { storeOf(m: Pick<Module, "address">): ReadStore };
const tasksStore = (ctx: StoreReader) => ctx.storeOf({ address: TASKS_MODULE_ADDRESS });

/** The models `address` serves in `cycle`, or undefined if it never declared (it serves every one). */
export function declaredModels(store: ReadStore, address: Address, cycle: number): string[] | undefined {
  const to = concatBytes(addressKey20.encode(address), u32Key.encode(cycle + 1));
  const keys = declarations.scan(store, { under: addressKey20.encode(address), to });
  const last = keys[keys.length - 1];
  return last ? declarations.get(store, last) : undefined;
}

/** Declarations one account holds at most: the 16 cycles kept, the one in force before them, the next. */
const DECLARATIONS_PER_ACCOUNT = DECLARATION_CYCLES + 2;

/**
 * The cycle's weighted candidates that serve `model` (spec/tasks.md §Serving): per candidate, its
 * last declaration in force at the cycle. The work follows the cycle's weighted set, never every
 * account that ever declared: one ordered scan of the declarations while they number at most
 * DECLARATIONS_PER_ACCOUNT a candidate (the usual case, where the declarers are the candidates:
 * sequential keys, the cheapest read); past that, one range read a candidate (≤ 18 keys under its
 * address), so declarations left by accounts without weight this cycle are not read.
 */
export function servingCandidates(
  ctx: StoreReader,
  candidates: readonly { address: Address; weight: bigint }[],
  cycle: number,
  model: string,
): { address: Address; weight: bigint }[] {
  const store = tasksStore(ctx);
  const bound = DECLARATIONS_PER_ACCOUNT * candidates.length;
  const all = declarations.scan(store, { limit: bound + 1 });
  if (all.length > bound)
    return candidates.filter((c) => {
      const declared = declaredModels(store, c.address, cycle);
      return declared === undefined || declared.includes(model);
    });
  // The last declaration in force at the cycle, per account (keys are in (account, cycle) order).
  const inForce = new Map<string, [Address, number]>();
  for (const [address, from] of all) if (from <= cycle) inForce.set(toHex(address), [address, from]);
  if (inForce.size === 0) return [...candidates];
  const serves = new Set<string>();
  for (const [k, key] of inForce) if (declarations.get(store, key)!.includes(model)) serves.add(k);
  return candidates.filter((c) => {
    const k = toHex(c.address);
    return !inForce.has(k) || serves.has(k);
  });
}

/** Record a declaration from the next cycle on; remove the sender's declarations past their use. */
export function declare(store: RawStore, sender: Address, cycle: number, models: string[]): void {
  declarations.set(store, [sender, cycle + 1], models);
  if (cycle + 1 < DECLARATION_CYCLES) return;
  const old = declarations.scan(store, {
    under: addressKey20.encode(sender),
    to: concatBytes(addressKey20.encode(sender), u32Key.encode(cycle + 1 - DECLARATION_CYCLES)),
  });
  for (const k of old.slice(0, -1)) declarations.delete(store, k);
}

/**
 * Whether `address` may declare what it serves in `cycle` (spec/tasks.md §Serving): it holds race
 * weight in the cycle or the next, by the race's weights or the validator sets. Declarations of
 * accounts that can never be drawn would only grow what every draw reads. Direct reads: a weight
 * entry each, and the two sets (≤ maxValidators each).
 */
export function mayDeclare(
  ctx: { storeOf(m: Pick<Module, "address">): ReadStore },
  address: Address,
  cycle: number,
): boolean {
  const raceStore = ctx.storeOf(race);
  for (const c of [cycle - 1, cycle])
    if (c >= 0 && (raceWeightMap.get(raceStore, [c, address]) ?? 0n) > 0n) return true;
  const vs = ctx.storeOf(validatorsModule);
  return [cycle, cycle + 1].some((c) =>
    (validatorSetOf(vs, c) ?? []).some((v) => v.weight > 0n && equalBytes(v.address, address)),
  );
}
