/**
 * The state-transition core (spec/state.md): pure functions, no I/O, no clock.
 *
 *   applyBlock(pre, parent, block, ctx) → post      (import: every rule checked)
 *   buildBlock(pre, parent, candidates, ctx) → post (proposal: candidates selected)
 *
 * Both run the same step list (BLOCK_STEPS, spec/state.md §Steps): header → evidence (offenders
 * recorded) → beacon (DKG faults recorded) → beginBlock hooks → transactions → endBlock hooks
 * (+ endCycle in a cycle's last block) → roots.
 * `pre` is the parent's post-state. The result holds the changed accounts and storage, the new
 * tries, the receipts and the block hash; the caller commits them. Any invalid transaction or
 * header field makes the whole block invalid (BlockError).
 */

import type { BeaconTransition } from "../beacon/index.ts";
import {
  accountCodec,
  beaconMsgsRoot,
  encode,
  evidenceRoot,
  headerHash,
  receiptsRoot,
  txRoot,
} from "../encoding/index.ts";
import { cycleOf } from "../params/index.ts";
import type { TxError } from "../tx/index.ts";
import {
  type Account,
  type Address,
  type BeaconMessage,
  type Block,
  type BlockHeader,
  type CommitCertificate,
  type Evidence,
  equalBytes,
} from "../types/index.ts";
import type { MethodFault } from "./failures.ts";
import { nextBaseFee } from "./fees.ts";
import { StateOverlay } from "./overlay.ts";
import { processBeacon, selectBeaconMessages } from "./steps/beacon.ts";
import {
  BlockError,
  type BlockRun,
  blockInfo,
  type PreState,
  type RecoveredTx,
  registryOf,
  type TransitionContext,
} from "./steps/context.ts";
import { checkEvidence, processEvidence, selectEvidence } from "./steps/evidence.ts";
import { checkHeader } from "./steps/header.ts";
import { processBeginBlock, processEndBlock } from "./steps/modules.ts";
import { processTransactions, selectTransactions } from "./steps/transactions.ts";
import { computeDelta, type StateDelta } from "./world.ts";

/** The steps, in order, as spec/state.md names them. */
export const BLOCK_STEPS = [
  "header",
  "evidence",
  "beacon",
  "beginBlock",
  "transactions",
  "endBlock",
  "endCycle",
  "roots",
] as const;

export interface PostState extends StateDelta {
  beacon: BeaconTransition;
  receipts: Receipt[];
  gasUsed: bigint;
  hash: Uint8Array;
  /** Calls that failed with an internal error (status 0 in their receipts), for the node to log. */
  faults: MethodFault[];
}
type Receipt = import("../types/index.ts").Receipt;

function startRun(pre: PreState, ctx: TransitionContext, height: number, proposer: Address): BlockRun {
  return {
    ctx,
    modules: registryOf(ctx),
    pre,
    block: blockInfo(ctx, height, proposer),
    state: new StateOverlay(pre.accounts),
    receipts: [],
    gasUsed: 0n,
    faults: [],
  };
}

function finish(run: BlockRun): StateDelta {
  return computeDelta(run.pre, run.state.changes, run.state.storage.values(), (a) => run.state.getAccount(a));
}

export function applyBlock(
  pre: PreState,
  parent: BlockHeader,
  block: Block,
  txs: RecoveredTx[],
  ctx: TransitionContext,
): PostState {
  const { header } = block;
  checkHeader(parent, header, ctx);
  checkEvidence(header, block, ctx);
  const run = startRun(pre, ctx, header.height, header.proposer);
  processEvidence(run, block.evidence);
  const beacon = processBeacon(run, block.beacon);
  if (!equalBytes(header.beaconMsgsRoot, beaconMsgsRoot(block.beacon)))
    throw new BlockError("BLOCK_ERROR_ROOT_MISMATCH", "beacon messages root does not match the body");
  if (!equalBytes(header.beacon, beacon.state.output))
    throw new BlockError(
      "BLOCK_ERROR_BEACON",
      "header beacon is not the latest round output after this block",
    );
  if (txs.length !== block.txs.length || txs.length > ctx.preset.maxBlockTxs) {
    throw new BlockError("BLOCK_ERROR_HEADER", "too many transactions");
  }
  if (!equalBytes(header.txRoot, txRoot(txs.map((t) => t.tx.hash)))) {
    throw new BlockError("BLOCK_ERROR_ROOT_MISMATCH", "transactions root does not match the body");
  }
  processBeginBlock(run);
  processTransactions(run, txs, header.baseFee, header.gasLimit);
  if (run.gasUsed !== header.gasUsed)
    throw new BlockError("BLOCK_ERROR_GAS", `gas used ${run.gasUsed}, header says ${header.gasUsed}`);
  if (!equalBytes(header.receiptsRoot, receiptsRoot(run.receipts))) {
    throw new BlockError("BLOCK_ERROR_ROOT_MISMATCH", "receipts root does not match");
  }
  processEndBlock(run);
  const delta = finish(run);
  if (!equalBytes(header.stateRoot, delta.trie.rootHash())) {
    throw new BlockError("BLOCK_ERROR_ROOT_MISMATCH", "state root does not match the state after the block");
  }
  return {
    ...delta,
    beacon,
    receipts: run.receipts,
    gasUsed: run.gasUsed,
    hash: headerHash(header),
    faults: run.faults,
  };
}

export interface BuildResult extends PostState {
  block: Block;
  included: RecoveredTx[];
  /** Candidates left out, with the reason (the mempool drops them). */
  rejected: { rt: RecoveredTx; error: TxError }[];
}

/**
 * Build a block on `parent` from candidate transactions in the order given, skipping any that
 * are invalid at their turn. The result passes applyBlock by construction.
 */
export function buildBlock(
  pre: PreState,
  parent: BlockHeader,
  candidates: Iterable<RecoveredTx>,
  fields: {
    time: bigint;
    proposer: Address;
    lastCommit: CommitCertificate;
    evidence?: Evidence[];
    /** Beacon messages to include if valid, in order; invalid ones are left out. */
    beacon?: BeaconMessage[];
    extra?: Uint8Array;
  },
  ctx: TransitionContext,
): BuildResult {
  const baseFee = nextBaseFee(parent, ctx.preset);
  const height = parent.height + 1;
  const evidence = selectEvidence(height, fields.evidence ?? [], ctx);
  const run = startRun(pre, ctx, height, fields.proposer);
  processEvidence(run, evidence);
  const beaconMsgs = selectBeaconMessages(run, fields.beacon ?? []);
  const beacon = processBeacon(run, beaconMsgs);
  processBeginBlock(run);
  const { included, rejected } = selectTransactions(run, candidates, baseFee);
  const receipts = [...run.receipts];
  processEndBlock(run);
  const delta = finish(run);
  const header: BlockHeader = {
    chainId: ctx.chainId,
    height,
    parentHash: headerHash(parent),
    time: fields.time > parent.time ? fields.time : parent.time + 1n,
    proposer: fields.proposer,
    stateRoot: delta.trie.rootHash(),
    txRoot: txRoot(included.map((t) => t.tx.hash)),
    receiptsRoot: receiptsRoot(receipts),
    evidenceRoot: evidenceRoot(evidence),
    beaconMsgsRoot: beaconMsgsRoot(beaconMsgs),
    validatorSetHash: ctx.validatorsAt(height).hash,
    lastCommit: fields.lastCommit,
    gasLimit: ctx.preset.blockGasLimit,
    gasUsed: run.gasUsed,
    baseFee,
    cycle: cycleOf(height, ctx.preset.cycleLength),
    raceRoot: new Uint8Array(32),
    beacon: beacon.state.output,
    extra: fields.extra ?? new Uint8Array(0),
  };
  const block: Block = { header, txs: included.map((t) => t.tx.raw), evidence, beacon: beaconMsgs };
  return {
    ...delta,
    block,
    included,
    beacon,
    receipts,
    gasUsed: run.gasUsed,
    hash: headerHash(header),
    rejected,
    faults: run.faults,
  };
}

/** Flat-storage encoding of an account (the accounts bucket). */
export function encodeAccount(a: Account): Uint8Array {
  return encode(accountCodec, a);
}
