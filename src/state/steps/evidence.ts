/** Evidence must verify, be within the inclusion window, and not be included twice. */
import { EvidenceError, evidenceId, evidenceInWindow, verifyEvidence } from "../../consensus/index.ts";
import { evidenceRoot } from "../../encoding/index.ts";
import { type Block, type BlockHeader, equalBytes } from "../../types/index.ts";
import { BlockError, type TransitionContext } from "./context.ts";

export function checkEvidence(header: BlockHeader, block: Block, ctx: TransitionContext): void {
  const seen = new Set<string>();
  for (const [i, e] of block.evidence.entries()) {
    const bad = (msg: string): never => {
      throw new BlockError("BLOCK_ERROR_EVIDENCE", `evidence ${i}: ${msg}`);
    };
    if (e.a.height >= header.height) bad("is not for an earlier height");
    if (!evidenceInWindow(e.a.height, header.height, ctx.preset.cycleLength)) bad("is older than one cycle");
    const id = evidenceId(e);
    if (seen.has(id) || ctx.isEvidenceCommitted(id)) bad("is already included");
    seen.add(id);
    try {
      verifyEvidence(ctx.validatorsAt(e.a.height), ctx.chainId, e);
    } catch (err) {
      if (err instanceof EvidenceError) bad(err.message);
      throw err;
    }
  }
  if (!equalBytes(header.evidenceRoot, evidenceRoot(block.evidence)))
    throw new BlockError("BLOCK_ERROR_ROOT_MISMATCH", "evidence root does not match the body");
}
