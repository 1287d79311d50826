/**
 * Validators over the simulated WAN, each running the real Tendermint machine
 * (src/consensus TendermintMachine, VoteSet, ValidatorSet, ProposerSchedule) the way the node's
 * driver does (src/services/consensus/driver.ts): one serial queue per node (here its simulated
 * CPU), the reactor's height window, messages for the next height buffered, own messages fed
 * back, own messages of an undecided height rebroadcast every `rebroadcastMs`, a pause of
 * `commitMs` after each decision. Proposals carry real blocks (real encoding, real BLS proposal
 * signature); votes are real BLS signatures; the certificate of each height is aggregated and
 * verified for real once. Each receiver's signature check is charged as simulated CPU time
 * (costs.ts) and checked for real once per distinct message.
 */
import {
  buildCertificate,
  type ConsensusAction,
  type ConsensusEvent,
  type ConsensusTimeouts,
  EMPTY_CERTIFICATE,
  type Proposal,
  ProposerSchedule,
  proposalCodec,
  proposalSignBytes,
  signVote,
  TendermintMachine,
  ValidatorSet,
  verifyCertificate,
  verifyVoteSignature,
  voteCodec,
} from "../consensus/index.ts";
import { type BlsKeyPair, blsKeyFromIkm, blsSign } from "../crypto/index.ts";
import { commitCodec, encode, headerHash } from "../encoding/index.ts";
import type { Block, CommitCertificate, Vote } from "../types/index.ts";
import { fromHex, toHex } from "../types/index.ts";
import type { SimCosts } from "./costs.ts";
import type { Simulator } from "./engine.ts";
import { Gossip, type GossipMessage, type GossipOptions } from "./gossip.ts";
import type { Rng } from "./rng.ts";
import type { Wan } from "./wan.ts";

export const SIM_CHAIN_ID = 7227n;

type Body = { kind: "proposal"; proposal: Proposal; hash: string } | { kind: "vote"; vote: Vote; id: string };

export interface ConsensusNetOptions {
  weights: bigint[];
  timeouts: ConsensusTimeouts;
  commitMs: number;
  rebroadcastMs: number;
  cycleLength: number;
  /** Transactions (real signed transfers) in every proposed block. */
  txs: Uint8Array[];
  costs: SimCosts;
  gossip: GossipOptions;
  /** Non-validator nodes after the validators: they verify, relay and follow. */
  followers?: number;
}

interface NodeState {
  machine: TendermintMachine;
  heightStart: number;
  own: GossipMessage<Body>[];
  blocks: Map<string, Block>;
  future: GossipMessage<Body>[];
  /** Hash of the block this node decided at each height. */
  decided: Map<number, string>;
}

export interface Decision {
  height: number;
  node: number;
  round: number;
  /** From the node entering the height to its decision. */
  heightMs: number;
  /** From the decided block's proposal being signed to this node's decision. */
  blockToFinalMs: number;
  at: number;
}

export class ConsensusNet {
  readonly set: ValidatorSet;
  readonly keys: BlsKeyPair[];
  readonly gossip: Gossip<Body>;
  readonly decisions: Decision[] = [];
  readonly evidence: number[] = [];
  private readonly schedule: ProposerSchedule;
  private readonly nodes: NodeState[] = [];
  private readonly certs = new Map<number, { hash: string; cert: CommitCertificate }>();
  private readonly proposedAt = new Map<string, number>();
  private readonly checked = new Set<string>();
  /** Nodes that run nothing (crashed from the start). */
  readonly down = new Set<number>();
  signatures = 0;
  verifiedForReal = 0;
  /** Encoded size of the last proposal and vote (bodies, without the gossip frame). */
  proposalBytes = 0;
  voteBytes = 0;

  constructor(
    private readonly sim: Simulator,
    readonly wan: Wan,
    rng: Rng,
    private readonly opts: ConsensusNetOptions,
  ) {
    const keyRng = rng.fork("keys");
    this.keys = opts.weights.map(() => blsKeyFromIkm(keyRng.bytes(32)));
    this.set = new ValidatorSet(
      opts.weights.map((weight, i) => ({
        address: addressOf(i),
        weight,
        blsKey: this.keys[i]!.publicKey,
      })),
    );
    this.schedule = new ProposerSchedule(this.set, opts.cycleLength);
    this.gossip = new Gossip<Body>(
      wan,
      rng.fork("gossip"),
      opts.weights.length + (opts.followers ?? 0),
      { validate: (n, m) => this.validate(n, m), deliver: (n, m) => this.deliver(n, m) },
      opts.gossip,
    );
  }

  /** Validators and followers (nodes that follow consensus without a vote, such as miners). */
  get size(): number {
    return this.opts.weights.length + (this.opts.followers ?? 0);
  }

  start(): void {
    for (let i = 0; i < this.size; i++) {
      this.nodes.push({
        machine: this.newMachine(i, 1),
        heightStart: 0,
        own: [],
        blocks: new Map(),
        future: [],
        decided: new Map(),
      });
    }
    for (const i of this.down) this.wan.setUp(i, false);
    this.gossip.refreshMesh();
    for (let i = 0; i < this.size; i++) {
      if (this.down.has(i)) continue;
      this.enterHeight(i, 1);
      this.tickRebroadcast(i);
    }
  }

  /** Highest height decided by every live validator. */
  finalizedByAll(): number {
    let min = Number.POSITIVE_INFINITY;
    for (let i = 0; i < this.opts.weights.length; i++) {
      if (this.down.has(i)) continue;
      min = Math.min(min, this.nodes[i]!.machine.height - 1);
    }
    return min;
  }

  heightOf(node: number): number {
    return this.nodes[node]!.machine.height;
  }

  private newMachine(i: number, height: number): TendermintMachine {
    const self = i < this.opts.weights.length ? i : -1;
    return new TendermintMachine(height, this.set, this.schedule, self, this.opts.timeouts);
  }

  private enterHeight(i: number, height: number): void {
    const s = this.nodes[i]!;
    s.machine = this.newMachine(i, height);
    s.heightStart = this.sim.now;
    s.own = [];
    s.blocks.clear();
    this.feed(i, { type: "start" });
    const buffered = s.future.filter((m) => msgHeight(m.body) === height);
    s.future = s.future.filter((m) => msgHeight(m.body) > height);
    for (const m of buffered) this.onMessage(i, m);
  }

  private tickRebroadcast(i: number): void {
    this.sim.after(this.opts.rebroadcastMs, () => {
      this.wan.cpu(i, 0, () => {
        const s = this.nodes[i]!;
        if (s.machine.decided === undefined && this.sim.now - s.heightStart >= this.opts.rebroadcastMs)
          for (const m of s.own) this.publish(i, this.gossip.message(m.topic, m.bytes, m.body), false);
      });
      this.tickRebroadcast(i);
    });
  }

  // ---- the reactor: checks at the edge -------------------------------------------------

  private validate(
    node: number,
    m: GossipMessage<Body>,
  ): { costMs: number; verdict: "accept" | "ignore" | "reject" } {
    const h = this.nodes[node]!.machine.height;
    const c = this.opts.costs;
    const b = m.body;
    if (b.kind === "vote") {
      const v = b.vote;
      if (v.height + 1 < h || v.height > h + 1) return { costMs: 0, verdict: "ignore" };
      this.checkOnce(b.id, () => verifyVoteSignature(SIM_CHAIN_ID, this.keys[v.validator]!.publicKey, v));
      return { costMs: c.blsVerifyMs, verdict: "accept" };
    }
    const p = b.proposal;
    if (p.height < h || p.height > h + 1) return { costMs: 0, verdict: "ignore" };
    // The proposal signature was made by this simulator a moment ago; its check is charged.
    return { costMs: c.blsVerifyMs + c.decodeBlockMsPerKb * (m.bytes / 1024), verdict: "accept" };
  }

  private checkOnce(id: string, check: () => boolean): void {
    if (this.checked.has(id)) return;
    this.checked.add(id);
    this.verifiedForReal++;
    if (!check()) throw new Error(`simulated signature ${id} does not verify`);
  }

  private deliver(node: number, m: GossipMessage<Body>): void {
    this.onMessage(node, m);
  }

  // ---- the driver -------------------------------------------------------------------------

  private onMessage(i: number, m: GossipMessage<Body>): void {
    const s = this.nodes[i]!;
    const h = s.machine.height;
    const mh = msgHeight(m.body);
    if (mh > h) {
      if (mh === h + 1 && s.future.length < 10_000) s.future.push(m);
      return;
    }
    if (mh < h || s.machine.decided !== undefined) return;
    const b = m.body;
    if (b.kind === "vote") {
      this.feed(i, { type: "vote", vote: b.vote });
      return;
    }
    const p = b.proposal;
    if (s.machine.hasProposal(p.round)) return;
    s.blocks.set(b.hash, p.block);
    // Executing the proposed block is the driver's validity check: charged, then fed.
    this.wan.cpu(i, this.opts.costs.applyTxMs * p.block.txs.length, () => {
      if (s.machine.height !== p.height) return;
      this.feed(i, {
        type: "proposal",
        round: p.round,
        validRound: p.polRound - 1,
        hash: b.hash,
        valid: true,
      });
    });
  }

  private feed(i: number, e: ConsensusEvent): void {
    const s = this.nodes[i]!;
    const machine = s.machine;
    for (const a of machine.handle(e)) this.execute(i, machine, a);
  }

  private execute(i: number, machine: TendermintMachine, a: ConsensusAction): void {
    const s = this.nodes[i]!;
    const c = this.opts.costs;
    switch (a.type) {
      case "timeout":
        this.sim.after(a.ms, () =>
          this.wan.cpu(i, 0, () => {
            if (s.machine === machine)
              this.feed(i, { type: "timeout", step: a.step, height: a.height, round: a.round });
          }),
        );
        break;
      case "build": {
        const block = this.buildBlock(i, a.height);
        this.wan.cpu(i, c.buildTxMs * block.txs.length + c.blsSignMs, () => {
          if (s.machine === machine) this.propose(i, a.round, -1, block);
        });
        break;
      }
      case "repropose": {
        const block = s.blocks.get(a.hash);
        if (block)
          this.wan.cpu(
            i,
            c.blsSignMs,
            () => s.machine === machine && this.propose(i, a.round, a.validRound, block),
          );
        break;
      }
      case "vote":
        this.wan.cpu(i, c.blsSignMs, () => {
          if (s.machine !== machine) return;
          const vote = signVote(SIM_CHAIN_ID, this.keys[i]!.secretKey, {
            type: a.voteType,
            height: a.height,
            round: a.round,
            blockHash: a.hash ? fromHex(a.hash) : new Uint8Array(0),
            validator: i,
          });
          this.signatures++;
          const id = `${a.height}/${a.round}/${a.voteType}/${i}/${a.hash}`;
          this.voteBytes = encode(voteCodec, vote).length;
          this.publish(i, this.gossip.message("vote", this.voteBytes, { kind: "vote", vote, id }), true);
          this.feed(i, { type: "vote", vote });
        });
        break;
      case "decide":
        this.decide(i, a.height, a.round, a.hash, a.precommits);
        break;
      case "evidence":
        this.evidence.push(i);
        break;
    }
  }

  private publish(i: number, m: GossipMessage<Body>, remember: boolean): void {
    if (remember) this.nodes[i]!.own.push(m);
    this.gossip.publish(i, m, (ms, f) => this.sim.after(ms, f));
  }

  private buildBlock(i: number, height: number): Block {
    const prev = this.certs.get(height - 1);
    const zero = new Uint8Array(32);
    return {
      header: {
        chainId: SIM_CHAIN_ID,
        height,
        parentHash: prev ? fromHex(prev.hash) : zero,
        time: BigInt(Math.round(this.sim.now)),
        proposer: addressOf(i),
        stateRoot: zero,
        txRoot: zero,
        receiptsRoot: zero,
        evidenceRoot: zero,
        beaconMsgsRoot: zero,
        validatorSetHash: this.set.hash,
        lastCommit: prev?.cert ?? EMPTY_CERTIFICATE,
        gasLimit: 60_000_000n,
        gasUsed: 21_000n * BigInt(this.opts.txs.length),
        baseFee: 1_000_000_000n,
        cycle: Math.floor(height / this.opts.cycleLength),
        raceRoot: zero,
        beacon: zero,
        extra: new Uint8Array(0),
      },
      txs: this.opts.txs,
      evidence: [],
      beacon: [],
    };
  }

  private propose(i: number, round: number, validRound: number, block: Block): void {
    const s = this.nodes[i]!;
    const hashBytes = headerHash(block.header);
    const hash = toHex(hashBytes);
    const fields = { height: block.header.height, round, polRound: validRound + 1 };
    const proposal: Proposal = {
      ...fields,
      block,
      signature: blsSign(
        this.keys[i]!.secretKey,
        "proposal",
        proposalSignBytes(SIM_CHAIN_ID, fields, hashBytes),
      ),
    };
    this.signatures++;
    if (!this.proposedAt.has(hash)) this.proposedAt.set(hash, this.sim.now);
    s.blocks.set(hash, block);
    const bytes = encode(proposalCodec, proposal).length;
    this.proposalBytes = bytes;
    this.publish(i, this.gossip.message("proposal", bytes, { kind: "proposal", proposal, hash }), true);
    this.feed(i, { type: "proposal", round, validRound, hash, valid: true });
  }

  private decide(i: number, height: number, round: number, hash: string, precommits: Vote[]): void {
    const s = this.nodes[i]!;
    const c = this.opts.costs;
    const prior = this.certs.get(height);
    if (prior && prior.hash !== hash) throw new Error(`fork at height ${height}`);
    if (!prior) {
      // The certificate, aggregated and checked for real once per height.
      const cert = buildCertificate(this.set, precommits);
      verifyCertificate(this.set, SIM_CHAIN_ID, height, fromHex(hash), cert);
      this.certs.set(height, { hash, cert });
    }
    s.decided.set(height, hash);
    this.decisions.push({
      height,
      node: i,
      round,
      heightMs: this.sim.now - s.heightStart,
      blockToFinalMs: this.sim.now - (this.proposedAt.get(hash) ?? s.heightStart),
      at: this.sim.now,
    });
    const block = s.blocks.get(hash);
    const commitCost =
      c.aggregateMsPerSig * precommits.length +
      c.blsVerifyMs +
      c.applyTxMs * (block?.txs.length ?? 0) +
      c.heightOverheadMs;
    this.wan.cpu(i, commitCost, () => {
      this.sim.after(this.opts.commitMs, () => this.wan.cpu(i, 0, () => this.enterHeight(i, height + 1)));
    });
  }

  certificateBytes(height: number): number {
    const c = this.certs.get(height);
    return c ? encode(commitCodec, c.cert).length : 0;
  }
}

function msgHeight(b: Body): number {
  return b.kind === "vote" ? b.vote.height : b.proposal.height;
}

function addressOf(i: number): Uint8Array {
  const a = new Uint8Array(20);
  new DataView(a.buffer).setUint32(16, i + 1);
  return a;
}
