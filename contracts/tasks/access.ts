/**
 * Reading a task for a method (spec/tasks.md): it must exist, and a method may change it only while
 * the rewards of its cycle are not being settled over blocks (spec/rewards.md §Settlement in steps).
 */
import { REWARDS_MODULE_ADDRESS } from "../../src/params/index.ts";
import { toHex } from "../../src/types/index.ts";
import { type CallContext, type Module, ModuleError } from "../module.ts";
import { settleJob } from "../rewards/job.ts";
import type { ReadStore } from "../store.ts";
import { type TaskRecord, tasks } from "./store.ts";

export function taskOrFail(s: ReadStore, taskId: Uint8Array): TaskRecord {
  const t = tasks.get(s, taskId);
  if (!t) throw new ModuleError(`no settled task ${toHex(taskId)}`);
  return t;
}

/**
 * Whether the rewards of the task's cycle are being settled over blocks now (spec/rewards.md
 * §Settlement in steps): its records must not change until the settlement ends, or steps would read
 * what one pass would not.
 */
export function settling(ctx: { storeOf(m: Pick<Module, "address">): ReadStore }, t: TaskRecord): boolean {
  return settleJob.get(ctx.storeOf({ address: REWARDS_MODULE_ADDRESS }))?.cycle === t.cycle;
}

/** The task a method changes: it exists and its cycle is not being settled right now. */
export function taskForChange(ctx: CallContext, taskId: Uint8Array): TaskRecord {
  const t = taskOrFail(ctx.store, taskId);
  if (settling(ctx, t))
    throw new ModuleError(
      `the rewards of cycle ${t.cycle} are being settled: retry after the settlement ends`,
    );
  return t;
}
