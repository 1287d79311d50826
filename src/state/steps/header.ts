/** Header rules that depend only on the parent and the validator set (spec/blocks.md §Header validity). */
import { CertificateError, verifyCertificate } from "../../consensus/index.ts";
import { headerHash } from "../../encoding/index.ts";
import { cycleOf } from "../../params/index.ts";
import { type BlockHeader, equalBytes, toHex } from "../../types/index.ts";
import { nextBaseFee } from "../fees.ts";
import { BlockError, type TransitionContext } from "./context.ts";

export function checkHeader(parent: BlockHeader, header: BlockHeader, ctx: TransitionContext): void {
  const bad = (msg: string): never => {
    throw new BlockError("BLOCK_ERROR_HEADER", msg);
  };
  if (header.height <= parent.height)
    throw new BlockError(
      "BLOCK_ERROR_PARENT_MISMATCH",
      `block ${header.height} is not above the head (${parent.height}): it is already committed or stale`,
    );
  if (header.height !== parent.height + 1)
    throw new BlockError(
      "BLOCK_ERROR_PARENT_MISMATCH",
      `block ${header.height} does not follow the head ${parent.height}: blocks ${parent.height + 1}…${header.height - 1} are missing`,
    );
  if (!equalBytes(header.parentHash, headerHash(parent))) {
    throw new BlockError("BLOCK_ERROR_PARENT_MISMATCH", "parent hash does not match the parent block");
  }
  if (header.chainId !== ctx.chainId) bad(`chain id ${header.chainId}, want ${ctx.chainId}`);
  if (header.time <= parent.time) bad("time must be later than the parent's");
  const validators = ctx.validatorsAt(header.height);
  if (validators.indexOf(header.proposer) === undefined)
    bad(`proposer ${toHex(header.proposer)} is not in the validator set`);
  if (header.gasLimit !== ctx.preset.blockGasLimit)
    bad(`gas limit ${header.gasLimit}, want ${ctx.preset.blockGasLimit}`);
  if (header.gasUsed > header.gasLimit) bad("gas used exceeds gas limit");
  const baseFee = nextBaseFee(parent, ctx.preset);
  if (header.baseFee !== baseFee) bad(`base fee ${header.baseFee}, want ${baseFee}`);
  if (header.cycle !== cycleOf(header.height, ctx.preset.cycleLength)) bad("wrong cycle number");
  if (!equalBytes(header.validatorSetHash, validators.hash)) bad("validator set hash does not match");
  checkLastCommit(parent, header, ctx);
  if (!header.raceRoot.every((b) => b === 0)) bad("reserved field raceRoot must be zero");
}

/**
 * Block 1 carries no certificate (genesis needs none); every later block certifies its parent
 * under the parent's validator set (which differs from the block's own at a cycle boundary).
 */
function checkLastCommit(parent: BlockHeader, header: BlockHeader, ctx: TransitionContext): void {
  const cert = header.lastCommit;
  if (parent.height === 0) {
    if (cert.round !== 0 || cert.signers.length !== 0 || cert.signature.length !== 0)
      throw new BlockError("BLOCK_ERROR_LAST_COMMIT", "block 1 must carry an empty last commit");
    return;
  }
  try {
    verifyCertificate(ctx.validatorsAt(parent.height), ctx.chainId, parent.height, header.parentHash, cert);
  } catch (e) {
    if (e instanceof CertificateError)
      throw new BlockError("BLOCK_ERROR_LAST_COMMIT", `last commit: ${e.message}`);
    throw e;
  }
}
