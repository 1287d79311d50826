/**
 * The transactions step: each transaction checked against state, charged, and executed. A method's
 * failure, whatever it throws, is its receipt's (status 0); only a broken invariant leaves this
 * step by throwing, so no transaction's content can stop block building (failures.ts).
 */
import { ModuleError } from "../../../contracts/index.ts";
import { encode, logCodec, MAX_LOGS_PER_TX } from "../../encoding/index.ts";
import { effectiveGasPrice, TxError } from "../../tx/index.ts";
import { type Log, type Receipt, toHex } from "../../types/index.ts";
import { brokenInvariant, isFatal, type MethodFault, receiptError } from "../failures.ts";
import { StateOverlay } from "../overlay.ts";
import { checkTxAgainstAccount, type TxEnv } from "../txValidity.ts";
import {
  BlockError,
  type BlockRun,
  moduleContext,
  type RecoveredTx,
  type TransitionContext,
} from "./context.ts";

export function txEnv(ctx: TransitionContext, baseFee: bigint): TxEnv {
  return { chainId: ctx.chainId, blockGasLimit: ctx.preset.blockGasLimit, baseFee, modules: ctx.modules };
}

/**
 * Execute one transaction on `state`; throws TxError if it is invalid at this point, and
 * InvariantError if the state is found broken. A method that failed with an internal error comes
 * back as `fault` for the node to log.
 */
function executeTx(
  run: BlockRun,
  state: StateOverlay,
  rt: RecoveredTx,
  baseFee: bigint,
  env: TxEnv,
): { receipt: Receipt; fault?: Omit<MethodFault, "tx"> } {
  const { tx, sender } = rt;
  const { gas, call } = checkTxAgainstAccount(tx, sender, state.getAccount(sender), env);
  const price = effectiveGasPrice(tx, baseFee);
  const from = state.getAccount(sender);
  state.setAccount(sender, { nonce: from.nonce + 1n, balance: from.balance - gas * price - tx.value });
  let status = 1;
  let error = "";
  let logs: Log[] = [];
  let fault: Omit<MethodFault, "tx"> | undefined;
  if (call) {
    const scratch = new StateOverlay(state);
    const emitted: Log[] = [];
    const address = call.module.address;
    const emit = (topics: Uint8Array[], data: Uint8Array) => {
      if (emitted.length >= MAX_LOGS_PER_TX) throw new ModuleError(`more than ${MAX_LOGS_PER_TX} logs`);
      const log = { address, topics, data };
      // A log the receipt cannot carry fails this call here, not the receipts root later.
      encode(logCodec, log);
      emitted.push(log);
    };
    try {
      call.def.execute({ ...moduleContext(run.block, scratch, call.module), sender, emit }, call.args);
      scratch.mergeInto(state);
      logs = emitted;
    } catch (e) {
      const where = `${call.module.name}.${call.method}`;
      if (isFatal(e)) throw brokenInvariant(e, `${where} in transaction ${toHex(tx.hash)}`);
      status = 0;
      error = receiptError(e, call.module.name, call.method);
      if (!(e instanceof ModuleError))
        fault = { hash: tx.hash, module: call.module.name, method: call.method, error: e };
    }
  } else if (tx.to) {
    const to = state.getAccount(tx.to);
    state.setAccount(tx.to, { ...to, balance: to.balance + tx.value });
  }
  // The base fee is burned; the tip goes to the proposer (spec/fees.md).
  const tip = gas * (price - baseFee);
  if (tip > 0n) {
    const p = state.getAccount(run.block.proposer);
    state.setAccount(run.block.proposer, { ...p, balance: p.balance + tip });
  }
  const receipt = {
    status,
    gasUsed: gas,
    cumulativeGasUsed: run.gasUsed + gas,
    effectiveGasPrice: price,
    from: sender,
    error,
    logs,
  };
  return fault ? { receipt, fault } : { receipt };
}

function record(run: BlockRun, receipt: Receipt, fault: Omit<MethodFault, "tx"> | undefined): void {
  if (fault) run.faults.push({ tx: run.receipts.length, ...fault });
  run.gasUsed = receipt.cumulativeGasUsed;
  run.receipts.push(receipt);
}

/** Import: every transaction must be valid in order, within the gas limit. */
export function processTransactions(
  run: BlockRun,
  txs: RecoveredTx[],
  baseFee: bigint,
  gasLimit: bigint,
): void {
  const env = txEnv(run.ctx, baseFee);
  for (const [i, rt] of txs.entries()) {
    try {
      const { receipt, fault } = executeTx(run, run.state, rt, baseFee, env);
      record(run, receipt, fault);
    } catch (e) {
      if (e instanceof TxError)
        throw new BlockError("BLOCK_ERROR_TX_INVALID", `transaction ${i}: ${e.message}`);
      throw e;
    }
    if (run.gasUsed > gasLimit)
      throw new BlockError("BLOCK_ERROR_GAS", "transactions exceed the block gas limit");
  }
}

/**
 * Building: take candidates in order, skipping any that are invalid at their turn or do not fit.
 * Returns the included transactions and the rejected ones with their reason.
 */
export function selectTransactions(
  run: BlockRun,
  candidates: Iterable<RecoveredTx>,
  baseFee: bigint,
): { included: RecoveredTx[]; rejected: { rt: RecoveredTx; error: TxError }[] } {
  const env = txEnv(run.ctx, baseFee);
  const { preset } = run.ctx;
  const included: RecoveredTx[] = [];
  const rejected: { rt: RecoveredTx; error: TxError }[] = [];
  for (const rt of candidates) {
    if (included.length >= preset.maxBlockTxs) break;
    if (run.gasUsed + rt.tx.gasLimit > preset.blockGasLimit) continue;
    const attempt = new StateOverlay(run.state);
    try {
      const { receipt, fault } = executeTx(run, attempt, rt, baseFee, env);
      attempt.mergeInto(run.state);
      record(run, receipt, fault);
      included.push(rt);
    } catch (e) {
      if (!(e instanceof TxError)) throw e;
      rejected.push({ rt, error: e });
    }
  }
  return { included, rejected };
}
