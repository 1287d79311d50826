/**
 * The evidence step: each item must verify, be within the inclusion window, and not be included
 * twice; then each offender's equivocation is recorded in the validators module for the cycle of
 * the votes (spec/consensus.md §Evidence), in the block that carries the proof.
 */
import { recordOffence, validators as validatorsModule } from "../../../contracts/index.ts";
import { EvidenceError, evidenceId, evidenceInWindow, verifyEvidence } from "../../consensus/index.ts";
import { evidenceRoot, MAX_BLOCK_EVIDENCE } from "../../encoding/index.ts";
import { cycleOf } from "../../params/index.ts";
import { type Block, type BlockHeader, type Evidence, equalBytes, VoteType } from "../../types/index.ts";
import { BlockError, type BlockRun, storeIn, type TransitionContext } from "./context.ts";

/** Why `e` may not go into a block at `height` after the items in `seen`; undefined if it may. */
function evidenceFault(e: Evidence, height: number, seen: Set<string>, ctx: TransitionContext) {
  if (e.a.height >= height) return "is not for an earlier height";
  if (!evidenceInWindow(e.a.height, height, ctx.preset.cycleLength)) return "is older than one cycle";
  const id = evidenceId(e);
  if (seen.has(id) || ctx.isEvidenceCommitted(id)) return "is already included";
  seen.add(id);
  try {
    verifyEvidence(ctx.validatorsAt(e.a.height), ctx.chainId, e);
  } catch (err) {
    if (err instanceof EvidenceError) return err.message;
    throw err;
  }
  return undefined;
}

export function checkEvidence(header: BlockHeader, block: Block, ctx: TransitionContext): void {
  const seen = new Set<string>();
  for (const [i, e] of block.evidence.entries()) {
    const fault = evidenceFault(e, header.height, seen, ctx);
    if (fault !== undefined) throw new BlockError("BLOCK_ERROR_EVIDENCE", `evidence ${i}: ${fault}`);
  }
  if (!equalBytes(header.evidenceRoot, evidenceRoot(block.evidence)))
    throw new BlockError("BLOCK_ERROR_ROOT_MISMATCH", "evidence root does not match the body");
}

/**
 * Block building: keep the candidates that checkEvidence would accept, in order, up to the
 * per-block bound, so a stale or invalid pool entry never makes the proposal invalid.
 */
export function selectEvidence(height: number, candidates: Evidence[], ctx: TransitionContext): Evidence[] {
  const seen = new Set<string>();
  const kept: Evidence[] = [];
  for (const e of candidates) {
    if (kept.length >= MAX_BLOCK_EVIDENCE) break;
    if (evidenceFault(e, height, seen, ctx) === undefined) kept.push(e);
  }
  return kept;
}

/**
 * Record each offender (checked evidence only). The offence belongs to the cycle of the votes'
 * height; the offender is the validator at the votes' index in that height's set, which is the
 * set the signatures verified under.
 */
export function processEvidence(run: BlockRun, evidence: readonly Evidence[]): void {
  const store = storeIn(run.state, validatorsModule);
  for (const e of evidence) {
    const { height, round, type } = e.a;
    const offender = run.ctx.validatorsAt(height).validators[e.a.validator]!.address;
    const vote = type === VoteType.prevote ? "prevote" : "precommit";
    recordOffence(
      store,
      run.block,
      offender,
      cycleOf(height, run.ctx.preset.cycleLength),
      `equivocation: two ${vote}s at height ${height} round ${round}`,
    );
  }
}
