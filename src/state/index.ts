export { type CallEnv, CallError, type CallRequest, estimateGas, runQuery } from "./call.ts";
export { type MethodFault, receiptError } from "./failures.ts";
export { nextBaseFee } from "./fees.ts";
export {
  type AccountChange,
  type AccountReader,
  EMPTY_ACCOUNT,
  MapAccountReader,
  StateOverlay,
  type StateReader,
  type StorageChange,
  storageKeys,
} from "./overlay.ts";
export { type KeyScan, SortedKeys } from "./sortedKeys.ts";
export { beaconParams } from "./steps/beacon.ts";
export {
  BlockError,
  type BlockErrorCode,
  blockInfo,
  moduleContext,
  type PreState,
  queryContext,
  type RecoveredTx,
  readStoreIn,
  storeIn,
  type TransitionContext,
} from "./steps/context.ts";
export { checkEvidence } from "./steps/evidence.ts";
export { checkHeader } from "./steps/header.ts";
export { txEnv } from "./steps/transactions.ts";
export {
  applyBlock,
  BLOCK_STEPS,
  type BuildResult,
  buildBlock,
  encodeAccount,
  type PostState,
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
export {
  accountTrieValue,
  computeDelta,
  type StateDelta,
  storageTrieValue,
  type TrieAccount,
  updateStorageTrie,
  updateTrie,
  WorldState,
} from "./world.ts";
