/**
 * The peer-to-peer network: js-libp2p 3 over TCP with noise, yamux, identify, ping and gossipsub,
 * plus one-shot request/response protocols. Transport only: what a message means is decided by
 * the validators and handlers the node registers.
 *
 * Gossip flow: gossipsub hands each message to the topic's validator before
 * forwarding; the validator decodes and checks it and says accept (deliver and forward), ignore
 * (stale or duplicate: drop silently) or reject (drop and penalise the sender). Accepted messages
 * are queued to the handler, which processes and imports them.
 */
import "./polyfill.ts";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { generateKeyPair, privateKeyFromProtobuf, privateKeyToProtobuf } from "@libp2p/crypto/keys";
import { gossipsub, StrictNoSign, TopicValidatorResult } from "@libp2p/gossipsub";
import { identify } from "@libp2p/identify";
import type { PeerId, PrivateKey, Stream } from "@libp2p/interface";
import { noise } from "@libp2p/noise";
import { ping } from "@libp2p/ping";
import { tcp } from "@libp2p/tcp";
import { yamux } from "@libp2p/yamux";
import { multiaddr } from "@multiformats/multiaddr";
import { sha256 } from "@noble/hashes/sha2.js";
import { createLibp2p, type Libp2p } from "libp2p";
import type { Logger } from "../logger/index.ts";
import type { Metrics } from "../metrics/index.ts";
import { defaultPeerScoreOptions, PeerScores, Penalty } from "./peerScores.ts";

export type GossipVerdict = "accept" | "ignore" | "reject";

/** Turns a gossip message's bytes into a typed value; throws on anything malformed. */
export interface GossipCodec<T> {
  decode(data: Uint8Array): T;
}

/** The bytes as they came (the mempool decodes transactions itself, with its own limits). */
export const rawGossip: GossipCodec<Uint8Array> = { decode: (d) => d };

export interface NetworkOptions {
  host: string;
  /** TCP port for P2P; 0 picks a free one. */
  port: number;
  /** Multiaddrs to dial and keep dialling (e.g. /ip4/127.0.0.1/tcp/26656). */
  bootstrap: string[];
  /** Where the node's libp2p key lives, so its peer id survives restarts. */
  peerKeyPath?: string;
  /** Largest gossip message accepted (a proposal carries a whole block). */
  maxGossipBytes: number;
  reconnectMs: number;
}

export const defaultNetworkOptions: NetworkOptions = {
  host: "127.0.0.1",
  port: 0,
  bootstrap: [],
  maxGossipBytes: 4 * 1024 * 1024,
  reconnectMs: 2000,
};

export interface ProtocolLimits {
  maxRequestBytes: number;
  maxResponseBytes: number;
  /** Requests per second per peer (token bucket of the same size). */
  ratePerSec: number;
  timeoutMs: number;
  /**
   * Streamed responses: frames sent within this many ms of the last write go out together, in one
   * muxer frame and one noise message (the first frame at once). 0 or absent: each frame at once.
   */
  coalesceMs?: number;
}

export class RequestError extends Error {}

type Handler = (req: Uint8Array, peer: string) => Promise<Uint8Array>;
export type StreamHandler = (
  req: Uint8Array,
  peer: string,
  send: (frame: Uint8Array) => Promise<void>,
) => Promise<void>;

async function loadPeerKey(path: string | undefined): Promise<PrivateKey> {
  if (path && existsSync(path)) return privateKeyFromProtobuf(readFileSync(path));
  const key = await generateKeyPair("Ed25519");
  if (path) writeFileSync(path, privateKeyToProtobuf(key), { mode: 0o600 });
  return key;
}

/** Read a whole stream, failing once it exceeds `max` bytes. */
async function readAll(stream: Stream, max: number): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of stream) {
    const bytes = chunk instanceof Uint8Array ? chunk : chunk.subarray();
    size += bytes.length;
    if (size > max) {
      stream.abort(new RequestError(`message exceeds ${max} bytes`));
      throw new RequestError(`message exceeds ${max} bytes`);
    }
    chunks.push(bytes);
  }
  return Buffer.concat(chunks);
}

async function writeAll(stream: Stream, data: Uint8Array): Promise<void> {
  const CHUNK = 64 * 1024;
  for (let i = 0; i < data.length; i += CHUNK) {
    if (!stream.send(data.subarray(i, i + CHUNK))) await stream.onDrain();
  }
  await stream.close();
}

export class Network {
  readonly scores = new PeerScores(defaultPeerScoreOptions);
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  private readonly bootstrapPeers = new Map<string, string>();
  private reconnectTimer: NodeJS.Timeout | undefined;
  private stopped = false;

  private constructor(
    readonly libp2p: Libp2p<{ pubsub: ReturnType<ReturnType<typeof gossipsub>> }>,
    private readonly opts: NetworkOptions,
    private readonly m: { log: Logger; metrics?: Metrics },
  ) {}

  static async create(opts: NetworkOptions, m: { log: Logger; metrics?: Metrics }): Promise<Network> {
    const privateKey = await loadPeerKey(opts.peerKeyPath);
    let self: Network | undefined;
    const libp2p = await createLibp2p({
      privateKey,
      addresses: { listen: [`/ip4/${opts.host}/tcp/${opts.port}`] },
      transports: [tcp()],
      connectionEncrypters: [noise()],
      streamMuxers: [yamux()],
      connectionGater: {
        denyDialPeer: (peer: PeerId) => self?.scores.isBanned(peer.toString()) ?? false,
        denyInboundEncryptedConnection: (peer: PeerId) => self?.scores.isBanned(peer.toString()) ?? false,
        denyDialMultiaddr: () => false,
      },
      services: {
        identify: identify(),
        ping: ping(),
        pubsub: gossipsub({
          allowPublishToZeroTopicPeers: true,
          emitSelf: false,
          globalSignaturePolicy: StrictNoSign,
          // Application messages carry their own signatures; the id is the content hash so the
          // same vote from two paths is one message.
          msgIdFn: (msg) => sha256(msg.data),
          maxInboundDataLength: opts.maxGossipBytes + 64 * 1024,
          floodPublish: true,
        }),
      },
    });
    const net = new Network(libp2p as never, opts, m);
    self = net;
    libp2p.addEventListener("peer:connect", () => net.updatePeerMetric());
    libp2p.addEventListener("peer:disconnect", () => net.updatePeerMetric());
    net.startReconnecting();
    return net;
  }

  get peerId(): string {
    return this.libp2p.peerId.toString();
  }

  get listenAddrs(): string[] {
    return this.libp2p.getMultiaddrs().map((a) => a.toString());
  }

  private connected(peer: string): PeerId | undefined {
    return this.libp2p.getPeers().find((p) => p.toString() === peer);
  }

  peers(): string[] {
    return this.libp2p.getPeers().map((p) => p.toString());
  }

  private updatePeerMetric(): void {
    this.m.metrics?.peers.set(this.libp2p.getPeers().length);
  }

  private startReconnecting(): void {
    const tick = async () => {
      if (this.stopped) return;
      const connected = new Set(this.peers());
      await Promise.all(
        this.opts.bootstrap.map(async (addr) => {
          const known = this.bootstrapPeers.get(addr);
          if (known && connected.has(known)) return;
          try {
            const conn = await this.libp2p.dial(multiaddr(addr), { signal: AbortSignal.timeout(3000) });
            this.bootstrapPeers.set(addr, conn.remotePeer.toString());
          } catch (e) {
            this.m.log.debug({ addr, err: (e as Error).message }, "Bootstrap dial failed");
          }
        }),
      );
      if (!this.stopped) this.reconnectTimer = setTimeout(tick, this.opts.reconnectMs);
    };
    void tick();
  }

  /** Penalise a peer; a ban disconnects it at once. */
  penalise(peer: string, delta: number, reason: string): void {
    const banned = this.scores.adjust(peer, delta);
    this.m.log.info({ peer, delta, reason }, "Peer penalised");
    this.m.metrics?.peerPenalties.inc({ reason });
    if (banned) {
      this.m.log.warn({ peer, reason }, "Peer banned");
      const id = this.connected(peer);
      if (id) void this.libp2p.hangUp(id).catch(() => undefined);
    }
  }

  /** Operator ban: disconnect now and refuse for `ms`. */
  ban(peer: string, ms: number): void {
    this.scores.ban(peer, ms);
    const id = this.connected(peer);
    if (id) void this.libp2p.hangUp(id).catch(() => undefined);
  }

  unban(peer: string): void {
    this.scores.unban(peer);
  }

  /**
   * Subscribe to a topic. Each message is decoded once, at the edge, by `codec` (a message that
   * does not decode is rejected); `validate` sees the typed value before forwarding, and `handle`
   * gets the same value after acceptance.
   */
  subscribe<T>(
    topic: string,
    codec: GossipCodec<T>,
    validate: (msg: T, peer: string) => GossipVerdict | Promise<GossipVerdict>,
    handle: (msg: T, peer: string) => void,
  ): void {
    const pubsub = this.libp2p.services.pubsub;
    // Decoded values by the message's bytes object, from validation to delivery.
    const decoded = new WeakMap<Uint8Array, T>();
    pubsub.topicValidators.set(topic, async (peerId, msg) => {
      const peer = peerId.toString();
      let verdict: GossipVerdict;
      if (msg.data.length > this.opts.maxGossipBytes) verdict = "reject";
      else {
        try {
          const value = codec.decode(msg.data);
          decoded.set(msg.data, value);
          verdict = await validate(value, peer);
        } catch (e) {
          this.m.log.debug({ topic, peer, err: (e as Error).message }, "Gossip validator threw");
          verdict = "reject";
        }
      }
      this.m.metrics?.gossipValidation.inc({ topic: topicLabel(topic), result: verdict });
      if (verdict === "reject")
        this.penalise(peer, Penalty.invalidGossip, `invalid gossip on ${topicLabel(topic)}`);
      return verdict === "accept"
        ? TopicValidatorResult.Accept
        : verdict === "ignore"
          ? TopicValidatorResult.Ignore
          : TopicValidatorResult.Reject;
    });
    pubsub.addEventListener("message", (ev) => {
      if (ev.detail.topic !== topic) return;
      const from = "from" in ev.detail && ev.detail.from ? ev.detail.from.toString() : "";
      let value = decoded.get(ev.detail.data);
      if (value === undefined) {
        try {
          value = codec.decode(ev.detail.data);
        } catch {
          return;
        }
      }
      decoded.delete(ev.detail.data);
      handle(value, from);
    });
    pubsub.subscribe(topic);
  }

  /** Peers known to subscribe to `topic`: a message published with none reaches no one. */
  topicPeers(topic: string): number {
    return this.libp2p.services.pubsub.getSubscribers(topic).length;
  }

  async publish(topic: string, data: Uint8Array): Promise<void> {
    try {
      await this.libp2p.services.pubsub.publish(topic, data);
    } catch (e) {
      // Duplicates (our own rebroadcast of an unchanged message) and no-peer cases are normal.
      this.m.log.debug({ topic: topicLabel(topic), err: (e as Error).message }, "Publish skipped");
    }
  }

  private allow(peer: string, protocol: string, ratePerSec: number): boolean {
    const key = `${peer}/${protocol}`;
    const now = Date.now();
    const b = this.buckets.get(key) ?? { tokens: ratePerSec, at: now };
    b.tokens = Math.min(ratePerSec, b.tokens + ((now - b.at) / 1000) * ratePerSec);
    b.at = now;
    const ok = b.tokens >= 1;
    if (ok) b.tokens -= 1;
    this.buckets.set(key, b);
    return ok;
  }

  /** Rate-limit a peer's request stream and read the request (undefined: refused, stream aborted). */
  private async admit(
    stream: Stream,
    peer: string,
    protocol: string,
    limits: ProtocolLimits,
  ): Promise<Uint8Array | undefined> {
    if (!this.allow(peer, protocol, limits.ratePerSec)) {
      this.penalise(peer, Penalty.rateLimited, `rate limit on ${protocol}`);
      stream.abort(new RequestError("rate limited"));
      return undefined;
    }
    return readAll(stream, limits.maxRequestBytes);
  }

  /**
   * Serve a request/response protocol: one request per stream, written then half-closed; one
   * response back. Oversized or failing requests penalise the peer and reset the stream.
   */
  async handle(protocol: string, limits: ProtocolLimits, handler: Handler): Promise<void> {
    await this.libp2p.handle(
      protocol,
      async (stream, connection) => {
        const peer = connection.remotePeer.toString();
        try {
          const req = await this.admit(stream, peer, protocol, limits);
          if (!req) return;
          const res = await handler(req, peer);
          if (res.length > limits.maxResponseBytes) throw new RequestError("response too large");
          await writeAll(stream, res);
        } catch (e) {
          this.penalise(peer, Penalty.malformedRequest, `bad request on ${protocol}`);
          this.m.log.debug({ protocol, peer, err: (e as Error).message }, "Request failed");
          stream.abort(e as Error);
        }
      },
      { maxInboundStreams: 32 },
    );
  }

  /**
   * Serve a streamed protocol: one request per stream, answered by frames (u32be length, bytes)
   * as the handler produces them, so a relay can pass each token on as it comes.
   */
  async handleStream(protocol: string, limits: ProtocolLimits, handler: StreamHandler): Promise<void> {
    await this.libp2p.handle(
      protocol,
      async (stream, connection) => {
        const peer = connection.remotePeer.toString();
        try {
          const req = await this.admit(stream, peer, protocol, limits);
          if (!req) return;
          let sent = 0;
          // Frames waiting for the next write, and when the last write went out.
          let pending: Uint8Array[] = [];
          let lastWrite = 0;
          let timer: NodeJS.Timeout | undefined;
          const flush = async () => {
            clearTimeout(timer);
            timer = undefined;
            if (pending.length === 0) return;
            // Lengths and frames in one write: one muxer frame and one noise message.
            const out = new Uint8Array(pending.reduce((t, f) => t + 4 + f.length, 0));
            let at = 0;
            for (const f of pending) {
              new DataView(out.buffer).setUint32(at, f.length);
              out.set(f, at + 4);
              at += 4 + f.length;
            }
            pending = [];
            lastWrite = performance.now();
            if (!stream.send(out)) await stream.onDrain();
          };
          const wait = limits.coalesceMs ?? 0;
          await handler(req, peer, async (frame) => {
            sent += frame.length + 4;
            if (sent > limits.maxResponseBytes) throw new RequestError("response too large");
            pending.push(frame);
            const due = lastWrite + wait - performance.now();
            if (due <= 0) await flush();
            else timer ??= setTimeout(() => void flush().catch(() => {}), due);
          });
          await flush();
          await stream.close();
        } catch (e) {
          this.m.log.debug({ protocol, peer, err: (e as Error).message }, "Streamed request failed");
          stream.abort(e as Error);
        }
      },
      { maxInboundStreams: 64 },
    );
  }

  /** Send a request on a streamed protocol; `onFrame` gets each frame as it arrives. */
  async requestStream(
    peer: string,
    protocol: string,
    req: Uint8Array,
    limits: ProtocolLimits,
    onFrame: (frame: Uint8Array) => void,
  ): Promise<void> {
    const id = this.connected(peer);
    if (!id) throw new RequestError(`not connected to ${peer}`);
    const signal = AbortSignal.timeout(limits.timeoutMs);
    const stream = await this.libp2p.dialProtocol(id, protocol, { signal });
    try {
      await writeAll(stream, req);
      let buf: Uint8Array = new Uint8Array(0);
      let total = 0;
      for await (const chunk of stream) {
        if (signal.aborted) throw new RequestError(`no answer within ${limits.timeoutMs} ms`);
        const bytes = chunk instanceof Uint8Array ? chunk : chunk.subarray();
        total += bytes.length;
        if (total > limits.maxResponseBytes) throw new RequestError("response too large");
        buf = buf.length === 0 ? bytes : Buffer.concat([buf, bytes]);
        while (buf.length >= 4) {
          const n = new DataView(buf.buffer, buf.byteOffset, 4).getUint32(0);
          if (buf.length < 4 + n) break;
          onFrame(buf.slice(4, 4 + n));
          buf = buf.subarray(4 + n);
        }
      }
      if (buf.length > 0) throw new RequestError("stream ended inside a frame");
    } catch (e) {
      stream.abort(e as Error);
      throw e;
    }
  }

  async request(
    peer: string,
    protocol: string,
    req: Uint8Array,
    limits: ProtocolLimits,
  ): Promise<Uint8Array> {
    const id = this.connected(peer);
    if (!id) throw new RequestError(`not connected to ${peer}`);
    const signal = AbortSignal.timeout(limits.timeoutMs);
    const stream = await this.libp2p.dialProtocol(id, protocol, { signal });
    try {
      await writeAll(stream, req);
      return await readAll(stream, limits.maxResponseBytes);
    } catch (e) {
      stream.abort(e as Error);
      throw e;
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.reconnectTimer);
    await this.libp2p.stop();
  }
}

function topicLabel(topic: string): string {
  return topic.split("/").at(-2) ?? topic;
}
