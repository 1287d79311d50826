import { CodedError } from "../types/index.ts";

export type TxErrorCode =
  | "TX_MALFORMED"
  | "TX_OVERSIZED"
  | "TX_TYPE_UNSUPPORTED"
  | "TX_UNPROTECTED"
  | "TX_BAD_SIGNATURE"
  | "TX_WRONG_CHAIN"
  | "TX_NONCE_TOO_LOW"
  | "TX_NONCE_TOO_HIGH"
  | "TX_INSUFFICIENT_FUNDS"
  | "TX_INTRINSIC_GAS"
  | "TX_GAS_LIMIT"
  | "TX_FEE_CAP_TOO_LOW"
  | "TX_TIP_ABOVE_FEE_CAP"
  | "TX_CREATE_UNSUPPORTED"
  | "TX_MODULE_PAYLOAD"
  | "TX_MODULE_VALUE"
  | "TX_UNDERPRICED_REPLACEMENT"
  | "TX_POOL_FULL"
  | "TX_EVICTED"
  | "TX_SENDER_LIMIT"
  | "TX_KNOWN";

/** A transaction failed a validity check. Messages follow geth's wording where wallets match on it. */
export class TxError extends CodedError<TxErrorCode> {}
