export {
  type Committee,
  type CommitteeMember,
  type ComplaintMessage,
  checkDealing,
  combineShares,
  complaintUpheld,
  type DealingMessage,
  DkgError,
  type DkgResult,
  finalizeDkg,
  makeDealing,
  receiveShare,
  thresholdFor,
} from "./dkg.ts";
export {
  decryptWithSharedKey,
  type EncryptedShare,
  encryptShare,
  proveSharedKey,
  sharedKey,
  verifySharedKey,
} from "./ecies.ts";
export {
  commitmentAt,
  type Dealing,
  deal,
  parseCommitments,
  shareFor,
  sumCommitments,
  verifyShare,
} from "./feldman.ts";
export {
  BeaconCryptoError,
  evalPoly,
  FR_ORDER,
  lagrangeAtZero,
  randomScalar,
  scalarFromBytes,
  scalarFromSeed,
  scalarToBytes,
} from "./field.ts";
export {
  type ActiveKey,
  applyBeacon,
  type BeaconCommittee,
  BeaconError,
  type BeaconParams,
  type BeaconState,
  type BeaconTransition,
  dkgPhase,
  initialBeaconState,
  openRound,
  type RoundRecord,
  selectCommittee,
} from "./state.ts";
export {
  combinePartials,
  partialSign,
  roundMessage,
  roundOutput,
  verifyPartial,
  verifyRound,
} from "./threshold.ts";
export { chooseK, selectedByWeight, selectionInput, VrfError, vrfProve, vrfVerify } from "./vrf.ts";
export {
  complaintMessage,
  dealingMessage,
  decodeStoredDealing,
  type OutputBody,
  outputMessage,
  readComplaint,
  readDealing,
  readOutput,
} from "./wire.ts";
