import { bank } from "./bank/index.ts";
import { beacon } from "./beacon/index.ts";
import { models } from "./models/index.ts";
import { race } from "./race/index.ts";
import { ModuleRegistry } from "./registry.ts";
import { rewards } from "./rewards/index.ts";
import { tasksModule } from "./tasks/index.ts";
import { validators } from "./validators/index.ts";

export { accountQueryArgs, accountQueryResult, bank, memoArgs, transferArgs } from "./bank/index.ts";
export {
  beacon,
  beaconHead,
  type DkgRecord,
  dkgQueryArgs,
  dkgQueryResult,
  dkgs as beaconDkgs,
  latestRound,
  loadBeaconState,
  roundQueryArgs,
  roundQueryResult,
  rounds as beaconRounds,
  type StoredRound,
  writeBeaconGenesis,
  writeBeaconTransition,
} from "./beacon/index.ts";
export * from "./module.ts";
export {
  attestArgs as raceAttestArgs,
  attestations as raceAttestations,
  CLAIM_STATE_NAMES as RACE_CLAIM_STATES,
  ClaimState as RaceClaimState,
  claimFee as raceClaimFee,
  claims as raceClaims,
  commitArgs as raceCommitArgs,
  commits as raceCommits,
  forfeits as raceForfeitStore,
  forfeitsOf as raceForfeitsOf,
  frauds as raceFrauds,
  judgeArgs as raceJudgeArgs,
  judgements as raceJudgements,
  nonceFraudArgs as raceNonceFraudArgs,
  openClaims as raceOpenClaims,
  orderFraudArgs as raceOrderFraudArgs,
  type RaceClaim,
  type RaceCommit,
  type RaceFraud,
  type RaceReveal,
  race,
  raceSeeds,
  raceWeights,
  revealArgs as raceRevealArgs,
  reveals as raceReveals,
  sampleSeeds as raceSampleSeeds,
  settled as raceSettled,
  VERIFY_DOMAIN as RACE_VERIFY_DOMAIN,
  verifierChosen as raceVerifierChosen,
  verifierInput as raceVerifierInput,
  weights as raceWeightStore,
} from "./race/index.ts";
export { ModuleRegistry, resolveCall, runModuleQuery } from "./registry.ts";
export {
  addressKey20,
  bytesKey,
  type KeyCodec,
  type KeyRange,
  type MapScan,
  pairKey,
  type RawStore,
  type ReadStore,
  StoreItem,
  StoreMap,
  storageSlot,
  u32Key,
} from "./store.ts";
export {
  capBelowThird,
  cycleQueryArgs,
  excludedFrom,
  exclusions as validatorExclusions,
  MIN_RACE_SET,
  nextValidatorSet,
  nextWeights,
  type Offence,
  type OffenceView,
  offences,
  offencesOf,
  type RegisterArgs,
  type Registration,
  recordOffence,
  registerArgs,
  registrationMessage,
  registrationQueryArgs,
  registrationResult,
  registrations,
  setNextWeight,
  validatorSetOf,
  validatorSetResult,
  validatorSets,
  validators,
} from "./validators/index.ts";

/** The modules every Racecoin chain runs, in id order. */
export const defaultModules = new ModuleRegistry([
  bank,
  beacon,
  validators,
  race,
  models,
  tasksModule,
  rewards,
]);
export { Transfer } from "./bank/index.ts";
export { type EventDef, emit, event } from "./events.ts";
export {
  RaceAttested,
  RaceClaimDecided,
  RaceCommitted,
  RaceFraudClaimed,
  RaceFraudProven,
  RaceRevealed,
} from "./race/index.ts";
export { Registered } from "./validators/index.ts";

import { Transfer as bankTransfer } from "./bank/index.ts";
import {
  RaceAttested as raceAttested,
  RaceCommitted as raceCommitted,
  RaceFraudProven as raceFraud,
  RaceRevealed as raceRevealed,
} from "./race/index.ts";
import * as taskEvents from "./tasks/index.ts";
import { Registered as validatorRegistered } from "./validators/index.ts";
/** Every event the default modules emit (explorers decode logs with it; spec/events.md). */
export const moduleEvents = [
  bankTransfer,
  validatorRegistered,
  raceCommitted,
  raceRevealed,
  raceFraud,
  raceAttested,
  taskEvents.EscrowDeposited,
  taskEvents.TaskSettled,
  taskEvents.TaskVerified,
  taskEvents.TaskFraudProven,
];
export {
  BUILTIN_MODEL,
  DEFAULT_MODELS,
  DEFAULT_UNIT_PRICE,
  FLOAT_MODEL,
  modelEntry,
  modelList,
  models,
  priceVotes,
  type RegisteredModel,
  registeredModels,
  unitPriceAt,
  votePriceArgs,
  voterWeights,
  weightedMedian,
} from "./models/index.ts";
export {
  accountRewards,
  BATCH,
  batchRate,
  COIN,
  CORE_INCENTIVE,
  type CycleRewards,
  claimArgs as rewardsClaimArgs,
  cycleRewards,
  FOUNDERS_ALLOCATION,
  HP_ADDITIONAL_ALLOCATION,
  hpTranche,
  LIQUIDITY_ALLOCATION,
  proportionalMint,
  rewards,
  SETTLE_DELAY_CYCLES,
  settleCycle,
  supply as rewardsSupply,
  TOTAL_SUPPLY,
} from "./rewards/index.ts";
export {
  type ApiKey,
  amountArgs as taskAmountArgs,
  apiKeys,
  assignedTo as tasksAssignedTo,
  authorizeKeyArgs,
  candidatesOf as taskCandidates,
  chargeFault,
  checkDrawn,
  checkRateMilli,
  claimWithdrawalArgs,
  DEFAULT_TASK_PARAMS,
  disputes,
  EscrowDeposited,
  escrows,
  keyArgs as taskKeyArgs,
  MAX_RECEIPTS_PER_SETTLE,
  payloadArgs as taskPayloadArgs,
  publishedPayloads,
  publishWindow,
  reputations,
  routedExecutor,
  STATUS_NAMES as TASK_STATUS_NAMES,
  settleArgs,
  TaskFraudProven,
  type TaskRecord,
  TaskSettled,
  TaskStatus,
  TaskVerified,
  taskFrauds,
  taskIdArgs,
  taskParams,
  tasks,
  tasksByCycle,
  tasksModule,
  verifierRecords,
  voteArgs,
  withdrawals,
} from "./tasks/index.ts";
