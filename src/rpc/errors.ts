import { TxError } from "../tx/index.ts";
import { EncodingError } from "../types/index.ts";

export const PARSE_ERROR = -32700;
export const INVALID_REQUEST = -32600;
export const METHOD_NOT_FOUND = -32601;
export const INVALID_PARAMS = -32602;
export const INTERNAL_ERROR = -32603;
/** geth's code for transaction pool and execution errors (wallets match on the message). */
export const SERVER_ERROR = -32000;

export class RpcError extends Error {
  constructor(
    readonly code: number,
    message: string,
    readonly data?: unknown,
  ) {
    super(message);
  }
}

export function invalidParam(index: number, msg: string): RpcError {
  return new RpcError(INVALID_PARAMS, `invalid argument ${index}: ${msg}`);
}

/** Map a thrown error to a JSON-RPC error; unknown errors become -32603 without internals. */
export function toRpcError(e: unknown): RpcError {
  if (e instanceof RpcError) return e;
  if (e instanceof TxError) return new RpcError(SERVER_ERROR, e.message);
  if (e instanceof EncodingError) return new RpcError(INVALID_PARAMS, e.message);
  return new RpcError(INTERNAL_ERROR, "internal error");
}
