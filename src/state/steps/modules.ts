/** Module hooks: beginBlock before the transactions, endBlock after, endCycle in a cycle's last block. */
import { isCycleEnd } from "../../params/index.ts";
import { type BlockRun, moduleContext } from "./context.ts";

export function processBeginBlock(run: BlockRun): void {
  for (const m of run.modules.modules) m.beginBlock?.(moduleContext(run.block, run.state, m));
}

export function processEndBlock(run: BlockRun): void {
  for (const m of run.modules.modules) m.endBlock?.(moduleContext(run.block, run.state, m));
  if (!isCycleEnd(run.block.height, run.ctx.preset.cycleLength)) return;
  for (const m of run.modules.modules) m.endCycle?.(moduleContext(run.block, run.state, m));
}
