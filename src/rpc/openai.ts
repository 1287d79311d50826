/**
 * OpenAI-compatible inference API on the RPC port (spec/inference.md §API): GET /v1/models,
 * GET /v1/models/{id}, POST /v1/chat/completions and POST /v1/completions, plain or streamed as
 * server-sent events (role in the first delta, finish_reason in the last, optional usage chunk,
 * `[DONE]`), errors in OpenAI's shape. This node runs the request itself on the built-in exact
 * model; routing through an intermediary, payment and verification are not built yet.
 */

import { randomBytes } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import {
  DEFAULT_MODELS,
  modelList,
  models as modelsModule,
  type RegisteredModel,
} from "../../contracts/index.ts";
import { isValidPrivateKey } from "../crypto/index.ts";
import { ExactModel, MAX_PROMPT_BYTES, type Sampling, steps, TOP_K } from "../inference/index.ts";
import { floatSteps, type HfModel } from "../models/index.ts";
import { readStoreIn } from "../state/index.ts";
import { toHex } from "../types/index.ts";
import type { LocalModels, RpcContext, StreamedToken } from "./context.ts";

let model: ExactModel | undefined;
const builtin = () => (model ??= new ExactModel());

/** A model as the API serves it. */
interface ServedModel {
  id: string;
  contextLength: number;
  verification: string;
  weightsHash: string;
  unitsPerToken: number;
  /** A prompt's length in the model's tokens. */
  count(prompt: Uint8Array): number;
  /** The bytes of a token. */
  bytesOf(token: number): Uint8Array;
  /** Loaded from files (tolerance class): generation for `racecoin serve-model`. */
  local?: HfModel;
}

/** What a node serves: registered models it holds, and why it refuses the other registered ones. */
interface Serving {
  models: ServedModel[];
  refused: Map<string, string>;
}

function exactServed(): ServedModel {
  const m = builtin().spec;
  return { ...m, count: (p) => p.length, bytesOf: (t) => Uint8Array.of(t) };
}

function floatServed(entry: RegisteredModel, local: HfModel): ServedModel {
  return {
    id: entry.id,
    contextLength: Math.min(entry.contextLength, local.config.context),
    verification: entry.verification,
    weightsHash: toHex(entry.weightsHash),
    unitsPerToken: entry.unitsPerToken,
    count: (p) => local.tokenizer.encode(new TextDecoder().decode(p)).length,
    bytesOf: (t) => local.tokenizer.bytesOf(t),
    local,
  };
}

/**
 * The registry's models this node serves: the built-in exact model if the registry holds the
 * hash of the weights this node generates, and each model loaded from local files (checked
 * against the registry's file hashes when loaded); otherwise why not.
 */
function served(ctx: RpcContext): Serving {
  const out: Serving = { models: [], refused: new Map() };
  for (const entry of modelList(readStoreIn(ctx.chain.state, modelsModule))) {
    const local = ctx.localModels?.loaded.get(entry.id);
    if (entry.id === builtin().spec.id) {
      const m = builtin().spec;
      if (toHex(entry.weightsHash) === m.weightsHash) out.models.push(exactServed());
      else
        out.refused.set(
          entry.id,
          `this node's weights of ${m.id} hash to ${m.weightsHash}, the registry says ${toHex(entry.weightsHash)}; it does not serve them`,
        );
    } else if (local) out.models.push(floatServed(entry, local));
    else
      out.refused.set(
        entry.id,
        ctx.localModels?.refused.get(entry.id) ?? `this node has no files for ${entry.id} (see --models-dir)`,
      );
  }
  return out;
}

export const MAX_COMPLETION_TOKENS = 256;

/** An error in OpenAI's shape: HTTP status, message, param, code, type. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly param: string | null = null,
    readonly code: string | null = null,
    readonly type = "invalid_request_error",
  ) {
    super(message);
  }
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(body));
}

function modelObject(m: ServedModel) {
  return {
    id: m.id,
    object: "model",
    created: 0,
    owned_by: "racecoin",
    context_length: m.contextLength,
    verification: m.verification,
    weights_hash: m.weightsHash,
    units_per_token: m.unitsPerToken,
  };
}

interface Request {
  apiKey: Uint8Array;
  body: Uint8Array;
  model: ServedModel;
  prompt: Uint8Array;
  promptTokens: number;
  maxTokens: number;
  sampling: Sampling;
  stream: boolean;
  includeUsage: boolean;
  logprobs: boolean;
  /** Alternatives per token to list (legacy `logprobs: k`, chat `top_logprobs`). */
  topLogprobs: number;
  /** vLLM's `return_tokens_as_token_ids`: token strings as "token_id:N". */
  tokenIds: boolean;
}

function number(v: unknown, name: string, lo: number, hi: number, dflt: number): number {
  if (v === undefined || v === null) return dflt;
  if (typeof v !== "number" || !Number.isFinite(v) || v < lo || v > hi)
    throw new ApiError(400, `${name} must be a number in [${lo}, ${hi}]`, name);
  return v;
}

/**
 * The API key from `Authorization: Bearer rk_<64 hex>`: a secp256k1 key the developer authorized
 * on chain with a spend limit (spec/tasks.md §Paying).
 */
function apiKeyOf(req: IncomingMessage): Uint8Array {
  const auth = req.headers.authorization;
  if (!auth)
    throw new ApiError(
      401,
      "You didn't provide an API key. Pass it as 'Authorization: Bearer rk_…' (create one with 'racecoin tasks new-key')",
      null,
      "invalid_api_key",
    );
  const m = /^Bearer\s+rk_([0-9a-fA-F]{64})$/.exec(auth.trim());
  const key = m ? new Uint8Array(Buffer.from(m[1]!, "hex")) : undefined;
  if (!key || !isValidPrivateKey(key))
    throw new ApiError(
      401,
      "Incorrect API key provided: expected rk_ followed by 64 hex digits (create one with 'racecoin tasks new-key')",
      null,
      "invalid_api_key",
    );
  return key;
}

function parseCommon(
  serving: Serving,
  o: Record<string, unknown>,
  prompt: string,
  defaultMax: number,
  apiKey: Uint8Array,
  body: Uint8Array,
): Request {
  if (typeof o.model !== "string") throw new ApiError(400, "model is required", "model");
  const m = serving.models.find((x) => x.id === o.model);
  const refused = serving.refused.get(o.model);
  if (refused) throw new ApiError(503, refused, "model", "model_not_served", "server_error");
  if (!m)
    throw new ApiError(
      404,
      `The model '${o.model.slice(0, 100)}' does not exist`,
      "model",
      "model_not_found",
    );
  if (o.n !== undefined && o.n !== 1) throw new ApiError(400, "only n = 1 is supported", "n");
  const bytes = new TextEncoder().encode(prompt);
  if (bytes.length > MAX_PROMPT_BYTES)
    throw new ApiError(400, `The prompt has ${bytes.length} bytes; at most ${MAX_PROMPT_BYTES}`, "messages");
  const promptTokens = m.count(bytes);
  if (promptTokens >= m.contextLength)
    throw new ApiError(
      400,
      `This model's maximum context length is ${m.contextLength} tokens; the prompt has ${promptTokens}`,
      "messages",
      "context_length_exceeded",
    );
  const maxTokens = number(
    o.max_completion_tokens ?? o.max_tokens,
    "max_tokens",
    1,
    MAX_COMPLETION_TOKENS,
    defaultMax,
  );
  if (!Number.isInteger(maxTokens)) throw new ApiError(400, "max_tokens must be an integer", "max_tokens");
  const temperature = number(o.temperature, "temperature", 0, 2, 1);
  const topP = number(o.top_p, "top_p", 0, 1, 1);
  const seed = number(o.seed, "seed", -(2 ** 53), 2 ** 53, 0);
  if (o.stream !== undefined && typeof o.stream !== "boolean")
    throw new ApiError(400, "stream must be a boolean", "stream");
  const opts = o.stream_options as { include_usage?: unknown } | undefined;
  return {
    apiKey,
    body,
    model: m,
    prompt: bytes,
    promptTokens,
    maxTokens,
    sampling: {
      temperatureMilli: Math.round(temperature * 1000),
      topPMilli: Math.max(1, Math.round(topP * 1000)),
      seed: BigInt(Math.trunc(seed)),
    },
    stream: o.stream === true,
    includeUsage: opts?.include_usage === true,
    // Chat takes `logprobs: true`; completions the legacy integer (0-5): any asks for them.
    logprobs: o.logprobs === true || (typeof o.logprobs === "number" && o.logprobs >= 0),
    topLogprobs: Math.min(
      TOP_K,
      typeof o.logprobs === "number" ? o.logprobs : typeof o.top_logprobs === "number" ? o.top_logprobs : 0,
    ),
    tokenIds: o.return_tokens_as_token_ids === true,
  };
}

/** Chat messages → the prompt: "role: content" lines, then "assistant: ". */
function chatPrompt(messages: unknown): string {
  if (!Array.isArray(messages) || messages.length === 0 || messages.length > 256)
    throw new ApiError(400, "messages must be a non-empty array", "messages");
  const lines = messages.map((m, i) => {
    const o = m as { role?: unknown; content?: unknown };
    if (
      !o ||
      typeof o.role !== "string" ||
      !["system", "developer", "user", "assistant", "tool"].includes(o.role)
    )
      throw new ApiError(
        400,
        `messages[${i}].role must be system, developer, user, assistant or tool`,
        `messages[${i}].role`,
      );
    const content =
      typeof o.content === "string"
        ? o.content
        : Array.isArray(o.content)
          ? o.content
              .map((p: { type?: string; text?: string }) => (p?.type === "text" ? (p.text ?? "") : ""))
              .join("")
          : null;
    if (content === null)
      throw new ApiError(400, `messages[${i}].content must be text`, `messages[${i}].content`);
    return `${o.role}: ${content}\n`;
  });
  return `${lines.join("")}assistant: `;
}

/** Where /v1 requests go: the node's market router, or a local model (`racecoin serve-model`). */
interface V1Source {
  /** The models served, and why registered ones are not. */
  served(): Serving;
  /** Requests need an API key (the market charges them). */
  needsKey: boolean;
  run(r: Request, onToken: (t: StreamedToken) => void): ReturnType<Run>;
}

/** Handle /v1/* on a node's RPC port: requests go through the market (returns false for other paths). */
export function handleOpenAi(
  ctx: RpcContext,
  req: IncomingMessage,
  res: ServerResponse,
  readBody: () => Promise<Buffer | undefined>,
): Promise<boolean> {
  return serveV1(
    {
      served: () => served(ctx),
      needsKey: true,
      run: (r, onToken) => {
        const router = ctx.inference;
        if (!router)
          throw new ApiError(
            503,
            "This node does not route inference requests",
            null,
            "no_router",
            "server_error",
          );
        return router.route(
          {
            apiKey: r.apiKey,
            body: r.body,
            model: r.model.id,
            prompt: r.prompt,
            maxTokens: r.maxTokens,
            temperatureMilli: r.sampling.temperatureMilli,
            topPMilli: r.sampling.topPMilli,
            seed: r.sampling.seed,
          },
          onToken,
        );
      },
    },
    req,
    res,
    readBody,
  );
}

/**
 * Handle /v1/* as a plain model server running the built-in model itself, with no chain and no
 * keys: what `racecoin serve-model` answers, the stand-in for the vLLM / llama.cpp servers an
 * executor may point `--inference-upstream` at.
 */
export function handleModelServer(
  req: IncomingMessage,
  res: ServerResponse,
  readBody: () => Promise<Buffer | undefined>,
  local?: LocalModels,
): Promise<boolean> {
  const floats = DEFAULT_MODELS.flatMap((e) => {
    const m = local?.loaded.get(e.id);
    return m ? [floatServed(e, m)] : [];
  });
  return serveV1(
    {
      served: () => ({ models: [exactServed(), ...floats], refused: new Map() }),
      needsKey: false,
      run: async (r, onToken) => {
        const none = { taskId: new Uint8Array(32), executor: new Uint8Array(20) };
        if (r.model.local) {
          const m = r.model.local;
          const ids = m.tokenizer.encode(new TextDecoder().decode(r.prompt));
          const it = floatSteps(m, ids, r.maxTokens, r.sampling);
          for (;;) {
            const step = await it.next();
            if (step.done) return { finish: step.value, ...none };
            const { position, prob, bytes } = step.value;
            onToken({
              token: position.token,
              prob,
              bytes,
              top: position.top.map((e) => ({ token: e.token, logprob: -e.nll / 1e6 })),
            });
            await new Promise((resolve) => setImmediate(resolve));
          }
        }
        const it = steps(builtin(), r.prompt, r.maxTokens, r.sampling);
        for (;;) {
          const step = it.next();
          if (step.done)
            return { finish: step.value, taskId: new Uint8Array(32), executor: new Uint8Array(20) };
          onToken(step.value);
          // Let the chunk go out and other requests run between tokens.
          await new Promise((resolve) => setImmediate(resolve));
        }
      },
    },
    req,
    res,
    readBody,
  );
}

async function serveV1(
  source: V1Source,
  req: IncomingMessage,
  res: ServerResponse,
  readBody: () => Promise<Buffer | undefined>,
): Promise<boolean> {
  const url = (req.url ?? "").split("?")[0]!;
  if (!url.startsWith("/v1/")) return false;
  try {
    if (req.method === "GET" && url === "/v1/models") {
      send(res, 200, { object: "list", data: source.served().models.map(modelObject) });
      return true;
    }
    if (req.method === "GET" && url.startsWith("/v1/models/")) {
      const id = decodeURIComponent(url.slice("/v1/models/".length));
      const m = source.served().models.find((x) => x.id === id);
      if (!m)
        throw new ApiError(404, `The model '${id.slice(0, 100)}' does not exist`, "model", "model_not_found");
      send(res, 200, modelObject(m));
      return true;
    }
    const chat = url === "/v1/chat/completions";
    if (!chat && url !== "/v1/completions")
      throw new ApiError(404, `Unknown endpoint ${req.method} ${url.slice(0, 100)}`, null, "unknown_url");
    if (req.method !== "POST") throw new ApiError(405, `Use POST for ${url}`);
    const body = await readBody();
    if (body === undefined) throw new ApiError(413, "request body too large");
    let o: Record<string, unknown>;
    try {
      o = JSON.parse(body.toString("utf8"));
    } catch {
      throw new ApiError(400, "the body is not valid JSON");
    }
    if (typeof o !== "object" || o === null || Array.isArray(o))
      throw new ApiError(400, "the body must be a JSON object");
    let prompt: string;
    if (chat) prompt = chatPrompt(o.messages);
    else if (typeof o.prompt === "string") prompt = o.prompt;
    else throw new ApiError(400, "prompt must be a string", "prompt");
    const apiKey = source.needsKey ? apiKeyOf(req) : new Uint8Array(32);
    const r = parseCommon(source.served(), o, prompt, chat ? 64 : 16, apiKey, body);
    await complete(res, r, chat, (onToken) => source.run(r, onToken));
  } catch (e) {
    if (!(e instanceof ApiError)) throw e;
    if (res.headersSent) res.end();
    else send(res, e.status, { error: { message: e.message, type: e.type, param: e.param, code: e.code } });
  }
  return true;
}

/**
 * Completions' legacy logprobs: token strings (vLLM's "bytes:\\xNN" for a byte that is not text on
 * its own, so a client recovers every token of the byte-level model), logprobs, offsets.
 */
function legacy(lps: LogprobEntry[], r: Request) {
  let offset = 0;
  const name = (id: number, bytes: ArrayLike<number>) => (r.tokenIds ? `token_id:${id}` : tokenString(bytes));
  return {
    tokens: lps.map((t) => name(t.id, t.bytes)),
    token_logprobs: lps.map((t) => t.logprob),
    top_logprobs:
      r.topLogprobs > 0
        ? lps.map((t) =>
            Object.fromEntries(
              (t.top ?? [])
                .slice(0, r.topLogprobs)
                .map((e) => [name(e.token, r.model.bytesOf(e.token)), e.logprob]),
            ),
          )
        : null,
    text_offset: lps.map((t) => {
      const at = offset;
      offset += t.token.length;
      return at;
    }),
  };
}

/** A token as legacy completions name it: its text if ASCII, else vLLM's "bytes:\\xNN…". */
function tokenString(bytes: ArrayLike<number>): string {
  const b = Array.from(bytes);
  return b.every((x) => x < 0x80)
    ? String.fromCharCode(...b)
    : `bytes:${b.map((x) => `\\x${x.toString(16).padStart(2, "0")}`).join("")}`;
}

interface LogprobEntry {
  token: string;
  logprob: number;
  bytes: number[];
  top_logprobs: { token: string; logprob: number; bytes: number[] }[];
  /** Not serialized in chat (stripped by `chatLogprobs`): the id and alternatives for legacy output. */
  id: number;
  top?: { token: number; logprob: number }[];
}

type Run = (
  onToken: (t: StreamedToken) => void,
) => Promise<{ finish: string; taskId: Uint8Array; executor: Uint8Array }>;

async function complete(res: ServerResponse, r: Request, chat: boolean, run: Run): Promise<void> {
  const m = r.model;
  const id = `${chat ? "chatcmpl" : "cmpl"}-${randomBytes(12).toString("hex")}`;
  const created = Math.floor(Date.now() / 1000);
  const base = { id, created, model: m.id, system_fingerprint: m.weightsHash.slice(0, 18) };
  const object = chat ? "chat.completion.chunk" : "text_completion";
  const decoder = new TextDecoder("utf-8", { fatal: false });
  let completionTokens = 0;
  let text = "";
  // Per-token logprobs with each token's byte (OpenAI's shape): what a verifier needs to re-run the
  // exact model teacher-forced, even where the bytes are not valid UTF-8 on their own.
  const logprobs: LogprobEntry[] = [];
  const lp = (t: StreamedToken, s: string): LogprobEntry => ({
    token: s,
    logprob: Math.log(t.prob),
    bytes: [...(t.bytes ?? [t.token])],
    top_logprobs: (t.top ?? []).slice(0, r.topLogprobs).map((e) => {
      const b = [...m.bytesOf(e.token)];
      return { token: new TextDecoder().decode(Uint8Array.from(b)), logprob: e.logprob, bytes: b };
    }),
    id: t.token,
    ...(t.top ? { top: t.top } : {}),
  });
  const chatLogprobs = (lps: LogprobEntry[]) =>
    lps.map(({ token, logprob, bytes, top_logprobs }) => ({ token, logprob, bytes, top_logprobs }));
  const usage = () => ({
    prompt_tokens: r.promptTokens,
    completion_tokens: completionTokens,
    total_tokens: r.promptTokens + completionTokens,
  });
  // Events of one tick go out in one write (tokens relayed a few at a time arrive together).
  let queued = "";
  const flush = () => {
    if (queued && !res.destroyed && !res.writableEnded) res.write(queued);
    queued = "";
  };
  const write = (o: unknown) => {
    if (!queued) setImmediate(flush);
    queued += `data: ${JSON.stringify(o)}\n\n`;
  };
  const piece = (content: string, finish: string | null, lps: ReturnType<typeof lp>[] | null = null) =>
    chat
      ? {
          ...base,
          object,
          choices: [
            {
              index: 0,
              delta: content ? { content } : {},
              logprobs: lps ? { content: chatLogprobs(lps), refusal: null } : null,
              finish_reason: finish,
            },
          ],
        }
      : {
          ...base,
          object,
          choices: [
            { index: 0, text: content, logprobs: lps ? legacy(lps, r) : null, finish_reason: finish },
          ],
        };
  // Tokens arrive from the executor through the intermediary's router, one callback each.
  let started = false;
  const begin = () => {
    if (started || !r.stream) return;
    started = true;
    res.writeHead(200, {
      "content-type": "text/event-stream",
      "cache-control": "no-cache",
      connection: "keep-alive",
    });
    if (chat)
      write({
        ...base,
        object,
        choices: [
          { index: 0, delta: { role: "assistant", content: "" }, logprobs: null, finish_reason: null },
        ],
      });
  };
  const ran = run((t) => {
    begin();
    completionTokens++;
    const s = decoder.decode(t.bytes ?? Uint8Array.of(t.token), { stream: true });
    text += s;
    if (r.logprobs) logprobs.push(lp(t, s));
    if (r.stream && !res.destroyed && (s || r.logprobs))
      write(piece(s, null, r.logprobs ? [lp(t, s)] : null));
  });
  // Tokens already relayed reach the client before an error ends the stream.
  const { finish, taskId, executor } = await ran.catch((e) => {
    flush();
    throw e;
  });
  begin();
  if (res.destroyed) return;
  const tail = decoder.decode();
  text += tail;
  if (r.stream) {
    write(piece(tail, finish));
    if (r.includeUsage) write({ ...base, object, choices: [], usage: usage() });
    flush();
    res.end("data: [DONE]\n\n");
    return;
  }
  // Who ran the task (auditable against the routing rule); the executor never learns the client.
  res.setHeader("x-racecoin-task-id", toHex(taskId));
  res.setHeader("x-racecoin-executor", toHex(executor));
  send(res, 200, {
    ...base,
    object: chat ? "chat.completion" : "text_completion",
    choices: [
      chat
        ? {
            index: 0,
            message: { role: "assistant", content: text, refusal: null },
            logprobs: r.logprobs ? { content: chatLogprobs(logprobs), refusal: null } : null,
            finish_reason: finish,
          }
        : { index: 0, text, logprobs: r.logprobs ? legacy(logprobs, r) : null, finish_reason: finish },
    ],
    usage: usage(),
  });
}
