/**
 * Presets: constants chosen once at start-up. Runtime chain config (chain id,
 * allocations, validators) lives in the genesis file, not here.
 */
export type PresetName = "minimal" | "mainnet";

/** Race model shape and difficulty (spec/race.md); checked by checkRaceConfig in src/race. */
export interface RaceModelConfig {
  layers: number;
  heads: number;
  dModel: number;
  vocab: number;
  seqLen: number;
  /** Width of the ReLU FFN (up d→ffn, down ffn→d). */
  ffn: number;
  /** Expected nonces per proof (1 in 900, spec/race.md). */
  successRate: number;
  /** Calibration nonces that set the race's distance threshold. */
  calibrationNonces: number;
  /** z of the threshold rule in thousandths (threshold = μ − z·σ). */
  zMilli: number;
  /** Samples revealed per miner after the commit. */
  samples: number;
  /**
   * Requantisation exponents in place of the ones derived from the shapes (spec/race.md §Model).
   * Only conformance configurations set them (spec/vectors/race/conformance.json): small
   * exponents drive every clamp into saturation. Presets never do.
   */
  shifts?: { qkv: number; attnOut: number; score: number; ffnIn: number; ffnOut: number };
}

/** Tendermint timeouts (spec/consensus.md §Timeouts): base + round × delta. */
export interface ConsensusTimeoutConfig {
  proposeMs: number;
  proposeDeltaMs: number;
  prevoteMs: number;
  prevoteDeltaMs: number;
  precommitMs: number;
  precommitDeltaMs: number;
  /** Pause after a commit before the next height (paces blocks at about blockTimeMs). */
  commitMs: number;
  /** Own messages of a height that has not decided are gossiped again this often. */
  rebroadcastMs: number;
}

/** Beacon schedule (spec/beacon.md): DKG phases in blocks from each cycle start, round spacing. */
export interface BeaconScheduleConfig {
  committeeSize: number;
  dealingBlocks: number;
  complaintBlocks: number;
  roundInterval: number;
}

/**
 * Race windows in blocks from each cycle start (spec/schedule.md). Reserved: the race-cycle work
 * gives them meaning; the schedule already answers for them so that every later rule reads one table.
 */
export interface RaceWindowConfig {
  /** First block of the race window. */
  raceStart: number;
  /** First block after the race window; commitments are accepted from raceStart up to commitDeadline. */
  raceEnd: number;
  /** First block at which a commitment is late. */
  commitDeadline: number;
  /** Reveal window [revealStart, revealEnd). */
  revealStart: number;
  revealEnd: number;
  /** Nonce fraud claims are accepted in [revealStart, claimEnd), so the panel has until fraudEnd to judge them. */
  claimEnd: number;
  /** Order fraud proofs, judgements and verifier attestations are accepted in [revealStart, fraudEnd). */
  fraudEnd: number;
}

export interface Preset {
  name: PresetName;
  beacon: BeaconScheduleConfig;
  windows: RaceWindowConfig;
  /** Target block interval: consensus pauses this long after each commit. */
  blockTimeMs: number;
  consensus: ConsensusTimeoutConfig;
  /** Blocks per cycle: race, commit, reveal and weight changes happen on cycle boundaries. */
  cycleLength: number;
  /** Largest validator set: the top accounts by weight (spec/validators.md). */
  maxValidators: number;
  /** Gas limit of every block (fixed; no miner voting). */
  blockGasLimit: bigint;
  /** EIP-1559 parameters. */
  initialBaseFee: bigint;
  minBaseFee: bigint;
  baseFeeChangeDenominator: bigint;
  elasticityMultiplier: bigint;
  /** Largest signed transaction accepted, in bytes. */
  maxTxBytes: number;
  /** Largest block body, in transactions. */
  maxBlockTxs: number;
  mempool: { maxPerSender: number; maxTotal: number; priceBumpPercent: bigint };
  race: RaceModelConfig;
  /**
   * Expected verifiers per revealed miner: each member of the cycle's validator set is chosen by
   * its BLS-VRF with probability min(1, raceVerifiers · weight / total weight) (race-cycle.md).
   */
  raceVerifiers: number;
  /**
   * Bond a nonce fraud claim locks (wei): returned with the claim upheld or undecided, paid to the
   * training fund when the panel refuses it, so a false claim — which costs every judge one forward
   * pass — is never free (race-cycle.md §Fraud claims).
   */
  raceFraudBond: bigint;
  /** Blocks per day of the issuance schedule (spec/rewards.md; years are 365 days). */
  blocksPerDay: number;
}

const GWEI = 1_000_000_000n;

export const minimal: Preset = {
  name: "minimal",
  blockTimeMs: 500,
  beacon: { committeeSize: 4, dealingBlocks: 20, complaintBlocks: 20, roundInterval: 10 },
  windows: {
    raceStart: 10,
    raceEnd: 30,
    commitDeadline: 34,
    revealStart: 40,
    revealEnd: 48,
    claimEnd: 54,
    fraudEnd: 58,
  },
  maxValidators: 16,
  consensus: {
    proposeMs: 1000,
    proposeDeltaMs: 500,
    prevoteMs: 500,
    prevoteDeltaMs: 250,
    precommitMs: 500,
    precommitDeltaMs: 250,
    commitMs: 500,
    rebroadcastMs: 1000,
  },
  cycleLength: 60,
  blockGasLimit: 30_000_000n,
  initialBaseFee: GWEI,
  minBaseFee: GWEI / 100n,
  baseFeeChangeDenominator: 8n,
  elasticityMultiplier: 2n,
  maxTxBytes: 128 * 1024,
  maxBlockTxs: 5000,
  mempool: { maxPerSender: 64, maxTotal: 8192, priceBumpPercent: 10n },
  race: {
    layers: 2,
    heads: 2,
    dModel: 32,
    vocab: 256,
    seqLen: 4,
    ffn: 96,
    successRate: 300,
    calibrationNonces: 4096,
    zMilli: 2620,
    samples: 8,
  },
  raceVerifiers: 2,
  raceFraudBond: 10n ** 18n,
  // One cycle a day: a minimal "year" is 365 cycles (about 3 hours).
  blocksPerDay: 60,
};

export const mainnet: Preset = {
  name: "mainnet",
  blockTimeMs: 5000,
  beacon: { committeeSize: 64, dealingBlocks: 480, complaintBlocks: 480, roundInterval: 60 },
  windows: {
    raceStart: 120,
    raceEnd: 240,
    commitDeadline: 264,
    revealStart: 300,
    revealEnd: 420,
    claimEnd: 1320,
    fraudEnd: 1380,
  },
  maxValidators: 150,
  consensus: {
    proposeMs: 3000,
    proposeDeltaMs: 500,
    prevoteMs: 1000,
    prevoteDeltaMs: 500,
    precommitMs: 1000,
    precommitDeltaMs: 500,
    // 5 s blocks: the pause plus ~0.5 s to decide at 150 validators (spec/scale.md §Finality).
    commitMs: 4500,
    rebroadcastMs: 2000,
  },
  cycleLength: 1440,
  blockGasLimit: 60_000_000n,
  initialBaseFee: GWEI,
  minBaseFee: GWEI / 10n,
  baseFeeChangeDenominator: 8n,
  elasticityMultiplier: 2n,
  maxTxBytes: 128 * 1024,
  maxBlockTxs: 10_000,
  mempool: { maxPerSender: 64, maxTotal: 16384, priceBumpPercent: 10n },
  // The paper's shape; a ReLU FFN of width 33,792 gives its ≈2.3 B parameters (spec/race.md §Presets).
  race: {
    layers: 64,
    heads: 128,
    dModel: 512,
    vocab: 8192,
    seqLen: 4,
    ffn: 33792,
    successRate: 900,
    calibrationNonces: 1024,
    zMilli: 3060,
    samples: 32,
  },
  raceVerifiers: 4,
  raceFraudBond: 100n * 10n ** 18n,
  // 5-second blocks.
  blocksPerDay: 17_280,
};

export const presets: Record<PresetName, Preset> = { minimal, mainnet };

export function getPreset(name: string): Preset {
  if (name === "minimal" || name === "mainnet") return presets[name];
  throw new Error(`unknown preset "${name}": expected one of ${Object.keys(presets).join(", ")}`);
}
