/**
 * The consensus driver: runs the pure Tendermint machine for the current height and does its I/O
 * — signing (behind the double-sign guard), the WAL, timers, building and executing blocks, and
 * committing decisions. Gossip is the reactor's (reactor.ts), evidence the pool's. Every event goes
 * through one serial queue, so the machine sees one message at a time, in the order the WAL
 * records them.
 *
 * Order for an incoming message: validated by the reactor (signature, proposer, height window) →
 * queue → WAL append → execute the proposed block if any → state machine → actions. Our own
 * messages: guard check (fsync) → sign → WAL append with fsync → publish → fed back to the machine.
 */
import type { Chain } from "../../chain/index.ts";
import {
  buildCertificate,
  type ConsensusAction,
  type ConsensusEvent,
  type ConsensusTimeouts,
  type ProposerSchedule,
  proposalCodec,
  TendermintMachine,
  type TimeoutStep,
  type ValidatorSet,
  voteCodec,
} from "../../consensus/index.ts";
import type { BlsKeyPair } from "../../crypto/index.ts";
import { decode, encode, headerHash } from "../../encoding/index.ts";
import type { Logger } from "../../logger/index.ts";
import type { Metrics } from "../../metrics/index.ts";
import { BlockError, type RecoveredTx } from "../../state/index.ts";
import type { TxError } from "../../tx/index.ts";
import {
  type BeaconMessage,
  type Block,
  type Evidence,
  equalBytes,
  toHex,
  type Vote,
  VoteType,
} from "../../types/index.ts";
import { crashPoint, LastSignGuard, Wal, type WalRecord } from "../../wal/index.ts";
import type { EvidencePool } from "../evidence/pool.ts";
import { OwnMessages } from "./ownMessages.ts";
import type { ConsensusMsg, ConsensusReactor } from "./reactor.ts";

export interface ConsensusServiceOptions {
  timeouts: ConsensusTimeouts;
  /** Our validator key; without one the node follows and never signs. */
  validatorKey?: BlsKeyPair;
  walPath: string;
  signStatePath: string;
  /** How often our own messages of a stuck height are gossiped again. */
  rebroadcastMs: number;
  /** Test-only misbehaviour: also sign a conflicting prevote for every prevote. */
  byzantine?: "double-prevote";
}

/** Where proposals get their transactions, and learn which ones a block left out. */
export interface TxSource {
  candidates(): Iterable<RecoveredTx>;
  rejected(items: { rt: RecoveredTx; error: TxError }[]): void;
}

/** The chain as the driver uses it. */
export type DriverChain = Pick<
  Chain,
  | "head"
  | "genesis"
  | "preset"
  | "validatorsAt"
  | "onBlock"
  | "validateProposal"
  | "buildProposal"
  | "commitDecided"
>;

interface Modules {
  chain: DriverChain;
  reactor: ConsensusReactor;
  txs: TxSource;
  evidence: { pool: EvidencePool; report(e: Evidence): void };
  log: Logger;
  metrics?: Metrics;
  /** Beacon messages a proposal should carry (DKG messages, a round output). */
  beaconCandidates?: () => BeaconMessage[];
}

type Msg = ConsensusMsg;
const STEP_GAUGE = { propose: 0, prevote: 1, precommit: 2, commit: 3 } as const;

export class ConsensusDriver {
  /** The validator set, proposer schedule and our index for the current height (sets change per cycle). */
  private set!: ValidatorSet;
  private schedule!: ProposerSchedule;
  private self = -1;
  private machine!: TendermintMachine;
  private wal!: Wal;
  private guard!: LastSignGuard;
  private readonly blocks = new Map<string, Block>();
  private readonly ownMsgs: OwnMessages;
  private future: Msg[] = [];
  private readonly timers = new Set<NodeJS.Timeout>();
  private queue: Promise<void> = Promise.resolve();
  private rebroadcastTimer: NodeJS.Timeout | undefined;
  private replaying = false;
  private deferred: ConsensusAction[] = [];
  private heightStartedAt = 0;
  private deciding = false;
  private catchUpQueued = false;
  private stopped = false;

  constructor(
    private readonly opts: ConsensusServiceOptions,
    private readonly m: Modules,
  ) {
    this.ownMsgs = new OwnMessages(
      { chainId: m.chain.genesis.chainId, key: opts.validatorKey, byzantine: opts.byzantine },
      { reactor: m.reactor, log: m.log, wal: () => this.wal, guard: () => this.guard },
    );
    this.useSetFor(m.chain.head.height + 1);
    if (opts.validatorKey && this.self < 0)
      m.log.warn("Validator key is not in the validator set; following only");
  }

  /** Switch to the validator set of `height`, as the chain stores it. */
  private useSetFor(height: number): void {
    const set = this.m.chain.validatorsAt(height);
    if (this.set && equalBytes(this.set.hash, set.hash)) return;
    const was = this.self;
    this.set = set;
    this.schedule = this.m.reactor.scheduleFor(set);
    const pk = this.opts.validatorKey?.publicKey;
    this.self = pk ? set.validators.findIndex((v) => equalBytes(v.blsKey, pk)) : -1;
    if (this.machine && was !== this.self)
      this.m.log.info(
        { height, validator: this.self, validators: set.size },
        this.self >= 0
          ? "Our key is in the validator set from this height"
          : "Our key left the validator set",
      );
  }

  get height(): number {
    return this.machine?.height ?? this.m.chain.head.height + 1;
  }
  get round(): number {
    return this.machine?.round ?? 0;
  }
  get step(): string {
    return this.machine?.step ?? "propose";
  }
  get validatorIndex(): number {
    return this.self;
  }

  start(): void {
    const { chain } = this.m;
    const { wal, replay } = Wal.open(this.opts.walPath);
    this.wal = wal;
    this.guard = new LastSignGuard(this.opts.signStatePath);
    this.m.reactor.start((msg) => this.enqueue(() => this.onMessage(msg, false)));

    // Blocks imported by sync move us to the next height at once (once per burst of imports).
    chain.onBlock((b) => {
      if (this.deciding || this.catchUpQueued || b.header.height < this.height) return;
      this.catchUpQueued = true;
      this.enqueue(async () => {
        this.catchUpQueued = false;
        if (chain.head.height >= this.height) await this.enterHeight(chain.head.height + 1, []);
      });
    });
    const head = chain.head.height;
    this.enqueue(() =>
      this.enterHeight(
        head + 1,
        replay.filter((r) => r.t !== "end" && r.height === head + 1),
      ),
    );
    this.rebroadcastTimer = setInterval(() => this.rebroadcast(), this.opts.rebroadcastMs);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.rebroadcastTimer);
    for (const t of this.timers) clearTimeout(t);
    await this.queue;
    this.wal?.close();
  }

  private enqueue(fn: () => Promise<void> | void): void {
    this.queue = this.queue
      .then(async () => {
        if (!this.stopped) await fn();
      })
      .catch((e) => this.m.log.error({ err: e }, "Consensus step failed"));
  }

  // ---- heights ---------------------------------------------------------------------------

  private async enterHeight(height: number, replay: WalRecord[]): Promise<void> {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    if (replay.length === 0 && this.machine) this.wal.endHeight(height - 1);
    this.useSetFor(height);
    this.machine = new TendermintMachine(height, this.set, this.schedule, this.self, this.opts.timeouts);
    this.blocks.clear();
    this.ownMsgs.reset();
    this.heightStartedAt = performance.now();
    this.m.metrics?.consensusHeight.set(height);
    this.m.metrics?.finalizedHeight.set(height - 1);

    if (replay.length > 0) {
      this.replaying = true;
      this.deferred = [];
      await this.feed({ type: "start" });
      for (const r of replay) await this.replayRecord(r);
      this.replaying = false;
      const leftover = this.deferred;
      this.deferred = [];
      this.m.log.info({ height, records: replay.length, resumed: leftover.length }, "Replayed consensus WAL");
      await this.execute(leftover);
    } else {
      await this.feed({ type: "start" });
    }
    const buffered = this.future.filter((f) => this.msgHeight(f) === height);
    this.future = this.future.filter((f) => this.msgHeight(f) > height);
    for (const f of buffered) await this.onMessage(f, false);
  }

  private msgHeight(m: Msg): number {
    return m.kind === "vote" ? m.vote.height : m.proposal.height;
  }

  private async replayRecord(r: WalRecord): Promise<void> {
    if (r.t === "timeout") {
      await this.feed({ type: "timeout", step: r.step, height: r.height, round: r.round });
    } else if (r.t === "msg") {
      const msg: Msg =
        r.kind === "vote"
          ? { kind: "vote", vote: decode(voteCodec, r.data) }
          : { kind: "proposal", proposal: decode(proposalCodec, r.data) };
      if (r.own) this.matchDeferred(msg);
      await this.onMessage(msg, true);
      if (r.own) this.ownMsgs.remember(r.kind, r.data);
    }
  }

  /** An own message found in the WAL answers the action that asked for it. */
  private matchDeferred(msg: Msg): void {
    const i = this.deferred.findIndex((a) =>
      msg.kind === "vote"
        ? a.type === "vote" && a.voteType === msg.vote.type && a.round === msg.vote.round
        : (a.type === "build" || a.type === "repropose") && a.round === msg.proposal.round,
    );
    if (i >= 0) this.deferred.splice(i, 1);
  }

  // ---- events ----------------------------------------------------------------------------

  private async feed(event: ConsensusEvent): Promise<void> {
    const actions = this.machine.handle(event);
    const mc = this.m.metrics;
    mc?.consensusRound.set(this.machine.round);
    mc?.consensusStep.set(STEP_GAUGE[this.machine.step]);
    if (this.replaying) {
      this.deferred.push(...actions.filter((a) => a.type !== "evidence"));
      for (const a of actions) if (a.type === "evidence") this.m.evidence.report(a.evidence);
      return;
    }
    await this.execute(actions);
  }

  private async execute(actions: ConsensusAction[]): Promise<void> {
    for (const a of actions) {
      switch (a.type) {
        case "timeout":
          this.scheduleTimeout(a.step, a.height, a.round, a.ms);
          break;
        case "build":
          await this.buildAndPropose(a.round);
          break;
        case "repropose": {
          const block = this.blocks.get(a.hash);
          if (block) await this.propose(a.round, a.validRound, block);
          break;
        }
        case "vote":
          await this.signAndSendVote(a.voteType, a.round, a.hash);
          break;
        case "decide":
          await this.decide(a.round, a.hash, a.precommits);
          break;
        case "evidence":
          this.m.evidence.report(a.evidence);
          break;
      }
    }
  }

  private scheduleTimeout(step: TimeoutStep, height: number, round: number, ms: number): void {
    if (height !== this.machine.height) return;
    const t = setTimeout(() => {
      this.timers.delete(t);
      this.enqueue(async () => {
        if (height !== this.machine.height) return;
        this.wal.write({ t: "timeout", height, round, step });
        await this.feed({ type: "timeout", step, height, round });
      });
    }, ms);
    this.timers.add(t);
  }

  private async onMessage(msg: Msg, replay: boolean): Promise<void> {
    const h = this.machine.height;
    const mh = this.msgHeight(msg);
    if (mh > h) {
      if (mh === h + 1 && this.future.length < 10_000) this.future.push(msg);
      return;
    }
    if (mh < h || this.machine.decided !== undefined) return;
    if (msg.kind === "vote") {
      const v = msg.vote;
      const set =
        v.type === VoteType.prevote ? this.machine.prevotes(v.round) : this.machine.precommits(v.round);
      const known = set.get(v.validator);
      if (known && equalBytes(known.blockHash, v.blockHash)) return; // a re-sent copy: nothing new to log
      if (!replay)
        this.wal.write({ t: "msg", height: h, kind: "vote", data: encode(voteCodec, v), own: false });
      await this.feed({ type: "vote", vote: v });
      return;
    }
    const p = msg.proposal;
    if (this.machine.hasProposal(p.round)) return;
    if (!replay)
      this.wal.write({ t: "msg", height: h, kind: "proposal", data: encode(proposalCodec, p), own: false });
    const hash = headerHash(p.block.header);
    let valid = true;
    try {
      await this.m.chain.validateProposal(p.block);
    } catch (e) {
      if (!(e instanceof BlockError)) throw e;
      valid = false;
      this.m.log.warn(
        { height: h, round: p.round, code: e.code, err: e.message },
        "Proposed block is invalid",
      );
    }
    this.blocks.set(toHex(hash), p.block);
    await this.feed({
      type: "proposal",
      round: p.round,
      validRound: p.polRound - 1,
      hash: toHex(hash),
      valid,
    });
  }

  // ---- own messages ----------------------------------------------------------------------

  private async buildAndPropose(round: number): Promise<void> {
    const { chain, txs } = this.m;
    const proposer = this.set.validators[this.self]!.address;
    const built = await chain.buildProposal(
      () => txs.candidates(),
      proposer,
      BigInt(Date.now()),
      this.m.evidence.pool.forBlock(this.machine.height),
      this.m.beaconCandidates?.() ?? [],
    );
    if (built.rejected.length > 0) txs.rejected(built.rejected);
    await this.propose(round, -1, built.block);
  }

  private async propose(round: number, validRound: number, block: Block): Promise<void> {
    const proposal = await this.ownMsgs.propose(this.machine.height, round, validRound, block);
    if (!proposal) return;
    const hash = toHex(headerHash(block.header));
    this.blocks.set(hash, block);
    await this.feed({ type: "proposal", round, validRound, hash, valid: true });
  }

  private async signAndSendVote(type: VoteType, round: number, hashHex: string): Promise<void> {
    const vote = await this.ownMsgs.vote(this.machine.height, round, type, hashHex, this.self);
    if (vote) await this.feed({ type: "vote", vote });
  }

  private rebroadcast(): void {
    if (!this.machine || this.machine.decided !== undefined) return;
    if (performance.now() - this.heightStartedAt < this.opts.rebroadcastMs) return;
    this.ownMsgs.rebroadcast();
  }

  // ---- decisions and evidence ------------------------------------------------------------

  private async decide(round: number, hashHex: string, precommits: Vote[]): Promise<void> {
    const { chain, log, metrics } = this.m;
    const h = this.machine.height;
    const block = this.blocks.get(hashHex);
    if (!block) {
      log.warn({ height: h, hash: hashHex.slice(0, 16) }, "Decided a block we do not have; waiting for sync");
      return;
    }
    const cert = buildCertificate(this.set, precommits);
    this.deciding = true;
    try {
      if (chain.head.height < h) await chain.commitDecided(block, cert);
    } catch (e) {
      if (!(e instanceof BlockError)) throw e;
      log.warn({ height: h, err: e.message }, "Commit of the decided block failed");
      return;
    } finally {
      this.deciding = false;
    }
    crashPoint("after-commit");
    this.wal.endHeight(h);
    this.m.evidence.pool.prune(h);
    metrics?.roundsPerHeight.observe(round + 1);
    metrics?.finalityLatencySeconds.observe((performance.now() - this.heightStartedAt) / 1000);
    metrics?.finalizedHeight.set(h);
    log.info(
      { height: h, round, txs: block.txs.length, signers: precommits.length, hash: hashHex.slice(0, 16) },
      "Finalized block",
    );
    const t = setTimeout(() => {
      this.timers.delete(t);
      this.enqueue(async () => {
        if (chain.head.height + 1 > this.machine.height) await this.enterHeight(chain.head.height + 1, []);
      });
    }, this.opts.timeouts.commitMs);
    this.timers.add(t);
  }
}
