/**
 * race: each cycle's race on chain (spec/race-cycle.md). The beacon seeds the race, miners commit
 * `(count, root)` over their proof sets inside the commit window, a later beacon output picks the
 * samples they reveal with a multiproof (checked here: Merkle part and order), verifiers chosen by
 * BLS-VRF in proportion to weight recompute the samples and attest, anyone may prove a nonce fraud
 * (one forward pass of the race model, every node) or an order fraud, and when the fraud window
 * closes the cycle's weights settle: a miner's weight is its committed count if its reveal verified
 * and no fraud stands, else 0 and its escrow is forfeited (`forfeitsOf`, read by the rewards work).
 * Settled weights are proposed to the validators module, whose endCycle turns them into the next
 * cycle's set.
 */
import { selectedByWeight, selectionInput, VrfError, vrfVerify } from "../../src/beacon/index.ts";
import {
  address20,
  bytes,
  hash32,
  list,
  quantity,
  quantityMax,
  str,
  struct,
  uint,
} from "../../src/encoding/index.ts";
import {
  cycleStart,
  positionAt,
  RACE_MODULE_ADDRESS,
  TRAINING_FUND_ADDRESS,
} from "../../src/params/index.ts";
import {
  checkOrderFraud,
  checkReveal,
  MAX_DEPTH,
  MAX_NONCE,
  MAX_SAMPLES,
  openLeaves,
  PROOF_NODE_BYTES,
  ProofError,
  raceThreshold,
  thresholdKnown,
  ZERO32,
} from "../../src/race/index.ts";
import { type Address, concatBytes, equalBytes, u32be } from "../../src/types/index.ts";
import { beacon as beaconModule, latestOpenedSince } from "../beacon/index.ts";
import { emit, event } from "../events.ts";
import {
  type CallContext,
  InvariantError,
  type Module,
  type ModuleContext,
  ModuleError,
  type QueryContext,
} from "../module.ts";
import { addressKey20, pairKey, type ReadStore, StoreMap, u32Key } from "../store.ts";
import { setNextWeight, validatorSetOf, validators as validatorsModule } from "../validators/index.ts";

export interface RaceCommit {
  count: number;
  root: Uint8Array;
  height: number;
}
const commitCodec = struct<RaceCommit>("race.Commit", { count: uint, root: hash32, height: uint });

export interface RevealedNonce {
  index: number;
  nonce: bigint;
}
/** A race nonce on the wire: refused at decoding above 2^40 − 1 (race.md §Proofs), never truncated. */
export const nonceCodec = quantityMax(MAX_NONCE, "race nonce");
const revealedCodec = struct<RevealedNonce>("race.Revealed", { index: uint, nonce: nonceCodec });
/** A node of an ordered-tree multiproof: hash ‖ u64be(min) ‖ u64be(max). */
const proofNode = bytes({ length: PROOF_NODE_BYTES });

export interface RaceReveal {
  /** Every revealed (index, nonce): the sampled indices. */
  nonces: RevealedNonce[];
  /** The sampled indices, whose nonces verifiers must find to be proofs. */
  sampled: number[];
  height: number;
}
const revealCodec = struct<RaceReveal>("race.Reveal", {
  nonces: list(revealedCodec, MAX_SAMPLES),
  sampled: list(uint, MAX_SAMPLES),
  height: uint,
});

export interface RaceFraud {
  reason: string;
  by: Address;
  height: number;
}
const fraudCodec = struct<RaceFraud>("race.Fraud", { reason: str(512), by: address20, height: uint });

/** cycle → the race seed (the first beacon output at or after the race window opens). */
export const raceSeeds = new StoreMap("seed", u32Key, hash32);
/** cycle → the sample randomness (the first beacon output at or after the commit deadline). */
export const sampleSeeds = new StoreMap("sampleSeed", u32Key, hash32);
/** (cycle, miner) → its commitment. */
export const commits = new StoreMap("commit", pairKey(u32Key, 4, addressKey20), commitCodec);
/** (cycle, miner) → its verified reveal. */
export const reveals = new StoreMap("reveal", pairKey(u32Key, 4, addressKey20), revealCodec);
/** (cycle, miner) → a fraud proof that stood against it. */
export const frauds = new StoreMap("fraud", pairKey(u32Key, 4, addressKey20), fraudCodec);
export enum ClaimState {
  pending = 0,
  upheld = 1,
  refused = 2,
  lapsed = 3,
}
export const CLAIM_STATE_NAMES = ["pending", "upheld", "refused", "lapsed"] as const;

/** A nonce fraud claim waiting for (or decided by) the cycle's validators (race-cycle.md §Fraud claims). */
export interface RaceClaim {
  by: Address;
  nonce: bigint;
  bond: bigint;
  height: number;
  /** Judged weight saying "not a proof" / "a proof"; the accused miner's own weight never counts. */
  fraud: bigint;
  valid: bigint;
  state: ClaimState;
}
const claimCodec = struct<RaceClaim>("race.Claim", {
  by: address20,
  nonce: nonceCodec,
  bond: quantity,
  height: uint,
  fraud: quantity,
  valid: quantity,
  state: uint,
});
const minerKey = pairKey(u32Key, 4, addressKey20);
/** ((cycle, miner), leaf index) → the nonce fraud claim against that leaf. */
export const claims = new StoreMap("claim", pairKey(minerKey, 24, u32Key), claimCodec);
/** (((cycle, miner), leaf index), judge) → 1 (not a proof) or 2 (a proof). */
export const judgements = new StoreMap(
  "judgement",
  pairKey(pairKey(minerKey, 24, u32Key), 28, addressKey20),
  uint,
);
/**
 * ((cycle, miner), leaf index) → 1 while that claim is pending: settlement lapses exactly these,
 * never scanning decided claims (an upheld claim's bond comes back, so their number is not bounded
 * by anyone's capital).
 */
export const openClaims = new StoreMap("openClaim", pairKey(minerKey, 24, u32Key), uint);

/** (cycle, miner) → settled weight (only miners with weight > 0 are listed). */
export const weights = new StoreMap("weight", pairKey(u32Key, 4, addressKey20), quantity);
/** cycle → 1 once the cycle's weights settled (0 entries: no race, previous weights kept). */
export const settled = new StoreMap("settled", u32Key, uint);
/** (cycle, miner) → why a commitment earned nothing and its escrow is forfeited (set at settlement). */
export const forfeits = new StoreMap("forfeit", pairKey(u32Key, 4, addressKey20), str(512));
/** ((cycle, miner), verifier) → the height of the verifier's attestation that the samples verified. */
export const attestations = new StoreMap(
  "attest",
  pairKey(pairKey(u32Key, 4, addressKey20), 24, addressKey20),
  uint,
);

/** Logs of the race methods (spec/events.md). */
export const RaceCommitted = event(
  "RaceCommitted(uint32 indexed cycle, address indexed miner, uint256 count, bytes32 root)",
);
export const RaceRevealed = event(
  "RaceRevealed(uint32 indexed cycle, address indexed miner, uint256 revealed)",
);
export const RaceFraudProven = event(
  "RaceFraudProven(uint32 indexed cycle, address indexed miner, address indexed by)",
);
export const RaceFraudClaimed = event(
  "RaceFraudClaimed(uint32 indexed cycle, address indexed miner, address indexed by, uint256 index)",
);
export const RaceClaimDecided = event(
  "RaceClaimDecided(uint32 indexed cycle, address indexed miner, uint256 index, uint256 state)",
);
export const RaceAttested = event(
  "RaceAttested(uint32 indexed cycle, address indexed miner, address indexed verifier)",
);

/** BLS-VRF domain of verifier selection. */
export const VERIFY_DOMAIN = "race-verify";

/**
 * The VRF input that decides who verifies `miner`'s samples in `cycle`: the cycle's sample
 * randomness (no key can have been chosen for it) and (cycle, miner).
 */
export function verifierInput(sampleSeed: Uint8Array, cycle: number, miner: Address): Uint8Array {
  return selectionInput(sampleSeed, concatBytes(u32be(cycle), miner));
}

const cycleKey = (c: number) => u32Key.encode(c);

/**
 * Track beacon outputs for the race (every block, after the beacon step): the race seed of the
 * current cycle once a round completes in or after the race window's first block, the sample
 * randomness once one completes at or after the commit deadline; settle at the fraud window's end.
 */
function endBlock(ctx: ModuleContext): void {
  const { preset, height } = ctx.block;
  const pos = positionAt(preset, height);
  const start = cycleStart(pos.cycle, preset.cycleLength);
  // A seed must come from a round that *opened* at or after the window it guards, not one that
  // merely landed after it (spec/race-cycle.md §Seeds, beacon.md §Seeds that guard a window).
  const beaconStore = ctx.storeOf(beaconModule);
  const interval = preset.beacon.roundInterval;
  const seed = latestOpenedSince(beaconStore, start + preset.windows.raceStart, interval);
  if (seed && !raceSeeds.has(ctx.store, pos.cycle) && pos.offset < preset.windows.commitDeadline)
    raceSeeds.set(ctx.store, pos.cycle, seed.output);
  const sample = latestOpenedSince(beaconStore, start + preset.windows.commitDeadline, interval);
  if (
    sample &&
    raceSeeds.has(ctx.store, pos.cycle) &&
    !sampleSeeds.has(ctx.store, pos.cycle) &&
    pos.offset < preset.windows.revealEnd
  )
    sampleSeeds.set(ctx.store, pos.cycle, sample.output);
  if (pos.offset === preset.windows.fraudEnd) settle(ctx, pos.cycle);
}

/**
 * Weights of a cycle: committed count if the reveal verified and no fraud stands, else 0. A cycle
 * without a race seed or sample randomness ran no race: nothing is proposed and the validators
 * module carries the previous set forward.
 */
function settle(ctx: ModuleContext, cycle: number): void {
  for (const [[, miner], index] of openClaims.keys(ctx.store, cycleKey(cycle)))
    decideClaim(
      ctx,
      cycle,
      miner,
      index,
      claims.get(ctx.store, [[cycle, miner], index])!,
      ClaimState.lapsed,
      0n,
    );
  if (!raceSeeds.has(ctx.store, cycle) || !sampleSeeds.has(ctx.store, cycle)) return;
  const validators = ctx.storeOf(validatorsModule);
  for (const [[, miner], c] of commits.entries(ctx.store, cycleKey(cycle))) {
    if (c.count === 0) continue;
    const fraud = frauds.get(ctx.store, [cycle, miner]);
    const forfeit = fraud
      ? `fraud: ${fraud.reason}`
      : reveals.has(ctx.store, [cycle, miner])
        ? undefined
        : "no verified reveal";
    if (forfeit !== undefined) {
      forfeits.set(ctx.store, [cycle, miner], forfeit.slice(0, 512));
      continue;
    }
    weights.set(ctx.store, [cycle, miner], BigInt(c.count));
    setNextWeight(validators, miner, BigInt(c.count));
  }
  settled.set(ctx.store, cycle, 1);
}

export const commitArgs = struct<{ count: number; root: Uint8Array }>("race.commit", {
  count: uint,
  root: hash32,
});
export const revealArgs = struct<{ nonces: RevealedNonce[]; proof: Uint8Array[] }>("race.reveal", {
  nonces: list(revealedCodec, MAX_SAMPLES),
  proof: list(proofNode, MAX_SAMPLES * MAX_DEPTH),
});
/** Order fraud: one leaf whose path through the miner's ordered tree is out of order. */
export const orderFraudArgs = struct<{ miner: Address; index: number; nonce: bigint; proof: Uint8Array[] }>(
  "race.fraudOrder",
  { miner: address20, index: uint, nonce: nonceCodec, proof: list(proofNode, MAX_DEPTH) },
);
export const nonceFraudArgs = struct<{ miner: Address; index: number; nonce: bigint; proof: Uint8Array[] }>(
  "race.fraudNonce",
  { miner: address20, index: uint, nonce: nonceCodec, proof: list(proofNode, MAX_DEPTH) },
);
/** A judge's answer to a nonce fraud claim: fraud = 1 when the nonce is not a proof, 0 when it is. */
export const judgeArgs = struct<{ miner: Address; index: number; fraud: number }>("race.judge", {
  miner: address20,
  index: uint,
  fraud: uint,
});
export const attestArgs = struct<{ miner: Address; proof: Uint8Array }>("race.attest", {
  miner: address20,
  proof: bytes({ length: 96 }),
});

export const attestationsResult = struct<{
  attestations: { miner: Address; verifier: Address; height: number }[];
}>("race.attestations.result", {
  attestations: list(
    struct<{ miner: Address; verifier: Address; height: number }>("race.Attestation", {
      miner: address20,
      verifier: address20,
      height: uint,
    }),
    100_000,
  ),
});

export const revealsResult = struct<{ reveals: (RaceReveal & { miner: Address })[] }>("race.reveals.result", {
  reveals: list(
    struct<RaceReveal & { miner: Address }>("race.RevealView", {
      miner: address20,
      nonces: list(revealedCodec, 1024),
      sampled: list(uint, 512),
      height: uint,
    }),
    100_000,
  ),
});

/** The commitment a fraud proof targets, inside its window and with no fraud standing yet. */
function fraudTarget(
  ctx: ModuleContext,
  miner: Address,
  window: "claimEnd" | "fraudEnd",
): { cycle: number; c: RaceCommit } {
  const pos = positionAt(ctx.block.preset, ctx.block.height);
  const cycle = pos.cycle;
  const w = ctx.block.preset.windows;
  if (pos.offset < w.revealStart || pos.offset >= w[window])
    throw new ModuleError(
      `${window === "claimEnd" ? "nonce fraud claims" : "order fraud proofs"} are accepted in blocks ${w.revealStart}–${w[window] - 1} of a cycle; this is block ${pos.offset}`,
    );
  const c = commits.get(ctx.store, [cycle, miner]);
  if (!c) throw new ModuleError(`that miner has no commitment in cycle ${cycle}`);
  if (frauds.has(ctx.store, [cycle, miner]))
    throw new ModuleError("a fraud proof already stands against that miner this cycle");
  return { cycle, c };
}

/** A fraud proof that stood: stored against the miner (it settles to 0) and logged. */
function recordFraud(ctx: CallContext, cycle: number, miner: Address, reason: string, by: Address): void {
  frauds.set(ctx.store, [cycle, miner], {
    reason: reason.slice(0, 512),
    by,
    height: ctx.block.height,
  });
  emit(ctx, RaceFraudProven, cycle, miner, by);
}

/**
 * What a claim pays whatever its outcome: every claim costs each judge a forward pass, and a true
 * claim against one's own junk commitment gets its bond back, so the fee is what prices a flood.
 */
export const claimFee = (bond: bigint) => bond / 10n;

/** Gas per node a reveal opens (one keccak each; bench:gas holds it to the per-gas ceiling). */
export const REVEAL_GAS_PER_NODE = 2_000n;

function transfer(ctx: ModuleContext, from: Address, to: Address, amount: bigint): void {
  if (amount === 0n) return;
  const a = ctx.state.getAccount(from);
  if (a.balance < amount)
    throw new InvariantError(`race module: ${amount} wei from an account holding ${a.balance}`);
  ctx.state.setAccount(from, { ...a, balance: a.balance - amount });
  const b = ctx.state.getAccount(to);
  ctx.state.setAccount(to, { ...b, balance: b.balance + amount });
}

/**
 * A claim decided by judgement (upheld: fraud stands, bond back; refused: bond to the training
 * fund) or lapsed at settlement without a decision (bond back, nothing stands).
 */
function decideClaim(
  ctx: ModuleContext & { emit?: CallContext["emit"] },
  cycle: number,
  miner: Address,
  index: number,
  claim: RaceClaim,
  state: ClaimState,
  total: bigint,
): void {
  claims.set(ctx.store, [[cycle, miner], index], { ...claim, state });
  openClaims.delete(ctx.store, [[cycle, miner], index]);
  transfer(
    ctx,
    RACE_MODULE_ADDRESS,
    state === ClaimState.refused ? TRAINING_FUND_ADDRESS : claim.by,
    claim.bond,
  );
  if (state === ClaimState.upheld && !frauds.has(ctx.store, [cycle, miner])) {
    const reason = `committed nonce ${claim.nonce} at index ${index} is not a proof: judged so by ${claim.fraud} of ${total} weight`;
    frauds.set(ctx.store, [cycle, miner], { reason, by: claim.by, height: ctx.block.height });
    if (ctx.emit) emit(ctx as CallContext, RaceFraudProven, cycle, miner, claim.by);
  }
  if (ctx.emit) emit(ctx as CallContext, RaceClaimDecided, cycle, miner, index, state);
}

/**
 * Whether `verifier` (a member of the cycle's validator set) was chosen to verify `miner`: its
 * BLS-VRF proof over verifierInput verifies under its registered key and the output falls under
 * min(1, expected · weight / total weight). Returns true or the reason it was not.
 */
export function verifierChosen(
  validatorsStore: ReadStore,
  raceStore: ReadStore,
  cycle: number,
  miner: Address,
  verifier: Address,
  proof: Uint8Array,
  expected: number,
): true | string {
  const set = validatorSetOf(validatorsStore, cycle) ?? [];
  const member = set.find((v) => equalBytes(v.address, verifier));
  if (!member) return `the sender is not in cycle ${cycle}'s validator set`;
  const randomness = sampleSeeds.get(raceStore, cycle);
  if (!randomness) return `cycle ${cycle} has no sample randomness yet`;
  let output: Uint8Array;
  try {
    output = vrfVerify(member.blsKey, VERIFY_DOMAIN, verifierInput(randomness, cycle, miner), proof);
  } catch (e) {
    if (e instanceof VrfError) return e.message;
    throw e;
  }
  const total = set.reduce((t, v) => t + v.weight, 0n);
  if (!selectedByWeight(output, member.weight, total, BigInt(expected)))
    return "the VRF output does not choose the sender to verify that miner";
  return true;
}

function mustProve<T>(f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof ProofError) throw new ModuleError(e.message);
    throw e;
  }
}

export interface CommitmentView {
  miner: Address;
  count: number;
  root: Uint8Array;
  height: number;
  revealed: number;
  fraud: string;
  attestations: number;
  forfeit: string;
  weight: bigint;
}
export const commitmentsResult = struct<{ commitments: CommitmentView[] }>("race.commitments.result", {
  commitments: list(
    struct<CommitmentView>("race.CommitmentView", {
      miner: address20,
      count: uint,
      root: hash32,
      height: uint,
      revealed: uint,
      fraud: str(512),
      attestations: uint,
      forfeit: str(512),
      weight: quantity,
    }),
    100_000,
  ),
});

export const statusResult = struct<{
  cycle: number;
  phase: string;
  raceStart: number;
  commitDeadline: number;
  revealStart: number;
  revealEnd: number;
  fraudEnd: number;
  seeds: Uint8Array[];
  sampleSeeds: Uint8Array[];
  thresholds: bigint[];
  commitments: number;
  settled: number;
}>("race.status.result", {
  cycle: uint,
  phase: str(16),
  raceStart: uint,
  commitDeadline: uint,
  revealStart: uint,
  revealEnd: uint,
  fraudEnd: uint,
  seeds: list(hash32, 1),
  sampleSeeds: list(hash32, 1),
  thresholds: list(quantity, 1),
  commitments: uint,
  settled: uint,
});

function status(ctx: QueryContext, cycle: number) {
  const p = ctx.preset;
  const start = cycleStart(cycle, p.cycleLength);
  const at = Math.max(start, Math.min(ctx.height, start + p.cycleLength - 1));
  const seed = raceSeeds.get(ctx.store, cycle);
  const sample = sampleSeeds.get(ctx.store, cycle);
  return {
    cycle,
    phase: positionAt(p, at).race,
    raceStart: start + p.windows.raceStart,
    commitDeadline: start + p.windows.commitDeadline,
    revealStart: start + p.windows.revealStart,
    revealEnd: start + p.windows.revealEnd,
    fraudEnd: start + p.windows.fraudEnd,
    seeds: seed ? [seed] : [],
    sampleSeeds: sample ? [sample] : [],
    // The threshold once this node has computed it (a pure function of the seed; see oracle.ts).
    thresholds: seed && thresholdKnown(seed, p.race) ? [raceThreshold(seed, p.race)] : [],
    commitments: commits.keys(ctx.store, cycleKey(cycle)).length,
    settled: settled.get(ctx.store, cycle) ?? 0,
  };
}

export const race: Module = {
  id: 4,
  name: "race",
  address: RACE_MODULE_ADDRESS,
  endBlock,
  methods: {
    commit: {
      args: commitArgs,
      gas: 30_000n,
      execute(ctx, args: { count: number; root: Uint8Array }) {
        const pos = positionAt(ctx.block.preset, ctx.block.height);
        const cycle = pos.cycle;
        if (!pos.commitOpen)
          throw new ModuleError(
            `commitments are accepted in blocks ${ctx.block.preset.windows.raceStart}–${ctx.block.preset.windows.commitDeadline - 1} of a cycle; this is block ${pos.offset}`,
          );
        if (!raceSeeds.has(ctx.store, cycle))
          throw new ModuleError(
            `cycle ${cycle} has no race seed yet (no beacon output since the race window opened)`,
          );
        if (commits.has(ctx.store, [cycle, ctx.sender]))
          throw new ModuleError(`already committed in cycle ${cycle}`);
        if (args.count === 0 && !equalBytes(args.root, ZERO32))
          throw new ModuleError("an empty commitment has the zero root");
        if (BigInt(args.count) > MAX_NONCE + 1n)
          throw new ModuleError("count is larger than the nonce range");
        commits.set(ctx.store, [cycle, ctx.sender], {
          count: args.count,
          root: args.root,
          height: ctx.block.height,
        });
        emit(ctx, RaceCommitted, cycle, ctx.sender, args.count, args.root);
      },
    },
    reveal: {
      args: revealArgs,
      // One keccak per opened node: a reveal pays for the paths it opens.
      gas: (args: { nonces: RevealedNonce[]; proof: Uint8Array[] }) =>
        40_000n + REVEAL_GAS_PER_NODE * BigInt(args.proof.length + args.nonces.length),
      execute(ctx, args: { nonces: RevealedNonce[]; proof: Uint8Array[] }) {
        const pos = positionAt(ctx.block.preset, ctx.block.height);
        const cycle = pos.cycle;
        if (!pos.revealOpen)
          throw new ModuleError(
            `reveals are accepted in blocks ${ctx.block.preset.windows.revealStart}–${ctx.block.preset.windows.revealEnd - 1} of a cycle; this is block ${pos.offset}`,
          );
        const c = commits.get(ctx.store, [cycle, ctx.sender]);
        if (!c) throw new ModuleError(`no commitment in cycle ${cycle} to reveal`);
        if (reveals.has(ctx.store, [cycle, ctx.sender]))
          throw new ModuleError(`already revealed in cycle ${cycle}`);
        const randomness = sampleSeeds.get(ctx.store, cycle);
        if (!randomness) throw new ModuleError(`cycle ${cycle} has no sample randomness yet`);
        const map = new Map<number, bigint>();
        for (const n of args.nonces) {
          if (map.has(n.index)) throw new ModuleError(`index ${n.index} revealed twice`);
          map.set(n.index, n.nonce);
        }
        const sampled = mustProve(() =>
          checkReveal(
            { count: c.count, root: c.root },
            randomness,
            ctx.sender,
            ctx.block.preset.race.samples,
            {
              nonces: map,
              proof: args.proof,
            },
          ),
        );
        reveals.set(ctx.store, [cycle, ctx.sender], {
          nonces: [...map].sort(([a], [b]) => a - b).map(([index, nonce]) => ({ index, nonce })),
          sampled,
          height: ctx.block.height,
        });
        emit(ctx, RaceRevealed, cycle, ctx.sender, map.size);
      },
    },
    fraudOrder: {
      args: orderFraudArgs,
      gas: 60_000n,
      execute(ctx, args: { miner: Address; index: number; nonce: bigint; proof: Uint8Array[] }) {
        const { c, cycle } = fraudTarget(ctx, args.miner, "fraudEnd");
        const reason = mustProve(() =>
          checkOrderFraud({
            kind: "order",
            miner: args.miner,
            commitment: { count: c.count, root: c.root },
            index: args.index,
            nonce: args.nonce,
            proof: args.proof,
          }),
        );
        recordFraud(ctx, cycle, args.miner, reason, ctx.sender);
      },
    },
    fraudNonce: {
      args: nonceFraudArgs,
      gas: 60_000n,
      execute(ctx, args: { miner: Address; index: number; nonce: bigint; proof: Uint8Array[] }) {
        const { cycle, c } = fraudTarget(ctx, args.miner, "claimEnd");
        if (claims.has(ctx.store, [[cycle, args.miner], args.index]))
          throw new ModuleError(`index ${args.index} of that miner is already claimed this cycle`);
        if (args.proof.length === 0) {
          // A revealed leaf is already proven in the tree: the reveal's multiproof rebuilt the root.
          const r = reveals.get(ctx.store, [cycle, args.miner]);
          const leaf = r?.nonces.find((n) => n.index === args.index);
          if (!leaf || leaf.nonce !== args.nonce)
            throw new ModuleError(
              `without a multiproof the nonce must be one the miner revealed; index ${args.index} holds no revealed nonce ${args.nonce}`,
            );
        } else {
          mustProve(() =>
            openLeaves({ count: c.count, root: c.root }, new Map([[args.index, args.nonce]]), args.proof),
          );
        }
        const bond = ctx.block.preset.raceFraudBond;
        const fee = claimFee(bond);
        const from = ctx.state.getAccount(ctx.sender);
        if (from.balance < bond + fee)
          throw new ModuleError(
            `a nonce fraud claim locks a bond of ${bond} wei and pays a fee of ${fee}; the sender holds ${from.balance}`,
          );
        transfer(ctx, ctx.sender, RACE_MODULE_ADDRESS, bond);
        transfer(ctx, ctx.sender, TRAINING_FUND_ADDRESS, fee);
        claims.set(ctx.store, [[cycle, args.miner], args.index], {
          by: ctx.sender,
          nonce: args.nonce,
          bond,
          height: ctx.block.height,
          fraud: 0n,
          valid: 0n,
          state: ClaimState.pending,
        });
        openClaims.set(ctx.store, [[cycle, args.miner], args.index], 1);
        emit(ctx, RaceFraudClaimed, cycle, args.miner, ctx.sender, args.index);
      },
    },
    judge: {
      args: judgeArgs,
      gas: 40_000n,
      execute(ctx, args: { miner: Address; index: number; fraud: number }) {
        const pos = positionAt(ctx.block.preset, ctx.block.height);
        const cycle = pos.cycle;
        const w = ctx.block.preset.windows;
        if (pos.offset < w.revealStart || pos.offset >= w.fraudEnd)
          throw new ModuleError(
            `judgements are accepted in blocks ${w.revealStart}–${w.fraudEnd - 1} of a cycle; this is block ${pos.offset}`,
          );
        if (args.fraud !== 0 && args.fraud !== 1)
          throw new ModuleError("fraud is 1 (not a proof) or 0 (a proof)");
        const key: [[number, Address], number] = [[cycle, args.miner], args.index];
        const claim = claims.get(ctx.store, key);
        if (!claim)
          throw new ModuleError(`no nonce fraud claim on index ${args.index} of that miner this cycle`);
        if (claim.state !== ClaimState.pending)
          throw new ModuleError(`that claim is already ${CLAIM_STATE_NAMES[claim.state]}`);
        // Nothing is left to decide once a fraud stands: no judge need run the pass; the claim
        // lapses at settlement and its bond returns.
        if (frauds.has(ctx.store, [cycle, args.miner]))
          throw new ModuleError("a fraud already stands against that miner: this claim lapses at settlement");
        if (equalBytes(ctx.sender, args.miner))
          throw new ModuleError("the accused miner does not judge itself");
        const set = validatorSetOf(ctx.storeOf(validatorsModule), cycle) ?? [];
        const member = set.find((v) => equalBytes(v.address, ctx.sender));
        if (!member) throw new ModuleError(`the sender is not in cycle ${cycle}'s validator set`);
        if (judgements.has(ctx.store, [key, ctx.sender])) throw new ModuleError("already judged that claim");
        judgements.set(ctx.store, [key, ctx.sender], args.fraud === 1 ? 1 : 2);
        const next = { ...claim };
        if (args.fraud === 1) next.fraud += member.weight;
        else next.valid += member.weight;
        const total = set.reduce((t, v) => t + v.weight, 0n);
        // With less than a third of the weight faulty, only the truthful side can pass a third.
        if (3n * next.fraud > total)
          decideClaim(ctx, cycle, args.miner, args.index, next, ClaimState.upheld, total);
        else if (3n * next.valid > total)
          decideClaim(ctx, cycle, args.miner, args.index, next, ClaimState.refused, total);
        else claims.set(ctx.store, key, next);
      },
    },
    attest: {
      args: attestArgs,
      gas: 50_000n,
      execute(ctx, args: { miner: Address; proof: Uint8Array }) {
        const pos = positionAt(ctx.block.preset, ctx.block.height);
        const cycle = pos.cycle;
        if (
          pos.offset < ctx.block.preset.windows.revealStart ||
          pos.offset >= ctx.block.preset.windows.fraudEnd
        )
          throw new ModuleError(
            `attestations are accepted in blocks ${ctx.block.preset.windows.revealStart}–${ctx.block.preset.windows.fraudEnd - 1} of a cycle; this is block ${pos.offset}`,
          );
        if (!reveals.has(ctx.store, [cycle, args.miner]))
          throw new ModuleError(`that miner revealed nothing in cycle ${cycle}`);
        if (attestations.has(ctx.store, [[cycle, args.miner], ctx.sender]))
          throw new ModuleError("already attested to that miner this cycle");
        const chosen = verifierChosen(
          ctx.storeOf(validatorsModule),
          ctx.store,
          cycle,
          args.miner,
          ctx.sender,
          args.proof,
          ctx.block.preset.raceVerifiers,
        );
        if (chosen !== true) throw new ModuleError(chosen);
        attestations.set(ctx.store, [[cycle, args.miner], ctx.sender], ctx.block.height);
        emit(ctx, RaceAttested, cycle, args.miner, ctx.sender);
      },
    },
  },
  queries: {
    reveals: {
      args: struct<{ cycle: number }>("race.reveals", { cycle: uint }),
      result: revealsResult,
      run: (ctx, a: { cycle: number }) => ({
        reveals: reveals.entries(ctx.store, cycleKey(a.cycle)).map(([[, miner], r]) => ({ miner, ...r })),
      }),
    },
    attestations: {
      args: struct<{ cycle: number }>("race.attestations", { cycle: uint }),
      result: attestationsResult,
      run: (ctx, a: { cycle: number }) => ({
        attestations: attestations
          .entries(ctx.store, cycleKey(a.cycle))
          .map(([[[, miner], verifier], height]) => ({
            miner,
            verifier,
            height,
          })),
      }),
    },
    commitments: {
      args: struct<{ cycle: number }>("race.commitments", { cycle: uint }),
      result: commitmentsResult,
      run: (ctx, a: { cycle: number }) => ({ commitments: commitmentsOf(ctx.store, a.cycle) }),
    },
    status: {
      args: struct<{ cycle: number }>("race.status", { cycle: uint }),
      result: statusResult,
      run: (ctx, a: { cycle: number }) => status(ctx, a.cycle),
    },
  },
};

/** Every commitment of a cycle with what became of it (for RPC, explorers and tests). */
function commitmentsOf(store: ReadStore, cycle: number): CommitmentView[] {
  return commits.entries(store, cycleKey(cycle)).map(([[, miner], c]) => ({
    miner,
    count: c.count,
    root: c.root,
    height: c.height,
    revealed: reveals.has(store, [cycle, miner]) ? 1 : 0,
    fraud: frauds.get(store, [cycle, miner])?.reason ?? "",
    attestations: attestations.keys(store, pairKey(u32Key, 4, addressKey20).encode([cycle, miner])).length,
    forfeit: forfeits.get(store, [cycle, miner]) ?? "",
    weight: weights.get(store, [cycle, miner]) ?? 0n,
  }));
}

/** Miners of a settled cycle whose commitment earned nothing, with the reason (the escrow hook). */
export function forfeitsOf(store: ReadStore, cycle: number): [Address, string][] {
  return forfeits.entries(store, cycleKey(cycle)).map(([[, a], r]) => [a, r]);
}

export function raceWeights(store: ReadStore, cycle: number): [Address, bigint][] {
  return weights.entries(store, cycleKey(cycle)).map(([[, a], w]) => [a, w]);
}
