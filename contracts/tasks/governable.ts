/**
 * The market parameters governance may change (spec/governance.md §Parameters), with the bounds
 * the genesis section accepts (rules.ts parseSection). Each takes effect from the next call or
 * hook that reads it.
 */
import type { GovernableParam } from "../module.ts";
import type { RawStore, ReadStore } from "../store.ts";
import { taskParams } from "./rules.ts";
import { params, type TaskParams } from "./store.ts";

function field(name: keyof TaskParams, min: bigint, max: bigint): GovernableParam {
  return {
    min,
    max,
    get: (s: ReadStore) => BigInt(taskParams(s)[name]),
    set: (s: RawStore, v: bigint) =>
      params.set(s, { ...taskParams(s), [name]: name === "reportFee" ? v : Number(v) }),
  };
}

export const governableTaskParams: Record<string, GovernableParam> = {
  maxReputation: field("maxReputation", 1n, 1000n),
  minCheckMilli: field("minCheckMilli", 1n, 1000n),
  reportFee: field("reportFee", 0n, 10n ** 30n - 1n),
  reportCommittee: field("reportCommittee", 1n, 64n),
  honeypotMilli: field("honeypotMilli", 0n, 1000n),
};
