/**
 * Validity of one transaction against state (spec/transactions.md §Validity). Shared by the
 * mempool (admission) and block execution, so both say the same thing in the same words.
 */
import {
  defaultModules,
  type ModuleError,
  type ModuleRegistry,
  methodGas,
  type ResolvedCall,
  resolveCall,
} from "../../contracts/index.ts";
import { isModuleAddress } from "../params/index.ts";
import { intrinsicGas, type SignedTx, TxError } from "../tx/index.ts";
import { type Account, type Address, toChecksumAddress } from "../types/index.ts";

export interface TxEnv {
  chainId: bigint;
  blockGasLimit: bigint;
  baseFee: bigint;
  /** The chain's modules (default: the standard registry). */
  modules?: ModuleRegistry;
}

export interface StaticCheck {
  gas: bigint;
  call: ResolvedCall | null;
}

/** Checks that need no state: chain id, target, fee fields, gas, module payload. */
export function checkTxStatic(tx: SignedTx, env: TxEnv): StaticCheck {
  if (tx.chainId !== env.chainId) {
    throw new TxError("TX_WRONG_CHAIN", `invalid chain id: have ${tx.chainId}, want ${env.chainId}`);
  }
  if (tx.to === null)
    throw new TxError("TX_CREATE_UNSUPPORTED", "contract creation is not supported on this chain");
  if (tx.gasLimit > env.blockGasLimit) throw new TxError("TX_GAS_LIMIT", "exceeds block gas limit");
  if (tx.maxPriorityFeePerGas > tx.maxFeePerGas) {
    throw new TxError("TX_TIP_ABOVE_FEE_CAP", "max priority fee per gas higher than max fee per gas");
  }
  let gas = intrinsicGas(tx);
  let call: ResolvedCall | null = null;
  if (isModuleAddress(tx.to)) {
    const module = (env.modules ?? defaultModules).at(tx.to);
    if (!module) throw new TxError("TX_MODULE_PAYLOAD", "no module at this reserved address");
    if (tx.value !== 0n)
      throw new TxError("TX_MODULE_VALUE", "module calls carry no value; put amounts in the call");
    try {
      call = resolveCall(module, tx.data);
    } catch (e) {
      throw new TxError("TX_MODULE_PAYLOAD", (e as ModuleError).message);
    }
    try {
      gas += methodGas(call);
    } catch {
      // A gas rule that cannot price these arguments: the call is refused, never executed.
      throw new TxError(
        "TX_MODULE_PAYLOAD",
        `no gas price for these arguments of ${module.name}.${call.method}`,
      );
    }
  }
  if (tx.gasLimit < gas)
    throw new TxError("TX_INTRINSIC_GAS", `intrinsic gas too low: have ${tx.gasLimit}, want ${gas}`);
  return { gas, call };
}

export function checkFeeCap(tx: SignedTx, sender: Address, baseFee: bigint): void {
  if (tx.maxFeePerGas < baseFee) {
    throw new TxError(
      "TX_FEE_CAP_TOO_LOW",
      `max fee per gas less than block base fee: address ${toChecksumAddress(sender)}, maxFeePerGas: ${tx.maxFeePerGas}, baseFee: ${baseFee}`,
    );
  }
}

/** Worst-case cost the sender must hold: gas limit × fee cap + value. */
export function maxCost(tx: SignedTx): bigint {
  return tx.gasLimit * tx.maxFeePerGas + tx.value;
}

export function insufficientFunds(sender: Address, have: bigint, want: bigint): TxError {
  return new TxError(
    "TX_INSUFFICIENT_FUNDS",
    `insufficient funds for gas * price + value: address ${toChecksumAddress(sender)} have ${have} want ${want}`,
  );
}

export function checkNonce(tx: SignedTx, expected: bigint, sender: Address): void {
  if (tx.nonce < expected) {
    throw new TxError(
      "TX_NONCE_TOO_LOW",
      `nonce too low: address ${toChecksumAddress(sender)}, tx: ${tx.nonce} state: ${expected}`,
    );
  }
  if (tx.nonce > expected) {
    throw new TxError(
      "TX_NONCE_TOO_HIGH",
      `nonce too high: address ${toChecksumAddress(sender)}, tx: ${tx.nonce} state: ${expected}`,
    );
  }
}

/** Full check against an account as execution sees it. */
export function checkTxAgainstAccount(
  tx: SignedTx,
  sender: Address,
  account: Account,
  env: TxEnv,
): StaticCheck {
  const stat = checkTxStatic(tx, env);
  checkFeeCap(tx, sender, env.baseFee);
  checkNonce(tx, account.nonce, sender);
  const cost = maxCost(tx);
  if (account.balance < cost) throw insufficientFunds(sender, account.balance, cost);
  return stat;
}
