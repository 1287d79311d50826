/**
 * Gossip as the node's gossipsub does it (src/network: floodPublish on): the publisher sends to
 * every connected peer; a receiver validates a message it has not seen (on its CPU), then hands it
 * to the application and forwards it to its mesh peers (D of its connections). Duplicates cost
 * bandwidth and nothing else. "ignore"/"reject" verdicts stop a message at that node.
 */
import type { Rng } from "./rng.ts";
import type { Wan } from "./wan.ts";

/** Bytes a gossip frame adds to the body: protobuf RPC, topic name, noise and yamux framing. */
export const GOSSIP_FRAME_BYTES = 80;

export interface GossipMessage<T> {
  topic: string;
  bytes: number;
  body: T;
  /** seenBy[i] = 1 once node i has received it. */
  seenBy: Uint8Array;
}

export interface GossipHandlers<T> {
  /** Validation: CPU cost in ms and the verdict, decided when the message arrives. */
  validate(node: number, m: GossipMessage<T>): { costMs: number; verdict: "accept" | "ignore" | "reject" };
  deliver(node: number, m: GossipMessage<T>): void;
}

export interface GossipOptions {
  /** Connections per node (libp2p keeps this many peers). */
  peers: number;
  /** Mesh degree per topic (gossipsub D). */
  mesh: number;
  /** Publish to every connected peer (the node's setting) instead of the mesh only. */
  floodPublish: boolean;
}

export const defaultGossipOptions: GossipOptions = { peers: 30, mesh: 6, floodPublish: true };

export class Gossip<T> {
  readonly peers: number[][];
  readonly mesh: number[][];
  readonly bytesByTopic = new Map<string, number>();
  /** Extra delay before a node's own messages leave it (a slow node). */
  readonly sendDelayMs: number[];
  private readonly flood: boolean;
  private readonly meshDegree: number;
  private live: (number[] | undefined)[] = [];

  constructor(
    private readonly wan: Wan,
    rng: Rng,
    private readonly n: number,
    private readonly h: GossipHandlers<T>,
    opts: GossipOptions = defaultGossipOptions,
  ) {
    this.sendDelayMs = new Array(n).fill(0);
    this.flood = opts.floodPublish;
    this.meshDegree = opts.mesh;
    // A random graph: each node dials `peers / 2` others; connections are two-way.
    const sets = Array.from({ length: n }, () => new Set<number>());
    const dial = Math.min(n - 1, Math.ceil(opts.peers / 2));
    for (let i = 0; i < n; i++) {
      const others = rng.shuffle([...Array(n).keys()].filter((j) => j !== i));
      for (const j of others.slice(0, dial)) {
        sets[i]!.add(j);
        sets[j]!.add(i);
      }
    }
    this.peers = sets.map((s) => [...s].sort((a, b) => a - b));
    // The mesh is symmetric, as gossipsub's GRAFT makes it: each node grafts D/2 of its peers and
    // is grafted by others, so every node has mesh links in both directions.
    const mesh = Array.from({ length: n }, () => new Set<number>());
    for (let i = 0; i < n; i++)
      for (const j of rng.shuffle([...this.peers[i]!]).slice(0, Math.ceil(opts.mesh / 2))) {
        mesh[i]!.add(j);
        mesh[j]!.add(i);
      }
    this.mesh = mesh.map((m) => [...m].sort((a, b) => a - b));
  }

  /** Where a node forwards: its live mesh (see refreshMesh). */
  private forwardTargets(node: number): number[] {
    return this.live[node] ?? this.mesh[node]!;
  }

  /**
   * Rebuild the live mesh after nodes went down or came up, as gossipsub's heartbeat does: links
   * to peers that are gone are pruned, and a node left with fewer than D grafts live peers —
   * both ways, as GRAFT does, so no live node is left out of forwarding.
   */
  refreshMesh(): void {
    const up = (p: number) => this.wan.isUp(p);
    const live = this.mesh.map((m) => new Set(m.filter(up)));
    for (let i = 0; i < this.n; i++) {
      if (!up(i)) continue;
      for (const p of this.peers[i]!) {
        if (live[i]!.size >= this.meshDegree) break;
        if (up(p) && p !== i) {
          live[i]!.add(p);
          live[p]!.add(i);
        }
      }
    }
    this.live = live.map((m) => [...m].sort((a, b) => a - b));
  }

  message(topic: string, bytes: number, body: T): GossipMessage<T> {
    return { topic, bytes: bytes + GOSSIP_FRAME_BYTES, body, seenBy: new Uint8Array(this.n) };
  }

  /** Publish an own message: it counts as seen by the publisher and goes to every peer. */
  publish(from: number, m: GossipMessage<T>, simAfter: (ms: number, f: () => void) => void): void {
    m.seenBy[from] = 1;
    const go = () => {
      for (const p of this.flood ? this.peers[from]! : this.mesh[from]!) this.transmit(from, p, m);
    };
    const d = this.sendDelayMs[from]!;
    if (d > 0) simAfter(d, go);
    else go();
  }

  private transmit(from: number, to: number, m: GossipMessage<T>): void {
    this.bytesByTopic.set(m.topic, (this.bytesByTopic.get(m.topic) ?? 0) + m.bytes);
    this.wan.send(from, to, m.bytes, () => this.arrive(to, m, from));
  }

  private arrive(node: number, m: GossipMessage<T>, source: number): void {
    if (m.seenBy[node]) return;
    m.seenBy[node] = 1;
    const { costMs, verdict } = this.h.validate(node, m);
    this.wan.cpu(node, costMs, () => {
      if (verdict !== "accept") return;
      this.h.deliver(node, m);
      for (const p of this.forwardTargets(node)) if (p !== source) this.transmit(node, p, m);
    });
  }
}
