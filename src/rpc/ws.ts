/**
 * JSON-RPC over WebSocket on the RPC port (spec/rpc.md §WebSocket): every HTTP method, plus
 * eth_subscribe / eth_unsubscribe for `newHeads`, `logs` (address/topics filter) and
 * `newPendingTransactions`. Limits: connections per IP, subscriptions per connection, frame size
 * (larger frames close the connection, code 1009); a consumer whose unsent backlog passes a bound
 * is dropped rather than buffered without end. Garbage gets a JSON-RPC error, never a crash.
 */
import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import { type WebSocket, WebSocketServer } from "ws";
import type { ImportedBlock } from "../chain/index.ts";
import type { Logger } from "../logger/index.ts";
import type { SignedTx } from "../tx/index.ts";
import { toHex } from "../types/index.ts";
import type { RpcContext } from "./context.ts";
import { INVALID_PARAMS, INVALID_REQUEST, PARSE_ERROR, RpcError } from "./errors.ts";
import { formatBlock, formatLog, logsBloom } from "./format.ts";
import { type LogFilter, logMatches, parseLogFilter } from "./logs.ts";

export interface WsLimits {
  maxConnectionsPerIp: number;
  maxSubscriptionsPerConnection: number;
  /** Largest incoming frame (bytes). */
  maxFrameBytes: number;
  /** Unsent bytes after which a slow consumer is dropped. */
  maxBacklogBytes: number;
}

export const defaultWsLimits: WsLimits = {
  maxConnectionsPerIp: 2_048,
  maxSubscriptionsPerConnection: 128,
  maxFrameBytes: 1024 * 1024,
  maxBacklogBytes: 8 * 1024 * 1024,
};

type Sub = { kind: "newHeads" } | { kind: "logs"; filter: LogFilter } | { kind: "newPendingTransactions" };

interface Conn {
  ws: WebSocket;
  subs: Map<string, Sub>;
}

/** Answer one parsed request object (the HTTP path's dispatcher). */
export type Dispatch = (request: unknown) => Promise<object | undefined>;

export class WsRpc {
  private readonly wss: WebSocketServer;
  private readonly conns = new Set<Conn>();
  private readonly perIp = new Map<string, number>();
  private counter = 0;

  constructor(
    readonly ctx: RpcContext,
    private readonly dispatch: Dispatch,
    private readonly limits: WsLimits,
    private readonly log: Logger,
  ) {
    this.wss = new WebSocketServer({ noServer: true, maxPayload: limits.maxFrameBytes });
    ctx.chain.onBlock((b) => this.onBlock(b));
    ctx.mempool.onAdded((tx) => this.onPending(tx));
  }

  get connections(): number {
    return this.conns.size;
  }

  /** The HTTP server's `upgrade` event. */
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const ip = req.socket.remoteAddress ?? "?";
    const n = this.perIp.get(ip) ?? 0;
    if (n >= this.limits.maxConnectionsPerIp) {
      socket.end("HTTP/1.1 429 Too Many Requests\r\nConnection: close\r\n\r\n");
      return;
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      this.perIp.set(ip, (this.perIp.get(ip) ?? 0) + 1);
      const conn: Conn = { ws, subs: new Map() };
      this.conns.add(conn);
      ws.on("message", (data, isBinary) => void this.onMessage(conn, data as Buffer, isBinary));
      ws.on("error", () => ws.terminate());
      ws.on("close", () => {
        this.conns.delete(conn);
        const left = (this.perIp.get(ip) ?? 1) - 1;
        if (left <= 0) this.perIp.delete(ip);
        else this.perIp.set(ip, left);
      });
    });
  }

  close(): void {
    for (const c of this.conns) c.ws.terminate();
    this.wss.close();
  }

  private send(conn: Conn, payload: unknown): void {
    if (conn.ws.readyState !== conn.ws.OPEN) return;
    if (conn.ws.bufferedAmount > this.limits.maxBacklogBytes) {
      this.log.warn({ backlog: conn.ws.bufferedAmount }, "Dropping a slow WebSocket consumer");
      conn.ws.terminate();
      return;
    }
    conn.ws.send(JSON.stringify(payload));
  }

  private async onMessage(conn: Conn, data: Buffer, isBinary: boolean): Promise<void> {
    const error = (id: unknown, e: RpcError) => ({
      jsonrpc: "2.0",
      id: typeof id === "string" || typeof id === "number" ? id : null,
      error: { code: e.code, message: e.message },
    });
    if (isBinary) return this.send(conn, error(null, new RpcError(INVALID_REQUEST, "send JSON text frames")));
    let parsed: unknown;
    try {
      parsed = JSON.parse(data.toString("utf8"));
    } catch {
      return this.send(conn, error(null, new RpcError(PARSE_ERROR, "parse error")));
    }
    const one = async (r: unknown): Promise<object | undefined> => {
      const o = r as Record<string, unknown> | null;
      if (o && typeof o === "object" && (o.method === "eth_subscribe" || o.method === "eth_unsubscribe")) {
        try {
          const params = Array.isArray(o.params) ? o.params : [];
          const result =
            o.method === "eth_subscribe" ? this.subscribe(conn, params) : this.unsubscribe(conn, params);
          return { jsonrpc: "2.0", id: o.id ?? null, result };
        } catch (e) {
          return error(o.id, e instanceof RpcError ? e : new RpcError(INVALID_PARAMS, (e as Error).message));
        }
      }
      return this.dispatch(r);
    };
    if (Array.isArray(parsed)) {
      if (parsed.length === 0 || parsed.length > 100)
        return this.send(conn, error(null, new RpcError(INVALID_REQUEST, "a batch holds 1 to 100 requests")));
      const out = (await Promise.all(parsed.map(one))).filter((r) => r !== undefined);
      if (out.length > 0) this.send(conn, out);
      return;
    }
    const r = await one(parsed);
    if (r) this.send(conn, r);
  }

  private subscribe(conn: Conn, params: unknown[]): string {
    if (conn.subs.size >= this.limits.maxSubscriptionsPerConnection)
      throw new RpcError(
        -32005,
        `at most ${this.limits.maxSubscriptionsPerConnection} subscriptions per connection`,
      );
    const kind = params[0];
    let sub: Sub;
    if (kind === "newHeads" || kind === "newPendingTransactions") sub = { kind };
    else if (kind === "logs") {
      const f = params[1] ?? {};
      if (typeof f !== "object" || f === null || Array.isArray(f))
        throw new RpcError(INVALID_PARAMS, "logs takes a filter object {address, topics}");
      sub = { kind, filter: parseLogFilter(f as Record<string, unknown>) };
    } else throw new RpcError(INVALID_PARAMS, "subscribe to newHeads, logs or newPendingTransactions");
    const id = `0x${(++this.counter).toString(16).padStart(16, "0")}`;
    conn.subs.set(id, sub);
    return id;
  }

  private unsubscribe(conn: Conn, params: unknown[]): boolean {
    return typeof params[0] === "string" && conn.subs.delete(params[0]);
  }

  private notify(conn: Conn, subscription: string, result: unknown): void {
    this.send(conn, { jsonrpc: "2.0", method: "eth_subscription", params: { subscription, result } });
  }

  private onBlock(b: ImportedBlock): void {
    if (this.conns.size === 0) return;
    const bloom = new Uint8Array(256);
    for (const r of b.receipts) logsBloom(r.logs, bloom);
    const { transactions: _t, uncles: _u, size: _s, ...head } = formatBlock(b.hash, b.header, [], [], bloom);
    let logIndex = 0;
    const logs = b.receipts.flatMap((r, transactionIndex) =>
      r.logs.map((l) => ({ l, transactionIndex, logIndex: logIndex++ })),
    );
    for (const conn of this.conns)
      for (const [id, sub] of conn.subs) {
        if (sub.kind === "newHeads") this.notify(conn, id, head);
        else if (sub.kind === "logs")
          for (const x of logs)
            if (logMatches(x.l, sub.filter))
              this.notify(
                conn,
                id,
                formatLog(x.l, {
                  blockHash: b.hash,
                  blockNumber: b.header.height,
                  transactionHash: b.txs[x.transactionIndex]!.tx.hash,
                  transactionIndex: x.transactionIndex,
                  logIndex: x.logIndex,
                }),
              );
      }
  }

  private onPending(tx: SignedTx): void {
    if (this.conns.size === 0) return;
    const h = toHex(tx.hash);
    for (const conn of this.conns)
      for (const [id, sub] of conn.subs) if (sub.kind === "newPendingTransactions") this.notify(conn, id, h);
  }
}
