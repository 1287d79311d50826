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
export { EvidenceError, evidenceInWindow, makeEvidence, verifyEvidence } from "./evidence.ts";
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
  ProposerPriorities,
  ProposerSchedule,
  ValidatorSet,
} from "./validatorSet.ts";
export { VoteSet } from "./voteSet.ts";
