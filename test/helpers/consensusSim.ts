/**
 * A deterministic in-process network of Tendermint machines: simulated clock, per-link latency,
 * partitions (held messages are delivered on healing, as the real node's rebroadcast does), and
 * per-node faults (down, equivocating). Signatures are not modelled here; the machine never sees
 * them (the driver verifies before feeding it).
 */
import {
  type ConsensusAction,
  type ConsensusEvent,
  type ConsensusTimeouts,
  ProposerSchedule,
  TendermintMachine,
  ValidatorSet,
} from "../../src/consensus/index.ts";
import type { Evidence, Vote } from "../../src/types/index.ts";

export const simTimeouts: ConsensusTimeouts = {
  proposeMs: 300,
  proposeDeltaMs: 100,
  prevoteMs: 200,
  prevoteDeltaMs: 100,
  precommitMs: 200,
  precommitDeltaMs: 100,
  commitMs: 100,
};

type Msg =
  | { kind: "proposal"; from: number; height: number; round: number; validRound: number; hash: string }
  | { kind: "vote"; from: number; vote: Vote };

interface Pending {
  at: number;
  seq: number;
  node: number;
  run: () => void;
}

export interface SimOptions {
  weights: bigint[];
  latencyMs?: number;
  /** Nodes that never run (crashed from the start). */
  down?: number[];
  /** Nodes that send a conflicting prevote alongside every prevote. */
  equivocators?: number[];
}

const hexOf = (s: string) => `0x${Buffer.from(s.padEnd(32, "_").slice(0, 32)).toString("hex")}`;

export class ConsensusSim {
  now = 0;
  private seq = 0;
  private queue: Pending[] = [];
  readonly set: ValidatorSet;
  private readonly schedule: ProposerSchedule;
  readonly machines: TendermintMachine[] = [];
  /** decisions[node] = map height → hash */
  readonly decisions: Map<number, string>[] = [];
  readonly evidence: Evidence[][] = [];
  private partition: number[][] | undefined;
  private held: { to: number; msg: Msg }[] = [];
  private readonly down: Set<number>;

  constructor(private readonly opts: SimOptions) {
    this.set = new ValidatorSet(
      opts.weights.map((weight, i) => ({
        address: new Uint8Array(20).fill(i + 1),
        weight,
        blsKey: new Uint8Array(48).fill(i + 1),
      })),
    );
    this.schedule = new ProposerSchedule(this.set, 1_000_000);
    this.down = new Set(opts.down ?? []);
    for (let i = 0; i < opts.weights.length; i++) {
      this.decisions.push(new Map());
      this.evidence.push([]);
      this.machines.push(this.newMachine(i, 1));
    }
  }

  private newMachine(i: number, height: number): TendermintMachine {
    return new TendermintMachine(height, this.set, this.schedule, i, simTimeouts);
  }

  start(): void {
    for (let i = 0; i < this.machines.length; i++) if (!this.down.has(i)) this.feed(i, { type: "start" });
  }

  setPartition(groups: number[][] | undefined): void {
    this.partition = groups;
    if (!groups) {
      const held = this.held;
      this.held = [];
      for (const h of held) this.deliver(h.to, h.msg);
    }
  }

  private connected(a: number, b: number): boolean {
    if (a === b || !this.partition) return true;
    return this.partition.some((g) => g.includes(a) && g.includes(b));
  }

  private at(delay: number, node: number, run: () => void): void {
    this.queue.push({ at: this.now + delay, seq: this.seq++, node, run });
  }

  private feed(i: number, e: ConsensusEvent): void {
    if (this.down.has(i)) return;
    const m = this.machines[i]!;
    for (const a of m.handle(e)) this.act(i, m, a);
  }

  private broadcast(from: number, msg: Msg): void {
    for (let to = 0; to < this.machines.length; to++) {
      if (to === from) continue;
      if (this.connected(from, to)) this.deliver(to, msg);
      else this.held.push({ to, msg });
    }
  }

  private deliver(to: number, msg: Msg): void {
    this.at(this.opts.latencyMs ?? 10, to, () => this.receive(to, msg));
  }

  private receive(to: number, msg: Msg): void {
    const m = this.machines[to]!;
    const h = msg.kind === "vote" ? msg.vote.height : msg.height;
    if (h !== m.height) {
      // Messages for a later height wait until this node gets there (the real node buffers them).
      if (h > m.height) this.at(50, to, () => this.receive(to, msg));
      return;
    }
    if (msg.kind === "vote") this.feed(to, { type: "vote", vote: msg.vote });
    else
      this.feed(to, {
        type: "proposal",
        round: msg.round,
        validRound: msg.validRound,
        hash: msg.hash,
        valid: true,
      });
  }

  private act(i: number, m: TendermintMachine, a: ConsensusAction): void {
    switch (a.type) {
      case "build":
      case "repropose": {
        const hash = a.type === "build" ? hexOf(`h${a.height}r${a.round}p${i}`) : a.hash;
        const msg: Msg = {
          kind: "proposal",
          from: i,
          height: a.height,
          round: a.round,
          validRound: a.type === "build" ? -1 : a.validRound,
          hash,
        };
        this.broadcast(i, msg);
        this.feed(i, { type: "proposal", round: msg.round, validRound: msg.validRound, hash, valid: true });
        break;
      }
      case "vote": {
        const vote: Vote = {
          type: a.voteType,
          height: a.height,
          round: a.round,
          blockHash: a.hash ? new Uint8Array(Buffer.from(a.hash.slice(2), "hex")) : new Uint8Array(0),
          validator: i,
          signature: new Uint8Array(96),
        };
        this.broadcast(i, { kind: "vote", from: i, vote });
        if ((this.opts.equivocators ?? []).includes(i) && a.voteType === 1) {
          const other = {
            ...vote,
            blockHash: vote.blockHash.length ? new Uint8Array(0) : new Uint8Array(32).fill(0xee),
          };
          this.broadcast(i, { kind: "vote", from: i, vote: other });
        }
        this.feed(i, { type: "vote", vote });
        break;
      }
      case "timeout":
        this.at(a.ms, i, () => {
          if (this.machines[i] === m)
            this.feed(i, { type: "timeout", step: a.step, height: a.height, round: a.round });
        });
        break;
      case "decide":
        this.decisions[i]!.set(a.height, a.hash);
        this.at(simTimeouts.commitMs, i, () => {
          this.machines[i] = this.newMachine(i, a.height + 1);
          this.feed(i, { type: "start" });
        });
        break;
      case "evidence":
        this.evidence[i]!.push(a.evidence);
        break;
    }
  }

  /** Run until simulated time `until` (ms). */
  runUntil(until: number): void {
    while (this.queue.length > 0) {
      this.queue.sort((a, b) => a.at - b.at || a.seq - b.seq);
      const next = this.queue[0]!;
      if (next.at > until) break;
      this.queue.shift();
      this.now = next.at;
      if (!this.down.has(next.node)) next.run();
    }
    this.now = until;
  }

  /** Highest height every listed node has decided. */
  minDecided(nodes: number[]): number {
    return Math.min(...nodes.map((i) => Math.max(0, ...this.decisions[i]!.keys())));
  }

  /** Safety: no two nodes decided different values at one height. */
  assertNoFork(): void {
    const byHeight = new Map<number, string>();
    for (const d of this.decisions)
      for (const [h, v] of d) {
        const prior = byHeight.get(h);
        if (prior !== undefined && prior !== v) throw new Error(`fork at height ${h}: ${prior} vs ${v}`);
        byHeight.set(h, v);
      }
  }
}
