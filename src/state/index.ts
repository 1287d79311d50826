export { CallError, type CallRequest, estimateGas, runQuery } from "./call.ts";
export { nextBaseFee } from "./fees.ts";
export {
  type AccountChange,
  type AccountReader,
  EMPTY_ACCOUNT,
  MapAccountReader,
  StateOverlay,
} from "./overlay.ts";
export {
  accountTrieValue,
  applyBlock,
  BlockError,
  type BlockErrorCode,
  type BuildResult,
  beaconParams,
  buildBlock,
  checkHeader,
  encodeAccount,
  type PostState,
  type PreState,
  type RecoveredTx,
  type TransitionContext,
  txEnv,
  updateTrie,
} from "./transition.ts";
export {
  checkFeeCap,
  checkNonce,
  checkTxAgainstAccount,
  checkTxStatic,
  insufficientFunds,
  maxCost,
  type StaticCheck,
  type TxEnv,
} from "./txValidity.ts";
