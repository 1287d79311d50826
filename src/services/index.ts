/**
 * Services: the protocol drivers a node runs on top of the chain — consensus (reactor + driver),
 * the evidence pool and its gossip, the beacon, the race, inference tasks and training jobs. Each sees narrow interfaces of the others and
 * is constructed in the one composition root (src/node). The race and task services come here.
 */
export { BeaconService } from "./beacon/service.ts";
export {
  ConsensusDriver,
  type ConsensusServiceOptions,
  type DriverChain,
  type TxSource,
} from "./consensus/driver.ts";
export {
  type ConsensusMsg,
  ConsensusReactor,
  proposalVerdict,
  type ReactorChain,
} from "./consensus/reactor.ts";
export { type EvidenceChain, EvidencePool, MAX_BLOCK_EVIDENCE } from "./evidence/pool.ts";
export { EvidenceReactor, type EvidenceReactorChain } from "./evidence/reactor.ts";
export { ModuleTxSender } from "./miner/sender.ts";
export { MinerService, type MinerServiceOptions, RACE_CHEATS, type RaceCheat } from "./miner/service.ts";
export { RaceVerifier, type VerifyMode } from "./miner/verifier.ts";
export { DummyTraffic, type RequestShape, TrafficModel } from "./tasks/dummy.ts";
export { TASK_CHEATS, type TaskCheat, TaskService, type TaskServiceOptions } from "./tasks/service.ts";
export {
  type LossPoint,
  TRAINING_CHEATS,
  type TrainingCheat,
  TrainingService,
  type TrainingServiceOptions,
} from "./training/service.ts";
