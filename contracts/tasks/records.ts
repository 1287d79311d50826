/**
 * How long task records stay (spec/tasks.md §Records): removal of what nothing reads any more, in
 * bounded batches per block.
 */
import type { Address } from "../../src/types/index.ts";
import { type RawStore, u32Key } from "../store.ts";
import {
  disputes,
  fraudProvers,
  honeypots,
  lingering,
  MAX_PRUNED_PER_BLOCK,
  passedFrauds,
  publishedPayloads,
  RECORD_CYCLES,
  reports,
  TaskStatus,
  tasks,
  tasksByCycle,
  undrawn,
  upheldReports,
} from "./store.ts";

/** A task whose record still has a part to play: its check is not drawn or not decided. */
const OPEN_STATUSES: ReadonlySet<number> = new Set([
  TaskStatus.settled,
  TaskStatus.checking,
  TaskStatus.withheld,
  TaskStatus.disputed,
]);

/**
 * Remove the records nothing reads any more (spec/tasks.md §Records): those of cycle c from the
 * first block of cycle c + RECORD_CYCLES (tasks, then honeypots), at most MAX_PRUNED_PER_BLOCK a
 * block, oldest first. A record still open then (a check kept open by transactions) moves to
 * `lingering` and is looked at again once a cycle until it closes, so it never holds the others back.
 */
export function pruneRecords(s: RawStore, cycle: number): void {
  if (cycle < RECORD_CYCLES) return;
  let budget = MAX_PRUNED_PER_BLOCK;
  const past = tasksByCycle.scan(s, { to: u32Key.encode(cycle - RECORD_CYCLES + 1), limit: budget });
  for (const [c, taskId] of past) {
    tasksByCycle.delete(s, [c, taskId]);
    forgetClosed(s, taskId, cycle);
  }
  budget -= past.length;
  if (budget === 0) return;
  const baits = honeypots.scan(s, { to: u32Key.encode(cycle - RECORD_CYCLES + 1), limit: budget });
  for (const [c, taskId] of baits) {
    honeypots.delete(s, [c, taskId]);
    forgetClosed(s, taskId, cycle);
  }
  budget -= baits.length;
  if (budget === 0) return;
  for (const [c, taskId] of lingering.scan(s, { to: u32Key.encode(cycle + 1), limit: budget })) {
    lingering.delete(s, [c, taskId]);
    forgetClosed(s, taskId, cycle);
  }
}

/** Delete a closed task's record and everything kept by task id; an open one lingers a cycle. */
function forgetClosed(s: RawStore, taskId: Uint8Array, cycle: number): void {
  const t = tasks.get(s, taskId);
  if (!t) return;
  if (OPEN_STATUSES.has(t.status)) {
    lingering.set(s, [cycle + 1, taskId], 1);
    return;
  }
  tasks.delete(s, taskId);
  // Most tasks have none of these: a read costs less than writing (and proving) a deletion.
  const upheld: [number, [Address, Uint8Array]] = [t.cycle, [t.executor, taskId]];
  if (undrawn.has(s, [t.height, taskId])) undrawn.delete(s, [t.height, taskId]);
  if (reports.has(s, taskId)) reports.delete(s, taskId);
  if (upheldReports.has(s, upheld)) upheldReports.delete(s, upheld);
  if (disputes.has(s, taskId)) disputes.delete(s, taskId);
  if (publishedPayloads.has(s, taskId)) publishedPayloads.delete(s, taskId);
  if (passedFrauds.has(s, taskId)) passedFrauds.delete(s, taskId);
  const proved: [number, [Address, Uint8Array]] = [t.cycle, [t.executor, taskId]];
  if (fraudProvers.has(s, proved)) fraudProvers.delete(s, proved);
}
