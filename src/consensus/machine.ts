/**
 * Tendermint (spec/consensus.md §The state machine) over weighted validators, for one height, as a
 * deterministic state machine: `handle(event) → actions`. No I/O, no timers, no clock, no
 * signatures: the driver verifies signatures before an event comes in, signs what an action asks
 * for, and feeds its own proposals and votes back as events (so a WAL replay of the recorded
 * events rebuilds the same state). Comments name the line numbers of the algorithm as
 * spec/consensus.md cites it.
 *
 * Values are identified by block hash (hex); `valid(v)` is the driver's verdict on a proposal,
 * given with the proposal event. Quorum is > 2/3 of the weight, f+1 is > 1/3 (ValidatorSet).
 */
import type { ConsensusTimeoutConfig } from "../params/index.ts";
import { type Evidence, type Vote, VoteType } from "../types/index.ts";
import { makeEvidence } from "./evidence.ts";
import type { ProposerSchedule, ValidatorSet } from "./validatorSet.ts";
import { VoteSet, valueId } from "./voteSet.ts";

export type Step = "propose" | "prevote" | "precommit" | "commit";
export type TimeoutStep = "propose" | "prevote" | "precommit";

/** Timeouts of the preset (params), as the machine and driver use them. */
export type ConsensusTimeouts = Omit<ConsensusTimeoutConfig, "rebroadcastMs">;

export type ConsensusEvent =
  | { type: "start" }
  /** A proposal from the round's proposer (signature and proposer already checked). */
  | { type: "proposal"; round: number; validRound: number; hash: string; valid: boolean }
  /** A vote for this height (signature and validator index already checked). */
  | { type: "vote"; vote: Vote }
  | { type: "timeout"; step: TimeoutStep; height: number; round: number };

export type ConsensusAction =
  /** Build a new block for (height, round) and propose it. */
  | { type: "build"; height: number; round: number }
  /** Propose an earlier block again (the valid value) with its proof-of-lock round. */
  | { type: "repropose"; height: number; round: number; validRound: number; hash: string }
  | { type: "vote"; voteType: VoteType; height: number; round: number; hash: string }
  | { type: "timeout"; step: TimeoutStep; height: number; round: number; ms: number }
  | { type: "decide"; height: number; round: number; hash: string; precommits: Vote[] }
  | { type: "evidence"; evidence: Evidence };

interface ProposalRecord {
  validRound: number;
  hash: string;
  valid: boolean;
}

export class TendermintMachine {
  round = 0;
  step: Step = "propose";
  lockedRound = -1;
  lockedValue: string | undefined;
  validRound = -1;
  validValue: string | undefined;
  decided: string | undefined;

  private readonly proposals = new Map<number, ProposalRecord>();
  private readonly votes = new Map<string, VoteSet>();
  private readonly senders = new Map<number, Set<number>>();
  private readonly once = new Set<string>();
  private out: ConsensusAction[] = [];

  constructor(
    readonly height: number,
    private readonly set: ValidatorSet,
    private readonly schedule: ProposerSchedule,
    /** Our index in the set, or -1 for a non-validator that only follows. */
    private readonly self: number,
    private readonly timeouts: ConsensusTimeouts,
  ) {}

  proposer(round: number): number {
    return this.schedule.proposer(this.height, round);
  }

  prevotes(round: number): VoteSet {
    return this.voteSet(round, VoteType.prevote);
  }

  precommits(round: number): VoteSet {
    return this.voteSet(round, VoteType.precommit);
  }

  hasProposal(round: number): boolean {
    return this.proposals.has(round);
  }

  handle(event: ConsensusEvent): ConsensusAction[] {
    this.out = [];
    if (this.decided === undefined) {
      switch (event.type) {
        case "start":
          this.startRound(0);
          break;
        case "proposal":
          if (!this.proposals.has(event.round)) {
            this.proposals.set(event.round, {
              validRound: event.validRound,
              hash: event.hash,
              valid: event.valid,
            });
            this.noteSender(event.round, this.proposer(event.round));
          }
          break;
        case "vote":
          this.addVote(event.vote);
          break;
        case "timeout":
          this.onTimeout(event);
          break;
      }
      this.evaluate();
    }
    return this.out;
  }

  private voteSet(round: number, type: VoteType): VoteSet {
    const key = `${round}/${type}`;
    let vs = this.votes.get(key);
    if (!vs) {
      vs = new VoteSet(this.set);
      this.votes.set(key, vs);
    }
    return vs;
  }

  private addVote(vote: Vote): void {
    const { added, conflict } = this.voteSet(vote.round, vote.type).add(vote);
    if (conflict) this.out.push({ type: "evidence", evidence: makeEvidence(conflict, vote) });
    if (added) this.noteSender(vote.round, vote.validator);
  }

  private noteSender(round: number, validator: number): void {
    let s = this.senders.get(round);
    if (!s) {
      s = new Set();
      this.senders.set(round, s);
    }
    s.add(validator);
  }

  private startRound(round: number): void {
    this.round = round;
    this.step = "propose";
    if (this.proposer(round) === this.self) {
      // L14–L19: propose the valid value if there is one, otherwise a new block.
      if (this.validValue !== undefined)
        this.out.push({
          type: "repropose",
          height: this.height,
          round,
          validRound: this.validRound,
          hash: this.validValue,
        });
      else this.out.push({ type: "build", height: this.height, round });
    } else {
      // L21
      this.schedule_("propose", round);
    }
  }

  private schedule_(step: TimeoutStep, round: number): void {
    const t = this.timeouts;
    const ms =
      step === "propose"
        ? t.proposeMs + round * t.proposeDeltaMs
        : step === "prevote"
          ? t.prevoteMs + round * t.prevoteDeltaMs
          : t.precommitMs + round * t.precommitDeltaMs;
    this.out.push({ type: "timeout", step, height: this.height, round, ms });
  }

  private vote(voteType: VoteType, hash: string): void {
    if (this.self < 0) return;
    this.out.push({ type: "vote", voteType, height: this.height, round: this.round, hash });
  }

  private onTimeout(e: { step: TimeoutStep; height: number; round: number }): void {
    if (e.height !== this.height || e.round !== this.round) return;
    if (e.step === "propose" && this.step === "propose") {
      // L57
      this.vote(VoteType.prevote, "");
      this.step = "prevote";
    } else if (e.step === "prevote" && this.step === "prevote") {
      // L61
      this.vote(VoteType.precommit, "");
      this.step = "precommit";
    } else if (e.step === "precommit") {
      // L65
      this.startRound(this.round + 1);
    }
  }

  private firstTime(rule: string, round: number): boolean {
    const key = `${rule}/${round}`;
    if (this.once.has(key)) return false;
    this.once.add(key);
    return true;
  }

  /** Apply every rule whose condition holds, until none does. */
  private evaluate(): void {
    for (let guard = 0; guard < 1000 && this.decided === undefined; guard++) {
      if (!this.evaluateOnce()) return;
    }
  }

  private evaluateOnce(): boolean {
    const r = this.round;
    const p = this.proposals.get(r);
    const prevotes = this.prevotes(r);

    // L49: a decision can come from any round.
    for (const [round, pr] of this.proposals) {
      if (pr.valid && this.precommits(round).hasQuorumFor(pr.hash)) {
        this.decided = pr.hash;
        this.step = "commit";
        this.out.push({
          type: "decide",
          height: this.height,
          round,
          hash: pr.hash,
          precommits: this.precommits(round).votesFor(pr.hash),
        });
        return false;
      }
    }

    // L55: f+1 weight already in a later round → skip to it.
    let skipTo = -1;
    for (const [round, senders] of this.senders) {
      if (round <= r) continue;
      let w = 0n;
      for (const i of senders) w += this.set.validators[i]!.weight;
      if (this.set.hasOneThird(w) && round > skipTo) skipTo = round;
    }
    if (skipTo > r) {
      this.startRound(skipTo);
      return true;
    }

    if (this.step === "propose" && p) {
      if (p.validRound === -1) {
        // L22
        const ok = p.valid && (this.lockedRound === -1 || this.lockedValue === p.hash);
        this.vote(VoteType.prevote, ok ? p.hash : "");
        this.step = "prevote";
        return true;
      }
      if (p.validRound < r && this.prevotes(p.validRound).hasQuorumFor(p.hash)) {
        // L28
        const ok = p.valid && (this.lockedRound <= p.validRound || this.lockedValue === p.hash);
        this.vote(VoteType.prevote, ok ? p.hash : "");
        this.step = "prevote";
        return true;
      }
    }

    // L34
    if (this.step === "prevote" && prevotes.hasQuorumAny() && this.firstTime("L34", r)) {
      this.schedule_("prevote", r);
      return true;
    }

    // L36
    if (
      p?.valid &&
      (this.step === "prevote" || this.step === "precommit") &&
      prevotes.hasQuorumFor(p.hash) &&
      this.firstTime("L36", r)
    ) {
      if (this.step === "prevote") {
        this.lockedValue = p.hash;
        this.lockedRound = r;
        this.vote(VoteType.precommit, p.hash);
        this.step = "precommit";
      }
      this.validValue = p.hash;
      this.validRound = r;
      return true;
    }

    // L44
    if (this.step === "prevote" && prevotes.hasQuorumFor("")) {
      this.vote(VoteType.precommit, "");
      this.step = "precommit";
      return true;
    }

    // L47
    if (this.precommits(r).hasQuorumAny() && this.firstTime("L47", r)) {
      this.schedule_("precommit", r);
      return true;
    }
    return false;
  }
}

export { valueId };
