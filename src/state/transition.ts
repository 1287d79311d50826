/**
 * The state-transition core (spec/state.md): pure functions, no I/O, no clock.
 *
 *   applyBlock(pre, parent, block, ctx) → post
 *
 * `pre` is the parent's post-state (an account reader and the account trie). The result holds the
 * changed accounts, the new trie version, the receipts and the block hash; the caller commits
 * them. Any invalid transaction or header field makes the whole block invalid (BlockError).
 */

import { ModuleError } from "../../contracts/index.ts";
import { applyBeacon, BeaconError, type BeaconState, type BeaconTransition } from "../beacon/index.ts";
import {
  CertificateError,
  EvidenceError,
  evidenceId,
  evidenceInWindow,
  type ValidatorSet,
  verifyCertificate,
  verifyEvidence,
} from "../consensus/index.ts";
import { keccak256 } from "../crypto/index.ts";
import {
  accountCodec,
  beaconMsgsRoot,
  encode,
  evidenceRoot,
  headerHash,
  receiptsRoot,
  rlpEncodeBytes,
  rlpEncodeList,
  txRoot,
} from "../encoding/index.ts";
import { cycleOf, type Preset } from "../params/index.ts";
import type { Trie } from "../trie/index.ts";
import { EMPTY_TRIE_ROOT } from "../trie/index.ts";
import { effectiveGasPrice, type SignedTx, TxError } from "../tx/index.ts";
import {
  type Account,
  type Address,
  type BeaconMessage,
  type Block,
  type BlockHeader,
  bigintToBytes,
  CodedError,
  type CommitCertificate,
  type Evidence,
  equalBytes,
  type Receipt,
  toHex,
} from "../types/index.ts";
import { nextBaseFee } from "./fees.ts";
import { type AccountChange, type AccountReader, StateOverlay } from "./overlay.ts";
import { checkTxAgainstAccount, type TxEnv } from "./txValidity.ts";

export type BlockErrorCode =
  | "BLOCK_ERROR_PARENT_MISMATCH"
  | "BLOCK_ERROR_HEADER"
  | "BLOCK_ERROR_TX_INVALID"
  | "BLOCK_ERROR_GAS"
  | "BLOCK_ERROR_ROOT_MISMATCH"
  | "BLOCK_ERROR_LAST_COMMIT"
  | "BLOCK_ERROR_EVIDENCE"
  | "BLOCK_ERROR_BEACON";

export class BlockError extends CodedError<BlockErrorCode> {}

export interface TransitionContext {
  preset: Preset;
  chainId: bigint;
  /** The validator set active at a height (its hash is in that height's header). */
  validatorsAt(height: number): ValidatorSet;
  /** Evidence already included in an earlier block (by evidenceId), within the evidence window. */
  isEvidenceCommitted(id: string): boolean;
}

export interface RecoveredTx {
  tx: SignedTx;
  sender: Address;
}

export interface PreState {
  accounts: AccountReader;
  trie: Trie;
  beacon: BeaconState;
}

export interface PostState {
  beacon: BeaconTransition;
  changes: Map<string, AccountChange>;
  trie: Trie;
  receipts: Receipt[];
  gasUsed: bigint;
  hash: Uint8Array;
}

const KECCAK_EMPTY = keccak256(new Uint8Array(0));

/** Account as stored in the trie: Ethereum's RLP [nonce, balance, storageRoot, codeHash]. */
export function accountTrieValue(a: Account): Uint8Array {
  return rlpEncodeList([
    rlpEncodeBytes(bigintToBytes(a.nonce)),
    rlpEncodeBytes(bigintToBytes(a.balance)),
    rlpEncodeBytes(EMPTY_TRIE_ROOT),
    rlpEncodeBytes(KECCAK_EMPTY),
  ]);
}

export function updateTrie(trie: Trie, changes: Iterable<AccountChange>): Trie {
  const entries: [Uint8Array, Uint8Array][] = [];
  for (const c of changes) entries.push([c.address, accountTrieValue(c.account)]);
  return trie.setMany(entries);
}

/** Execute one transaction that passed checkTxAgainstAccount; returns its receipt. */
function executeTx(
  state: StateOverlay,
  rt: RecoveredTx,
  header: Pick<BlockHeader, "height" | "baseFee" | "proposer">,
  cumulativeGasUsed: bigint,
  env: TxEnv,
): Receipt {
  const { tx, sender } = rt;
  const { gas, call } = checkTxAgainstAccount(tx, sender, state.getAccount(sender), env);
  const price = effectiveGasPrice(tx, header.baseFee);
  const from = state.getAccount(sender);
  state.setAccount(sender, { nonce: from.nonce + 1n, balance: from.balance - gas * price - tx.value });
  let status = 1;
  let error = "";
  if (call) {
    const scratch = new StateOverlay(state);
    try {
      call.def.execute(
        {
          sender,
          height: header.height,
          state: { getAccount: (a) => scratch.getAccount(a), setAccount: (a, v) => scratch.setAccount(a, v) },
        },
        call.args,
      );
      scratch.mergeInto(state);
    } catch (e) {
      if (!(e instanceof ModuleError)) throw e;
      status = 0;
      error = e.message.slice(0, 256);
    }
  } else if (tx.to) {
    const to = state.getAccount(tx.to);
    state.setAccount(tx.to, { ...to, balance: to.balance + tx.value });
  }
  // The base fee is burned; the tip goes to the proposer (spec/fees.md).
  const tip = gas * (price - header.baseFee);
  if (tip > 0n) {
    const p = state.getAccount(header.proposer);
    state.setAccount(header.proposer, { ...p, balance: p.balance + tip });
  }
  return {
    status,
    gasUsed: gas,
    cumulativeGasUsed: cumulativeGasUsed + gas,
    effectiveGasPrice: price,
    from: sender,
    error,
  };
}

export function txEnv(ctx: TransitionContext, baseFee: bigint): TxEnv {
  return { chainId: ctx.chainId, blockGasLimit: ctx.preset.blockGasLimit, baseFee };
}

/** Header rules that depend only on the parent (spec/blocks.md §Header validity). */
export function checkHeader(parent: BlockHeader, header: BlockHeader, ctx: TransitionContext): void {
  const bad = (msg: string): never => {
    throw new BlockError("BLOCK_ERROR_HEADER", msg);
  };
  if (header.height !== parent.height + 1) {
    throw new BlockError(
      "BLOCK_ERROR_PARENT_MISMATCH",
      `height ${header.height} does not follow parent ${parent.height}`,
    );
  }
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

/** Block 1 carries no certificate (genesis needs none); every later block certifies its parent. */
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

/** Evidence must verify, be recent (within one cycle), and not be included twice. */
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
  const beacon = runBeacon(pre.beacon, header.height, block.beacon, ctx);
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
  const state = new StateOverlay(pre.accounts);
  const env = txEnv(ctx, header.baseFee);
  const receipts: Receipt[] = [];
  let gasUsed = 0n;
  for (const [i, rt] of txs.entries()) {
    try {
      const receipt = executeTx(state, rt, header, gasUsed, env);
      gasUsed = receipt.cumulativeGasUsed;
      receipts.push(receipt);
    } catch (e) {
      if (e instanceof TxError)
        throw new BlockError("BLOCK_ERROR_TX_INVALID", `transaction ${i}: ${e.message}`);
      throw e;
    }
    if (gasUsed > header.gasLimit)
      throw new BlockError("BLOCK_ERROR_GAS", "transactions exceed the block gas limit");
  }
  if (gasUsed !== header.gasUsed)
    throw new BlockError("BLOCK_ERROR_GAS", `gas used ${gasUsed}, header says ${header.gasUsed}`);
  if (!equalBytes(header.receiptsRoot, receiptsRoot(receipts))) {
    throw new BlockError("BLOCK_ERROR_ROOT_MISMATCH", "receipts root does not match");
  }
  const trie = updateTrie(pre.trie, state.changes.values());
  if (!equalBytes(header.stateRoot, trie.rootHash())) {
    throw new BlockError("BLOCK_ERROR_ROOT_MISMATCH", "state root does not match the state after the block");
  }
  return { beacon, changes: state.changes, trie, receipts, gasUsed, hash: headerHash(header) };
}

function runBeacon(
  pre: BeaconState,
  height: number,
  msgs: BeaconMessage[],
  ctx: TransitionContext,
): BeaconTransition {
  try {
    return applyBeacon(
      pre,
      height,
      msgs,
      ctx.validatorsAt(height).validators,
      beaconParams(ctx.preset),
      ctx.chainId,
    );
  } catch (e) {
    if (e instanceof BeaconError) throw new BlockError("BLOCK_ERROR_BEACON", e.message);
    throw e;
  }
}

export function beaconParams(preset: Preset) {
  return { cycleLength: preset.cycleLength, ...preset.beacon };
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
  const evidence = fields.evidence ?? [];
  const beaconMsgs: BeaconMessage[] = [];
  let beacon = runBeacon(pre.beacon, height, [], ctx);
  for (const m of fields.beacon ?? []) {
    try {
      beacon = runBeacon(pre.beacon, height, [...beaconMsgs, m], ctx);
      beaconMsgs.push(m);
    } catch (e) {
      if (!(e instanceof BlockError)) throw e;
    }
  }
  const partial = { height, baseFee, proposer: fields.proposer };
  const state = new StateOverlay(pre.accounts);
  const env = txEnv(ctx, baseFee);
  const included: RecoveredTx[] = [];
  const receipts: Receipt[] = [];
  const rejected: BuildResult["rejected"] = [];
  let gasUsed = 0n;
  for (const rt of candidates) {
    if (included.length >= ctx.preset.maxBlockTxs) break;
    if (gasUsed + rt.tx.gasLimit > ctx.preset.blockGasLimit) continue;
    const attempt = new StateOverlay(state);
    try {
      const receipt = executeTx(attempt, rt, partial, gasUsed, env);
      attempt.mergeInto(state);
      gasUsed = receipt.cumulativeGasUsed;
      receipts.push(receipt);
      included.push(rt);
    } catch (e) {
      if (!(e instanceof TxError)) throw e;
      rejected.push({ rt, error: e });
    }
  }
  const trie = updateTrie(pre.trie, state.changes.values());
  const header: BlockHeader = {
    chainId: ctx.chainId,
    height,
    parentHash: headerHash(parent),
    time: fields.time > parent.time ? fields.time : parent.time + 1n,
    proposer: fields.proposer,
    stateRoot: trie.rootHash(),
    txRoot: txRoot(included.map((t) => t.tx.hash)),
    receiptsRoot: receiptsRoot(receipts),
    evidenceRoot: evidenceRoot(evidence),
    beaconMsgsRoot: beaconMsgsRoot(beaconMsgs),
    validatorSetHash: ctx.validatorsAt(height).hash,
    lastCommit: fields.lastCommit,
    gasLimit: ctx.preset.blockGasLimit,
    gasUsed,
    baseFee,
    cycle: cycleOf(height, ctx.preset.cycleLength),
    raceRoot: new Uint8Array(32),
    beacon: beacon.state.output,
    extra: fields.extra ?? new Uint8Array(0),
  };
  const block: Block = { header, txs: included.map((t) => t.tx.raw), evidence, beacon: beaconMsgs };
  return {
    block,
    included,
    beacon,
    changes: state.changes,
    trie,
    receipts,
    gasUsed,
    hash: headerHash(header),
    rejected,
  };
}

/** Flat-storage encoding of an account (the accounts bucket). */
export function encodeAccount(a: Account): Uint8Array {
  return encode(accountCodec, a);
}
