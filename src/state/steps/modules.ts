/**
 * Module hooks: beginBlock before the transactions, endBlock after, endCycle in a cycle's last
 * block. A hook runs for no transaction that could fail in its place, so anything it throws is a
 * broken invariant that stops the node, named with the module and hook (failures.ts).
 */
import type { Module } from "../../../contracts/index.ts";
import { isCycleEnd } from "../../params/index.ts";
import { brokenInvariant } from "../failures.ts";
import { type BlockRun, moduleContext } from "./context.ts";

function runHook(run: BlockRun, m: Module, hook: "beginBlock" | "endBlock" | "endCycle"): void {
  const f = m[hook];
  if (!f) return;
  try {
    f.call(m, moduleContext(run.block, run.state, m));
  } catch (e) {
    throw brokenInvariant(e, `${m.name}.${hook} at height ${run.block.height}`);
  }
}

export function processBeginBlock(run: BlockRun): void {
  for (const m of run.modules.modules) runHook(run, m, "beginBlock");
}

export function processEndBlock(run: BlockRun): void {
  for (const m of run.modules.modules) runHook(run, m, "endBlock");
  if (!isCycleEnd(run.block.height, run.ctx.preset.cycleLength)) return;
  for (const m of run.modules.modules) runHook(run, m, "endCycle");
}
