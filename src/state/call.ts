/**
 * Read-only execution for eth_estimateGas and eth_call: the same rules as block execution,
 * run against an overlay that is thrown away.
 */

import { decodeEnvelope, ModuleError, moduleAt, resolveCall } from "../../contracts/index.ts";
import { decode, encode } from "../encoding/index.ts";
import { isModuleAddress } from "../params/index.ts";
import { intrinsicGas, TxError } from "../tx/index.ts";
import type { Address } from "../types/index.ts";
import { type AccountReader, StateOverlay } from "./overlay.ts";

export interface CallRequest {
  from?: Address;
  to: Address | null;
  value: bigint;
  data: Uint8Array;
}

export class CallError extends Error {}

/** Gas a transaction with this call would use; throws TxError or CallError (module failure). */
export function estimateGas(state: AccountReader, req: CallRequest, height: number): bigint {
  if (req.to === null)
    throw new TxError("TX_CREATE_UNSUPPORTED", "contract creation is not supported on this chain");
  let gas = intrinsicGas({ data: req.data, accessList: [] });
  const sender = req.from ?? new Uint8Array(20);
  if (req.from && state.getAccount(req.from).balance < req.value) {
    throw new TxError("TX_INSUFFICIENT_FUNDS", "insufficient funds for transfer");
  }
  if (isModuleAddress(req.to)) {
    const module = moduleAt(req.to);
    if (!module) throw new CallError("no module at this reserved address");
    if (req.value !== 0n) throw new CallError("module calls carry no value; put amounts in the call");
    try {
      const call = resolveCall(module, req.data);
      gas += call.def.gas;
      const scratch = new StateOverlay(state);
      call.def.execute({ sender, height, state: scratch }, call.args);
    } catch (e) {
      if (e instanceof ModuleError) throw new CallError(e.message);
      throw e;
    }
  }
  return gas;
}

/** eth_call: run a module query. Calls to ordinary accounts return empty bytes, as in Ethereum. */
export function runQuery(state: AccountReader, req: CallRequest): Uint8Array {
  if (req.to === null || !isModuleAddress(req.to)) return new Uint8Array(0);
  const module = moduleAt(req.to);
  if (!module) throw new CallError("no module at this reserved address");
  try {
    const env = decodeEnvelope(req.data);
    const q = module.queries[env.method];
    if (!q || !Object.hasOwn(module.queries, env.method))
      throw new ModuleError(`module ${module.name} has no query "${env.method}"`);
    return encode(q.result, q.run(state, decode(q.args, env.args)));
  } catch (e) {
    throw new CallError((e as Error).message);
  }
}
