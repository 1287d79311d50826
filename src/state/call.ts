/**
 * Read-only execution for eth_estimateGas and eth_call: the same rules as block execution,
 * run against an overlay that is thrown away.
 */

import {
  defaultModules,
  ModuleError,
  type ModuleRegistry,
  methodGas,
  type ResolvedCall,
  resolveCall,
  runModuleQuery,
} from "../../contracts/index.ts";
import type { Preset } from "../params/index.ts";
import { isModuleAddress } from "../params/index.ts";
import { intrinsicGas, TxError } from "../tx/index.ts";
import type { Address } from "../types/index.ts";
import { isFatal, receiptError } from "./failures.ts";
import { StateOverlay, type StateReader } from "./overlay.ts";
import { blockInfo, moduleContext, queryContext } from "./steps/context.ts";

export interface CallRequest {
  from?: Address;
  to: Address | null;
  value: bigint;
  data: Uint8Array;
}

export class CallError extends Error {}

export interface CallEnv {
  chainId: bigint;
  preset: Preset;
  height: number;
  modules?: ModuleRegistry;
}

/** Gas a transaction with this call would use; throws TxError or CallError (module failure). */
export function estimateGas(state: StateReader, req: CallRequest, env: CallEnv): bigint {
  if (req.to === null)
    throw new TxError("TX_CREATE_UNSUPPORTED", "contract creation is not supported on this chain");
  let gas = intrinsicGas({ data: req.data, accessList: [] });
  const sender = req.from ?? new Uint8Array(20);
  if (req.from && state.getAccount(req.from).balance < req.value) {
    throw new TxError("TX_INSUFFICIENT_FUNDS", "insufficient funds for transfer");
  }
  if (isModuleAddress(req.to)) {
    const module = (env.modules ?? defaultModules).at(req.to);
    if (!module) throw new CallError("no module at this reserved address");
    if (req.value !== 0n) throw new CallError("module calls carry no value; put amounts in the call");
    let call: ResolvedCall;
    try {
      call = resolveCall(module, req.data);
      gas += methodGas(call);
    } catch (e) {
      if (e instanceof ModuleError) throw new CallError(e.message);
      throw e;
    }
    try {
      const scratch = new StateOverlay(state);
      const block = blockInfo({ chainId: env.chainId, preset: env.preset }, env.height, new Uint8Array(20));
      // Logs of a simulated call go nowhere.
      call.def.execute({ ...moduleContext(block, scratch, module), sender, emit: () => {} }, call.args);
    } catch (e) {
      // The words the receipt would carry; a broken invariant is the node's, not the caller's.
      if (isFatal(e)) throw e;
      throw new CallError(receiptError(e, module.name, call.method));
    }
  }
  return gas;
}

/** eth_call: run a module query. Calls to ordinary accounts return empty bytes, as in Ethereum. */
export function runQuery(state: StateReader, req: CallRequest, env: CallEnv): Uint8Array {
  if (req.to === null || !isModuleAddress(req.to)) return new Uint8Array(0);
  const module = (env.modules ?? defaultModules).at(req.to);
  if (!module) throw new CallError("no module at this reserved address");
  try {
    return runModuleQuery(module, req.data, queryContext(state, module, env.height, env.preset));
  } catch (e) {
    throw new CallError((e as Error).message);
  }
}
