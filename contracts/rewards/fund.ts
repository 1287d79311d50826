/**
 * The training fund under governance (spec/governance.md, spec/rewards.md §Training fund): the
 * share of each cycle's revenue it receives, which governance may change only from year 5 on
 * (paper Appendix K), and grants out of it, which only a passed proposal makes.
 */
import { struct, uint } from "../../src/encoding/index.ts";
import { TRAINING_FUND_ADDRESS } from "../../src/params/index.ts";
import type { Address } from "../../src/types/index.ts";
import type { ModuleState } from "../module.ts";
import { type RawStore, type ReadStore, StoreItem } from "../store.ts";
import { blocksPerYear } from "./issuance.ts";

/** The paper's 20 %, in thousandths: in force until a proposal changes it. */
export const DEFAULT_TRAINING_SHARE_MILLI = 200;
/** Bounds a proposal may set: the fund never takes more than the nodes that do the work. */
export const MIN_TRAINING_SHARE_MILLI = 0;
export const MAX_TRAINING_SHARE_MILLI = 500;
/** Years of the schedule before the share may change (Appendix K: "only after Year 5"). */
export const TRAINING_SHARE_LOCK_YEARS = 5;

/** Absent until a proposal sets it, so chains that never change it keep their state roots. */
const trainingShare = new StoreItem(
  "trainingShare",
  struct<{ milli: number }>("rewards.TrainingShare", { milli: uint }),
);

export function trainingShareMilli(store: ReadStore): number {
  return trainingShare.get(store)?.milli ?? DEFAULT_TRAINING_SHARE_MILLI;
}

export function setTrainingShare(store: RawStore, milli: number): void {
  trainingShare.set(store, { milli });
}

/** The first height at which the training share may change: year 5 of the issuance schedule. */
export function trainingShareUnlockHeight(blocksPerDay: number): number {
  return TRAINING_SHARE_LOCK_YEARS * blocksPerYear(blocksPerDay);
}

/** The fund's part of `amount` at the share in force: ⌊amount · share / 1000⌋ (exactly amount / 5 at 20 %). */
export function trainingPart(store: ReadStore, amount: bigint): bigint {
  return (amount * BigInt(trainingShareMilli(store))) / 1000n;
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
