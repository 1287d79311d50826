/**
 * The cycle schedule (spec/schedule.md): one pure answer, per preset and height, to "which cycle
 * is this and which windows are open". Every cycle computation in the code goes through here.
 *
 * A cycle is `cycleLength` blocks; cycle c holds heights [c·L, (c+1)·L). Genesis (height 0) is the
 * first block of cycle 0. The per-cycle step (`endCycle`) runs in the last block of a cycle, and
 * what it decides (the next validator set) takes effect at the next cycle's first block.
 */
import type { BeaconScheduleConfig, Preset, RaceWindowConfig } from "./presets.ts";

export type ScheduleParams = Pick<Preset, "cycleLength" | "beacon" | "windows">;

export type DkgPhase = "dealing" | "complaint" | "done";
export type RacePhase = "idle" | "race" | "commit" | "reveal" | "fraud" | "settled";

export interface CyclePosition {
  height: number;
  cycle: number;
  /** Height − first height of the cycle. */
  offset: number;
  /** First block of the cycle: a new validator set and fresh proposer priorities start here. */
  first: boolean;
  /** Last block of the cycle: endCycle hooks run after its transactions. */
  last: boolean;
  dkg: DkgPhase;
  /** This block fixes the cycle's DKG outcome. */
  dkgOutcome: boolean;
  /** The beacon round that opens at this height, if any (round r opens at r × roundInterval). */
  roundOpens: number | undefined;
  /** Reserved for the race: commitments accepted while `commitOpen`, reveals in "reveal". */
  race: RacePhase;
  commitOpen: boolean;
  revealOpen: boolean;
  fraudOpen: boolean;
}

export function cycleOf(height: number, cycleLength: number): number {
  return Math.floor(height / cycleLength);
}

export function cycleStart(cycle: number, cycleLength: number): number {
  return cycle * cycleLength;
}

/** Last height of the cycle that contains `height`. */
export function cycleEnd(height: number, cycleLength: number): number {
  return cycleStart(cycleOf(height, cycleLength) + 1, cycleLength) - 1;
}

export function isCycleEnd(height: number, cycleLength: number): boolean {
  return height % cycleLength === cycleLength - 1;
}

/**
 * First height whose proposer priorities start fresh: the first block of the cycle (block 1 for
 * cycle 0, since genesis is not proposed).
 */
export function proposerEpochStart(height: number, cycleLength: number): number {
  return Math.max(1, cycleStart(cycleOf(height, cycleLength), cycleLength));
}

/** Where a height sits in its cycle's DKG schedule. */
export function dkgPhaseAt(
  height: number,
  p: { cycleLength: number } & Pick<BeaconScheduleConfig, "dealingBlocks" | "complaintBlocks">,
): DkgPhase {
  const pos = height % p.cycleLength;
  if (pos < p.dealingBlocks) return "dealing";
  if (pos < p.dealingBlocks + p.complaintBlocks) return "complaint";
  return "done";
}

/** The block that fixes the DKG outcome: the first after the complaint phase. */
export function isDkgOutcomeHeight(
  height: number,
  p: { cycleLength: number } & Pick<BeaconScheduleConfig, "dealingBlocks" | "complaintBlocks">,
): boolean {
  return height % p.cycleLength === p.dealingBlocks + p.complaintBlocks;
}

/** Round r may complete from height r × roundInterval on. */
export function roundOpenHeight(round: number, roundInterval: number): number {
  return round * roundInterval;
}

function racePhase(offset: number, w: RaceWindowConfig): RacePhase {
  if (offset < w.raceStart) return "idle";
  if (offset < w.raceEnd) return "race";
  if (offset < w.commitDeadline) return "commit";
  if (offset < w.revealStart) return "settled";
  if (offset < w.revealEnd) return "reveal";
  if (offset < w.fraudEnd) return "fraud";
  return "settled";
}

export function positionAt(p: ScheduleParams, height: number): CyclePosition {
  const L = p.cycleLength;
  const cycle = cycleOf(height, L);
  const offset = height - cycleStart(cycle, L);
  const dkg = { cycleLength: L, ...p.beacon };
  const w = p.windows;
  return {
    height,
    cycle,
    offset,
    first: offset === 0,
    last: offset === L - 1,
    dkg: dkgPhaseAt(height, dkg),
    dkgOutcome: isDkgOutcomeHeight(height, dkg),
    roundOpens:
      height > 0 && height % p.beacon.roundInterval === 0 ? height / p.beacon.roundInterval : undefined,
    race: racePhase(offset, w),
    commitOpen: offset >= w.raceStart && offset < w.commitDeadline,
    revealOpen: offset >= w.revealStart && offset < w.revealEnd,
    fraudOpen: offset >= w.revealStart && offset < w.fraudEnd,
  };
}

/** The windows of one cycle as rows of (name, first offset, last offset): the spec's table. */
export function scheduleTable(p: ScheduleParams): { window: string; from: number; to: number }[] {
  const b = p.beacon;
  const w = p.windows;
  return [
    { window: "cycle", from: 0, to: p.cycleLength - 1 },
    { window: "new validator set, fresh proposer priorities", from: 0, to: 0 },
    { window: "DKG dealings", from: 0, to: b.dealingBlocks - 1 },
    { window: "DKG complaints", from: b.dealingBlocks, to: b.dealingBlocks + b.complaintBlocks - 1 },
    {
      window: "DKG outcome fixed",
      from: b.dealingBlocks + b.complaintBlocks,
      to: b.dealingBlocks + b.complaintBlocks,
    },
    { window: `beacon round opens (every ${b.roundInterval} blocks)`, from: 0, to: p.cycleLength - 1 },
    { window: "race (reserved)", from: w.raceStart, to: w.raceEnd - 1 },
    { window: "commitments accepted (reserved)", from: w.raceStart, to: w.commitDeadline - 1 },
    { window: "reveals (reserved)", from: w.revealStart, to: w.revealEnd - 1 },
    { window: "nonce fraud claims", from: w.revealStart, to: w.claimEnd - 1 },
    { window: "order fraud proofs, judgements and attestations", from: w.revealStart, to: w.fraudEnd - 1 },
    { window: "endCycle: next validator set stored", from: p.cycleLength - 1, to: p.cycleLength - 1 },
  ];
}

/** Refuse a schedule whose windows overlap or leave the cycle (checked for every preset in tests). */
export function checkSchedule(p: ScheduleParams): string[] {
  const b = p.beacon;
  const w = p.windows;
  const problems: string[] = [];
  const L = p.cycleLength;
  if (!(L >= 2)) problems.push("cycleLength must be at least 2");
  if (b.dealingBlocks < 1 || b.complaintBlocks < 1) problems.push("DKG phases need at least one block each");
  if (b.dealingBlocks + b.complaintBlocks >= L) problems.push("the DKG outcome must fall inside the cycle");
  if (b.roundInterval < 1) problems.push("roundInterval must be positive");
  const order = [
    w.raceStart,
    w.raceEnd,
    w.commitDeadline,
    w.revealStart,
    w.revealEnd,
    w.claimEnd,
    w.fraudEnd,
  ];
  for (let i = 1; i < order.length; i++)
    if (order[i]! < order[i - 1]!) problems.push("race windows must be in order");
  if (w.raceStart < 0 || w.fraudEnd > L - 1)
    problems.push("race windows must end before the cycle's last block");
  return problems;
}
