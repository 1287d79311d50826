export { TxError, type TxErrorCode } from "./errors.ts";
export {
  type AccessList,
  decodeTx,
  effectiveGasPrice,
  intrinsicGas,
  type SignedTx,
  signingHash,
  signTx,
  type TxFields,
} from "./transaction.ts";
