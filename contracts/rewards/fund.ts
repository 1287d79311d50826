/**
 * The training fund under governance (spec/governance.md, spec/rewards.md §Training fund): the
 * share of each cycle's revenue it receives, which governance may change only from year 5 on
 * (paper Appendix K), and grants out of it, which only a passed proposal makes.
 */
import { uint } from "../../src/encoding/index.ts";
import { TRAINING_FUND_ADDRESS } from "../../src/params/index.ts";
import type { Address } from "../../src/types/index.ts";
import type { ModuleState } from "../module.ts";
import { type RawStore, type ReadStore, StoreMap, u32Key } from "../store.ts";
import { blocksPerYear } from "./issuance.ts";

/** The paper's 20 %, in thousandths: in force until a proposal changes it. */
export const DEFAULT_TRAINING_SHARE_MILLI = 200;
/** Bounds a proposal may set: the fund never takes more than the nodes that do the work. */
export const MIN_TRAINING_SHARE_MILLI = 0;
export const MAX_TRAINING_SHARE_MILLI = 500;
/** Years of the schedule before the share may change (Appendix K: "only after Year 5"). */
export const TRAINING_SHARE_LOCK_YEARS = 5;

/**
 * first cycle → the share of the revenue earned from that cycle on. Empty until a proposal changes
 * it (chains that never do keep their state roots). A change applies to revenue earned after it
 * passed, by cycle, so a settlement still running when it passes (cycle c settles from the end of
 * c + 2, and may take a few blocks) keeps the share its cycle was earned under.
 */
const trainingShares = new StoreMap("trainingShare", u32Key, uint);
/** History kept behind the newest change: more than any settlement still to run can reach back. */
const SHARE_HISTORY_CYCLES = 8;

/** The share of cycle `cycle`'s revenue (default: the newest, for revenue from now on). */
export function trainingShareMilli(store: ReadStore, cycle = 0xfffffffe): number {
  let milli = DEFAULT_TRAINING_SHARE_MILLI;
  for (const from of trainingShares.scan(store, { to: u32Key.encode(Math.min(cycle, 0xfffffffe) + 1) }))
    milli = trainingShares.get(store, from)!;
  return milli;
}

/** A passed proposal: the share of the revenue of `fromCycle` on; older history is dropped. */
export function setTrainingShare(store: RawStore, milli: number, fromCycle: number): void {
  // The last change at or before the boundary still applies to the cycles after it: keep it.
  const old = trainingShares.keys(store).filter((from) => from <= fromCycle - SHARE_HISTORY_CYCLES);
  for (const from of old.slice(0, -1)) trainingShares.delete(store, from);
  trainingShares.set(store, fromCycle, milli);
}

/** The first height at which the training share may change: year 5 of the issuance schedule. */
export function trainingShareUnlockHeight(blocksPerDay: number): number {
  return TRAINING_SHARE_LOCK_YEARS * blocksPerYear(blocksPerDay);
}

/** The fund's part of cycle `cycle`'s `amount`: ⌊amount · share / 1000⌋ (exactly amount / 5 at 20 %). */
export function trainingPart(store: ReadStore, amount: bigint, cycle: number): bigint {
  return (amount * BigInt(trainingShareMilli(store, cycle))) / 1000n;
}

export function trainingFundBalance(state: Pick<ModuleState, "getAccount">): bigint {
  return state.getAccount(TRAINING_FUND_ADDRESS).balance;
}

/**
 * Pay a grant out of the training fund (a passed proposal's execution): the caller checks the
 * fund holds it; the amount moves, nothing is minted or burned.
 */
export function payFromTrainingFund(state: ModuleState, to: Address, amount: bigint): void {
  const fund = state.getAccount(TRAINING_FUND_ADDRESS);
  if (fund.balance < amount)
    throw new Error(`the training fund holds ${fund.balance}, a grant asks ${amount}`);
  state.setAccount(TRAINING_FUND_ADDRESS, { ...fund, balance: fund.balance - amount });
  const a = state.getAccount(to);
  state.setAccount(to, { ...a, balance: a.balance + amount });
}
