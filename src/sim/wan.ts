/**
 * The simulated wide-area network: nodes in regions (round-trip times between regions from public
 * cloud measurements, 20–250 ms), one-way delay = RTT/2 plus jitter, per-node upload and download
 * bandwidth (a message occupies the sender's uplink, then the receiver's downlink, in order),
 * loss modelled as a TCP retransmission (the message arrives one retransmission timeout later:
 * every link is a TCP connection), partitions (messages across a cut are dropped, as a broken
 * connection drops them), and a per-node CPU that runs one handler at a time.
 */
import type { Simulator } from "./engine.ts";
import type { Rng } from "./rng.ts";

export const REGIONS = [
  "us-east",
  "us-west",
  "eu-west",
  "eu-central",
  "ap-northeast",
  "ap-southeast",
  "sa-east",
];

/** Round-trip times (ms) between REGIONS; the diagonal is the RTT inside a region. */
const RTT: number[][] = [
  [20, 65, 75, 90, 150, 220, 120],
  [65, 20, 140, 150, 100, 170, 180],
  [75, 140, 20, 25, 220, 170, 185],
  [90, 150, 25, 20, 230, 160, 200],
  [150, 100, 220, 230, 20, 70, 250],
  [220, 170, 170, 160, 70, 20, 250],
  [120, 180, 185, 200, 250, 250, 20],
];

/** Round-trip time (ms) between two regions (indices into REGIONS). */
export function regionRtt(a: number, b: number): number {
  return RTT[a]![b]!;
}

export interface WanOptions {
  /** Jitter: the one-way delay is stretched by jitter × |N(0,1)| of itself. */
  jitter: number;
  /** Probability that a message needs a TCP retransmission. */
  loss: number;
  /** Retransmission timeout floor (ms); Linux's minimum RTO is 200 ms. */
  minRtoMs: number;
  /** Multiplies every RTT (0: a LAN with bandwidth limits only). */
  latencyScale: number;
}

export const defaultWanOptions: WanOptions = { jitter: 0.1, loss: 0, minRtoMs: 200, latencyScale: 1 };

export interface NodeLink {
  region: number;
  /** Bandwidth in bits per second. */
  upBps: number;
  downBps: number;
}

interface NodeState extends NodeLink {
  upFreeAt: number;
  downFreeAt: number;
  cpuFreeAt: number;
  cpuBusyMs: number;
  bytesUp: number;
  bytesDown: number;
  up: boolean;
}

export class Wan {
  readonly nodes: NodeState[] = [];
  /** Group of each node while a partition holds; messages between groups are dropped. */
  private groups: number[] | undefined;
  dropped = 0;
  sent = 0;

  constructor(
    private readonly sim: Simulator,
    private readonly rng: Rng,
    links: NodeLink[],
    private readonly opts: WanOptions = defaultWanOptions,
  ) {
    for (const l of links)
      this.nodes.push({
        ...l,
        upFreeAt: 0,
        downFreeAt: 0,
        cpuFreeAt: 0,
        cpuBusyMs: 0,
        bytesUp: 0,
        bytesDown: 0,
        up: true,
      });
  }

  rtt(a: number, b: number): number {
    return regionRtt(this.nodes[a]!.region, this.nodes[b]!.region);
  }

  setPartition(groupOf: number[] | undefined): void {
    this.groups = groupOf;
  }

  connected(a: number, b: number): boolean {
    return !this.groups || this.groups[a] === this.groups[b];
  }

  setUp(node: number, up: boolean): void {
    this.nodes[node]!.up = up;
  }

  isUp(node: number): boolean {
    return this.nodes[node]!.up;
  }

  /**
   * Send `bytes` from `from` to `to`; `deliver` runs at the receiver once the last byte is in.
   * Returns false when the message was dropped (partition, node down).
   */
  send(from: number, to: number, bytes: number, deliver: () => void): boolean {
    const a = this.nodes[from]!;
    if (!a.up) return false;
    this.sent++;
    const start = Math.max(this.sim.now, a.upFreeAt);
    a.upFreeAt = start + (bytes * 8 * 1000) / a.upBps;
    a.bytesUp += bytes;
    if (!this.connected(from, to) || !this.nodes[to]!.up) {
      this.dropped++;
      return false;
    }
    const rtt = this.rtt(from, to) * this.opts.latencyScale;
    let delay = (rtt / 2) * (1 + this.opts.jitter * Math.abs(this.rng.normal()));
    if (this.opts.loss > 0 && this.rng.next() < this.opts.loss)
      delay += Math.max(this.opts.minRtoMs, rtt * 1.5);
    this.sim.at(a.upFreeAt + delay, () => {
      const b = this.nodes[to]!;
      if (!b.up || !this.connected(from, to)) {
        this.dropped++;
        return;
      }
      const s = Math.max(this.sim.now, b.downFreeAt);
      b.downFreeAt = s + (bytes * 8 * 1000) / b.downBps;
      b.bytesDown += bytes;
      this.sim.at(b.downFreeAt, deliver);
    });
    return true;
  }

  /** Run `work` on `node`'s CPU after `costMs` of simulated processing, behind earlier work. */
  cpu(node: number, costMs: number, work: () => void): void {
    const n = this.nodes[node]!;
    const start = Math.max(this.sim.now, n.cpuFreeAt);
    n.cpuFreeAt = start + costMs;
    n.cpuBusyMs += costMs;
    this.sim.at(n.cpuFreeAt, () => {
      if (n.up) work();
    });
  }
}

/** Spread `n` nodes over the regions round-robin from a shuffled start (seeded). */
export function spreadLinks(n: number, rng: Rng, upMbps: number, downMbps: number): NodeLink[] {
  const order = rng.shuffle(REGIONS.map((_, i) => i));
  return Array.from({ length: n }, (_, i) => ({
    region: order[i % order.length]!,
    upBps: upMbps * 1e6,
    downBps: downMbps * 1e6,
  }));
}
