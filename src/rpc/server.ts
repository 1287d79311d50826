/**
 * JSON-RPC 2.0 over HTTP. POST / for calls (single or batch), GET /metrics for Prometheus,
 * GET /health for probes, and WebSocket upgrades on the same port (ws.ts: subscriptions). Limits: body size and batch length; bodies over the limit are refused
 * before parsing. Errors never carry internals; unexpected ones are logged here.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Logger } from "../logger/index.ts";
import type { Metrics } from "../metrics/index.ts";
import type { RpcContext } from "./context.ts";
import {
  INTERNAL_ERROR,
  INVALID_REQUEST,
  METHOD_NOT_FOUND,
  PARSE_ERROR,
  RpcError,
  toRpcError,
} from "./errors.ts";
import { explorerAsset } from "./explorer.ts";
import { moduleQueryHandler } from "./moduleQueries.ts";
import { handleOpenAi } from "./openai.ts";
import { type Handler, routes } from "./routes.ts";
import { defaultWsLimits, type WsLimits, WsRpc } from "./ws.ts";

export interface RpcServerOptions {
  host: string;
  port: number;
  maxBodyBytes: number;
  maxBatch: number;
  /** WebSocket limits beyond the defaults (ws.ts). */
  ws?: Partial<WsLimits>;
}

export const defaultRpcOptions: RpcServerOptions = {
  host: "127.0.0.1",
  port: 8545,
  maxBodyBytes: 1024 * 1024,
  maxBatch: 100,
};

type Id = string | number | null;
interface Response {
  jsonrpc: "2.0";
  id: Id;
  result?: unknown;
  error?: { code: number; message: string; data?: unknown };
}

function errorResponse(id: Id, e: RpcError): Response {
  return {
    jsonrpc: "2.0",
    id,
    error: { code: e.code, message: e.message, ...(e.data !== undefined ? { data: e.data } : {}) },
  };
}

export class RpcServer {
  private server: Server | undefined;
  /** The WebSocket side (created by start()). */
  ws: WsRpc | undefined;

  constructor(
    private readonly opts: RpcServerOptions,
    private readonly m: { ctx: RpcContext; log: Logger; metrics?: Metrics },
  ) {}

  async start(): Promise<AddressInfo> {
    const server = createServer((req, res) => {
      this.handle(req, res).catch((e) => {
        this.m.log.error({ err: e }, "RPC handler crashed");
        if (!res.headersSent) res.writeHead(500);
        res.end();
      });
    });
    server.keepAliveTimeout = 30_000;
    this.server = server;
    const ws = new WsRpc(
      this.m.ctx,
      (r) => this.call(r),
      { ...defaultWsLimits, maxFrameBytes: this.opts.maxBodyBytes, ...this.opts.ws },
      this.m.log.child({ module: "ws" }),
    );
    this.ws = ws;
    server.on("upgrade", (req, socket, head) => ws.upgrade(req, socket, head));
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(this.opts.port, this.opts.host, () => resolve());
    });
    return server.address() as AddressInfo;
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.ws?.close();
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    res.setHeader("Access-Control-Allow-Origin", "*");
    if (req.method === "OPTIONS") {
      res.writeHead(204, {
        "Access-Control-Allow-Methods": "POST, GET, OPTIONS",
        "Access-Control-Allow-Headers": "content-type, authorization",
      });
      res.end();
      return;
    }
    if (req.method === "GET" && req.url === "/metrics" && this.m.metrics) {
      const body = await this.m.metrics.registry.metrics();
      res.writeHead(200, { "content-type": this.m.metrics.registry.contentType });
      res.end(body);
      return;
    }
    if (req.method === "GET" && (req.url === "/" || req.url?.startsWith("/explorer"))) {
      if (req.url === "/") {
        res.writeHead(302, { location: "/explorer/" });
        res.end();
        return;
      }
      const asset = explorerAsset(req.url!.split("?")[0]!, this.m.ctx);
      if (asset) {
        res.writeHead(200, { "content-type": asset.type, "cache-control": "no-cache" });
        res.end(asset.body);
        return;
      }
    }
    if (req.url?.startsWith("/v1/") && (await handleOpenAi(this.m.ctx, req, res, () => this.readBody(req))))
      return;
    if (req.method === "GET" && req.url === "/health") {
      this.sendJson(res, 200, { ok: true, height: this.m.ctx.chain.head.height });
      return;
    }
    if (req.method !== "POST") {
      this.sendJson(
        res,
        405,
        errorResponse(null, new RpcError(INVALID_REQUEST, "use POST with a JSON-RPC 2.0 body")),
      );
      return;
    }
    const body = await this.readBody(req);
    if (body === undefined) {
      this.sendJson(
        res,
        413,
        errorResponse(
          null,
          new RpcError(INVALID_REQUEST, `request body too large: limit ${this.opts.maxBodyBytes} bytes`),
        ),
      );
      req.resume();
      return;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(body.toString("utf8"));
    } catch {
      this.sendJson(res, 200, errorResponse(null, new RpcError(PARSE_ERROR, "parse error")));
      return;
    }
    if (Array.isArray(parsed)) {
      if (parsed.length === 0)
        return this.sendJson(res, 200, errorResponse(null, new RpcError(INVALID_REQUEST, "empty batch")));
      if (parsed.length > this.opts.maxBatch) {
        return this.sendJson(
          res,
          200,
          errorResponse(
            null,
            new RpcError(INVALID_REQUEST, `batch too large: at most ${this.opts.maxBatch} requests`),
          ),
        );
      }
      const out: Response[] = [];
      for (const r of parsed) {
        const resp = await this.call(r);
        if (resp) out.push(resp);
      }
      if (out.length === 0) {
        res.writeHead(204);
        res.end();
        return;
      }
      return this.sendJson(res, 200, out);
    }
    const resp = await this.call(parsed);
    if (!resp) {
      res.writeHead(204);
      res.end();
      return;
    }
    this.sendJson(res, 200, resp);
  }

  /** One request object → its response, or undefined for a notification (no id). */
  private async call(r: unknown): Promise<Response | undefined> {
    if (typeof r !== "object" || r === null || Array.isArray(r)) {
      return errorResponse(null, new RpcError(INVALID_REQUEST, "invalid request"));
    }
    const o = r as Record<string, unknown>;
    const idValid =
      o.id === undefined ||
      o.id === null ||
      typeof o.id === "string" ||
      (typeof o.id === "number" && Number.isFinite(o.id));
    const id: Id = idValid ? ((o.id as Id | undefined) ?? null) : null;
    if (o.jsonrpc !== "2.0" || typeof o.method !== "string" || !idValid) {
      return errorResponse(
        id,
        new RpcError(
          INVALID_REQUEST,
          'invalid request: expected jsonrpc "2.0", a string method and a string or number id',
        ),
      );
    }
    const notification = o.id === undefined;
    const moduleQuery = routes.has(o.method) ? undefined : moduleQueryHandler(this.m.ctx, o.method);
    const handler: Handler | undefined =
      routes.get(o.method) ?? (moduleQuery && ((_ctx: RpcContext, params: unknown[]) => moduleQuery(params)));
    const label = handler ? o.method : "unknown";
    const started = performance.now();
    let response: Response;
    if (!handler) {
      response = errorResponse(
        id,
        new RpcError(METHOD_NOT_FOUND, `the method ${o.method.slice(0, 64)} does not exist/is not available`),
      );
    } else if (o.params !== undefined && !Array.isArray(o.params)) {
      response = errorResponse(
        id,
        new RpcError(-32602, "invalid params: expected an array of positional parameters"),
      );
    } else {
      try {
        const result = await handler(this.m.ctx, (o.params as unknown[] | undefined) ?? []);
        response = { jsonrpc: "2.0", id, result: result === undefined ? null : result };
      } catch (e) {
        const err = toRpcError(e);
        if (err.code === INTERNAL_ERROR) this.m.log.error({ err: e, method: label }, "RPC method failed");
        response = errorResponse(id, err);
      }
    }
    this.m.metrics?.rpcRequestSeconds.observe({ method: label }, (performance.now() - started) / 1000);
    this.m.metrics?.rpcRequests.inc({ method: label, outcome: response.error ? "error" : "ok" });
    return notification ? undefined : response;
  }

  private readBody(req: IncomingMessage): Promise<Buffer | undefined> {
    const declared = Number(req.headers["content-length"] ?? 0);
    if (declared > this.opts.maxBodyBytes) return Promise.resolve(undefined);
    return new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      let size = 0;
      let over = false;
      req.on("data", (c: Buffer) => {
        size += c.length;
        if (size > this.opts.maxBodyBytes) over = true;
        else chunks.push(c);
      });
      req.on("end", () => resolve(over ? undefined : Buffer.concat(chunks)));
      req.on("error", reject);
    });
  }

  private sendJson(res: ServerResponse, status: number, body: unknown): void {
    const text = JSON.stringify(body);
    res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
    res.end(text);
  }
}
