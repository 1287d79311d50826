/**
 * The settlement under way (settlement.ts), in the rewards module's store, and the delay after which
 * a cycle settles. Apart so that the tasks module can read it without importing the rewards module:
 * while cycle c settles over blocks, no record of c changes (spec/rewards.md §Settlement in steps).
 */
import { bytes, quantity, struct, uint } from "../../src/encoding/index.ts";
import { StoreItem } from "../store.ts";

/** Cycles after which a cycle's rewards are settled (its fraud and check windows have closed). */
export const SETTLE_DELAY_CYCLES = 2;

/** The settlement under way: its cycle, where its fold stands, and the cycle's fee totals. */
export interface SettleJob {
  cycle: number;
  feeShare: number;
  phase: number;
  /** The next key to fold (a tasksByCycle key after the cycle, or a group key); empty: the first. */
  cursor: Uint8Array;
  fees: bigint;
  mintingFees: bigint;
  tasks: number;
  minting: number;
  /** The judge phase's totals: task shares paid out, served, and served above the band. */
  paidOut: bigint;
  steered: bigint;
  servedTotal: bigint;
  /** The release phase's totals so far. */
  issuancePaid: bigint;
  released: bigint;
  forfeited: bigint;
  /** The weigh phase's: where the cycle's weights come from (cycleWeights.ts), and their total. */
  source: number;
  total: bigint;
}
const jobCodec = struct<SettleJob>("rewards.SettleJob", {
  cycle: uint,
  feeShare: uint,
  phase: uint,
  cursor: bytes({ max: 64 }),
  fees: quantity,
  mintingFees: quantity,
  tasks: uint,
  minting: uint,
  paidOut: quantity,
  steered: quantity,
  servedTotal: quantity,
  issuancePaid: quantity,
  released: quantity,
  forfeited: quantity,
  source: uint,
  total: quantity,
});

export const settleJob = new StoreItem("settleJob", jobCodec);
