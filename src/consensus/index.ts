export {
  bitfieldLength,
  buildCertificate,
  CertificateError,
  EMPTY_CERTIFICATE,
  hasBit,
  localCertificate,
  signerWeight,
  verifyCertificate,
  verifyCertificateBatch,
} from "./certificate.ts";
export { EvidenceError, makeEvidence, verifyEvidence } from "./evidence.ts";
export {
  type ConsensusAction,
  type ConsensusEvent,
  type ConsensusTimeouts,
  type Step,
  TendermintMachine,
  type TimeoutStep,
  valueId,
} from "./machine.ts";
export {
  encodeVote,
  evidenceCodec,
  evidenceId,
  type Proposal,
  proposalCodec,
  proposalSignBytes,
  signVote,
  verifyProposalSignature,
  verifyVoteSignature,
  voteCodec,
  voteKey,
  voteSignBytes,
} from "./messages.ts";
export {
  cycleStartHeight,
  ProposerPriorities,
  ProposerSchedule,
  ValidatorSet,
} from "./validatorSet.ts";
export { VoteSet } from "./voteSet.ts";
