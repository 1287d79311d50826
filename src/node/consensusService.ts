/**
 * The consensus driver: runs the pure Tendermint machine for the current height and does its I/O
 * — signing (behind the double-sign guard), the WAL, gossip, timers, building and executing
 * blocks, and committing decisions. Every event goes through one serial queue, so the machine
 * sees one message at a time, in the order the WAL records them.
 *
 * Order for an incoming message: validate on gossip (signature, proposer, height window) → queue
 * → WAL append → execute the proposed block if any → state machine → actions. Our own messages:
 * guard check (fsync) → sign → WAL append with fsync → publish → fed back to the machine.
 */
import type { Chain } from "../chain/index.ts";
import {
  buildCertificate,
  type ConsensusAction,
  type ConsensusEvent,
  type ConsensusTimeouts,
  evidenceCodec,
  evidenceId,
  evidenceInWindow,
  type Proposal,
  ProposerSchedule,
  proposalCodec,
  proposalSignBytes,
  TendermintMachine,
  type TimeoutStep,
  type ValidatorSet,
  verifyEvidence,
  verifyProposalSignature,
  verifyVoteSignature,
  voteCodec,
  voteSignBytes,
} from "../consensus/index.ts";
import { type BlsKeyPair, blsSign } from "../crypto/index.ts";
import { decode, encode, headerHash } from "../encoding/index.ts";
import type { Logger } from "../logger/index.ts";
import type { Mempool } from "../mempool/index.ts";
import type { Metrics } from "../metrics/index.ts";
import type { GossipVerdict, Network } from "../network/index.ts";
import { BlockError } from "../state/index.ts";
import { TxError } from "../tx/index.ts";
import {
  type BeaconMessage,
  type Block,
  type Evidence,
  equalBytes,
  fromHex,
  toHex,
  type Vote,
  VoteType,
} from "../types/index.ts";
import { crashPoint, DoubleSignError, LastSignGuard, Wal, type WalRecord } from "../wal/index.ts";
import { topics, unwrap, wrap } from "./gossip.ts";

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

interface Modules {
  chain: Chain;
  mempool: Mempool;
  network: Network;
  log: Logger;
  metrics?: Metrics;
  /** Beacon messages a proposal should carry (DKG messages, a round output). */
  beaconCandidates?: () => BeaconMessage[];
}

type Msg = { kind: "proposal"; proposal: Proposal } | { kind: "vote"; vote: Vote };

const REJECT_TX_CODES = new Set([
  "TX_MALFORMED",
  "TX_OVERSIZED",
  "TX_TYPE_UNSUPPORTED",
  "TX_UNPROTECTED",
  "TX_BAD_SIGNATURE",
  "TX_WRONG_CHAIN",
]);
const STEP_GAUGE = { propose: 0, prevote: 1, precommit: 2, commit: 3 } as const;

export class ConsensusService {
  /** The validator set, proposer schedule and our index for the current height (sets change per cycle). */
  private set!: ValidatorSet;
  private schedule!: ProposerSchedule;
  private self = -1;
  private readonly schedules = new Map<string, ProposerSchedule>();
  private readonly topics: ReturnType<typeof topics>;
  private machine!: TendermintMachine;
  private wal!: Wal;
  private guard!: LastSignGuard;
  private readonly blocks = new Map<string, Block>();
  private own: { topic: string; body: Uint8Array }[] = [];
  private future: Msg[] = [];
  private readonly pendingEvidence = new Map<string, Evidence>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private queue: Promise<void> = Promise.resolve();
  private rebroadcastTimer: NodeJS.Timeout | undefined;
  private replaying = false;
  private deferred: ConsensusAction[] = [];
  private heightStartedAt = 0;
  private deciding = false;
  private catchUpQueued = false;
  private seq = 0;
  private stopped = false;

  constructor(
    private readonly opts: ConsensusServiceOptions,
    private readonly m: Modules,
  ) {
    this.useSetFor(m.chain.head.height + 1);
    if (opts.validatorKey && this.self < 0)
      m.log.warn("Validator key is not in the validator set; following only");
    this.topics = topics(m.chain.genesis.chainId);
  }

  /** One schedule per set (a set serves a whole cycle; the map keeps the last few). */
  private scheduleFor(set: ValidatorSet): ProposerSchedule {
    const k = toHex(set.hash);
    let s = this.schedules.get(k);
    if (!s) {
      s = new ProposerSchedule(set, this.m.chain.preset.cycleLength);
      this.schedules.set(k, s);
      if (this.schedules.size > 4) this.schedules.delete(this.schedules.keys().next().value!);
    }
    return s;
  }

  /** Switch to the validator set of `height`, as the chain stores it. */
  private useSetFor(height: number): void {
    const set = this.m.chain.validatorsAt(height);
    if (this.set && equalBytes(this.set.hash, set.hash)) return;
    const was = this.self;
    this.set = set;
    this.schedule = this.scheduleFor(set);
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
    const { chain, network } = this.m;
    const { wal, replay } = Wal.open(this.opts.walPath);
    this.wal = wal;
    this.guard = new LastSignGuard(this.opts.signStatePath);

    network.subscribe(
      this.topics.proposal,
      (d) => this.validateProposalGossip(d),
      (d) => this.onGossip("proposal", d),
    );
    network.subscribe(
      this.topics.vote,
      (d) => this.validateVoteGossip(d),
      (d) => this.onGossip("vote", d),
    );
    network.subscribe(
      this.topics.evidence,
      (d) => this.validateEvidenceGossip(d),
      () => undefined,
    );
    network.subscribe(
      this.topics.tx,
      (d) => this.validateTxGossip(d),
      () => undefined,
    );

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

  /** Send a transaction received over RPC to peers. */
  broadcastTx(raw: Uint8Array): void {
    void this.m.network.publish(this.topics.tx, raw);
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
    if (replay.length === 0 && this.machine) await this.wal.endHeight(height - 1);
    this.useSetFor(height);
    this.machine = new TendermintMachine(height, this.set, this.schedule, this.self, this.opts.timeouts);
    this.blocks.clear();
    this.own = [];
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
      if (r.own)
        this.own.push({ topic: r.kind === "vote" ? this.topics.vote : this.topics.proposal, body: r.data });
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
      for (const a of actions) if (a.type === "evidence") this.addEvidence(a.evidence);
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
          this.addEvidence(a.evidence);
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

  private onGossip(kind: "proposal" | "vote", data: Uint8Array): void {
    let msg: Msg;
    try {
      const body = unwrap(data);
      msg =
        kind === "vote"
          ? { kind, vote: decode(voteCodec, body) }
          : { kind, proposal: decode(proposalCodec, body) };
    } catch {
      return; // the validator already rejected what does not decode
    }
    this.enqueue(() => this.onMessage(msg, false));
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
    const { chain, mempool } = this.m;
    const proposer = this.set.validators[this.self]!.address;
    // Only evidence a block at this height may carry (spec/consensus.md §Evidence): from an
    // earlier height, at most one cycle old, not yet included.
    const h = this.machine.height;
    const evidence = [...this.pendingEvidence.values()].filter(
      (e) =>
        evidenceInWindow(e.a.height, h, chain.preset.cycleLength) &&
        !chain.isEvidenceCommitted(evidenceId(e)),
    );
    const built = await chain.buildProposal(
      () => mempool.candidates(),
      proposer,
      BigInt(Date.now()),
      evidence.slice(0, 64),
      this.m.beaconCandidates?.() ?? [],
    );
    if (built.rejected.length > 0) mempool.rejected(built.rejected);
    await this.propose(round, -1, built.block);
  }

  /** Sign only what the double-sign guard allows (it fsyncs the position first); undefined if refused. */
  private async signGuarded(
    height: number,
    round: number,
    step: 1 | 2 | 3,
    domain: "proposal" | "vote",
    signBytes: Uint8Array,
  ): Promise<Uint8Array | undefined> {
    try {
      await this.guard.check(height, round, step, signBytes);
    } catch (e) {
      if (!(e instanceof DoubleSignError)) throw e;
      this.m.log.error({ err: e.message }, `Refused to sign a ${domain}`);
      return undefined;
    }
    return blsSign(this.opts.validatorKey!.secretKey, domain, signBytes);
  }

  private async propose(round: number, validRound: number, block: Block): Promise<void> {
    const h = this.machine.height;
    const hash = headerHash(block.header);
    const fields = { height: h, round, polRound: validRound + 1 };
    const signature = await this.signGuarded(
      h,
      round,
      1,
      "proposal",
      proposalSignBytes(this.m.chain.genesis.chainId, fields, hash),
    );
    if (!signature) return;
    const proposal: Proposal = { ...fields, block, signature };
    const body = encode(proposalCodec, proposal);
    await this.wal.writeDurable({ t: "msg", height: h, kind: "proposal", data: body, own: true });
    crashPoint("after-own-proposal-wal");
    this.own.push({ topic: this.topics.proposal, body });
    await this.m.network.publish(this.topics.proposal, wrap(body, this.seq++));
    this.m.log.debug(
      { height: h, round, txs: block.txs.length, hash: toHex(hash).slice(0, 18) },
      "Proposed block",
    );
    this.blocks.set(toHex(hash), block);
    await this.feed({ type: "proposal", round, validRound, hash: toHex(hash), valid: true });
  }

  private async signAndSendVote(type: VoteType, round: number, hashHex: string): Promise<void> {
    const h = this.machine.height;
    const chainId = this.m.chain.genesis.chainId;
    const unsigned = {
      type,
      height: h,
      round,
      blockHash: hashHex ? fromHex(hashHex) : new Uint8Array(0),
      validator: this.self,
    };
    const step = type === VoteType.prevote ? 2 : 3;
    const signature = await this.signGuarded(h, round, step, "vote", voteSignBytes(chainId, unsigned));
    if (!signature) return;
    const vote: Vote = { ...unsigned, signature };
    const body = encode(voteCodec, vote);
    await this.wal.writeDurable({ t: "msg", height: h, kind: "vote", data: body, own: true });
    crashPoint("after-own-vote-wal");
    this.own.push({ topic: this.topics.vote, body });
    await this.m.network.publish(this.topics.vote, wrap(body, this.seq++));
    this.m.log.info(
      {
        height: h,
        round,
        type: type === VoteType.prevote ? "prevote" : "precommit",
        block: hashHex.slice(0, 16) || "nil",
      },
      "Signed vote",
    );
    if (this.opts.byzantine === "double-prevote" && type === VoteType.prevote)
      await this.equivocate(unsigned);
    await this.feed({ type: "vote", vote });
  }

  /** Test-only: sign a second, conflicting prevote, bypassing the guard. */
  private async equivocate(v: Omit<Vote, "signature">): Promise<void> {
    const other = {
      ...v,
      blockHash: v.blockHash.length === 0 ? new Uint8Array(32).fill(0xee) : new Uint8Array(0),
    };
    const sig = blsSign(
      this.opts.validatorKey!.secretKey,
      "vote",
      voteSignBytes(this.m.chain.genesis.chainId, other),
    );
    const body = encode(voteCodec, { ...other, signature: sig });
    await this.m.network.publish(this.topics.vote, wrap(body, this.seq++));
    this.m.log.warn({ height: v.height, round: v.round }, "Byzantine test mode: sent a conflicting prevote");
  }

  private rebroadcast(): void {
    if (!this.machine || this.machine.decided !== undefined) return;
    if (performance.now() - this.heightStartedAt < this.opts.rebroadcastMs) return;
    for (const o of this.own) void this.m.network.publish(o.topic, wrap(o.body, this.seq++));
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
    await this.wal.endHeight(h);
    for (const [id, e] of this.pendingEvidence)
      if (chain.isEvidenceCommitted(id) || !evidenceInWindow(e.a.height, h + 1, chain.preset.cycleLength))
        this.pendingEvidence.delete(id);
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

  private addEvidence(e: Evidence): void {
    const id = evidenceId(e);
    if (this.pendingEvidence.has(id) || this.m.chain.isEvidenceCommitted(id)) return;
    this.pendingEvidence.set(id, e);
    this.m.metrics?.evidenceSeen.inc();
    const offender =
      this.m.chain.tryValidatorsAt(e.a.height)?.validators[e.a.validator]?.address ?? new Uint8Array(20);
    this.m.log.warn(
      { height: e.a.height, round: e.a.round, validator: toHex(offender) },
      "Equivocation detected",
    );
    void this.m.network.publish(this.topics.evidence, encode(evidenceCodec, e));
  }

  // ---- gossip validation -----------------------------------------------------------------

  private validateVoteGossip(data: Uint8Array): GossipVerdict {
    const vote = decode(voteCodec, unwrap(data));
    const h = this.height;
    if (vote.height + 1 < h || vote.height > h + 1) return "ignore";
    const set = this.m.chain.tryValidatorsAt(vote.height);
    if (!set) return "ignore"; // the next cycle's set is decided by a block we do not have yet
    const v = set.validators[vote.validator];
    if (!v) return "reject";
    return verifyVoteSignature(this.m.chain.genesis.chainId, v.blsKey, vote) ? "accept" : "reject";
  }

  private validateProposalGossip(data: Uint8Array): GossipVerdict {
    const p = decode(proposalCodec, unwrap(data), 16 * 1024 * 1024);
    const h = this.height;
    if (p.height < h || p.height > h + 1) return "ignore";
    if (p.block.header.height !== p.height || p.round > 1_000_000) return "reject";
    const set = this.m.chain.tryValidatorsAt(p.height);
    if (!set) return "ignore";
    const proposer = set.validators[this.scheduleFor(set).proposer(p.height, p.round)]!;
    if (!equalBytes(proposer.address, p.block.header.proposer)) return "reject";
    const ok = verifyProposalSignature(
      this.m.chain.genesis.chainId,
      proposer.blsKey,
      p,
      headerHash(p.block.header),
    );
    return ok ? "accept" : "reject";
  }

  private validateEvidenceGossip(data: Uint8Array): GossipVerdict {
    const e = decode(evidenceCodec, data);
    const id = evidenceId(e);
    if (this.m.chain.isEvidenceCommitted(id)) return "ignore";
    const set = this.m.chain.tryValidatorsAt(e.a.height);
    if (!set) return "ignore";
    verifyEvidence(set, this.m.chain.genesis.chainId, e);
    if (!this.pendingEvidence.has(id)) this.addEvidence(e);
    return "accept";
  }

  private async validateTxGossip(data: Uint8Array): Promise<GossipVerdict> {
    try {
      await this.m.mempool.add(data);
      return "accept";
    } catch (e) {
      if (e instanceof TxError) return REJECT_TX_CODES.has(e.code) ? "reject" : "ignore";
      throw e;
    }
  }
}
