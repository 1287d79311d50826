/**
 * Tasks of the inference market (spec/tasks.md): what an executor ran (the payload), the receipt
 * a developer's API key signs for it, and the objective check of a payload on an exact model.
 * Pure: no I/O. The chain (contracts/tasks) and the nodes use the same functions.
 */
import { createHash } from "node:crypto";
import { recoverAddress, signDigest } from "../crypto/index.ts";
import { address20, bytes, encode, hash32, list, quantity, str, struct, uint } from "../encoding/index.ts";
import type { Address } from "../types/index.ts";
import { type ExactModel, nextToken, type Sampling, verifyGeneration } from "./model.ts";
import { type Position, TOP_K } from "./tolerance.ts";

/** Everything needed to re-run a task: the request as the model saw it and the tokens answered. */
export interface TaskPayload {
  prompt: Uint8Array;
  maxTokens: number;
  temperatureMilli: number;
  topPMilli: number;
  /** The sampling seed as an unsigned 64-bit integer (two's complement of a negative seed). */
  seed: bigint;
  /** Completion tokens of an exact model (the built-in model's tokens are bytes). */
  tokens: Uint8Array;
  finish: string;
  /**
   * A tolerance-class model's completion: each position's token and the executor's top-k
   * logprobs (the token ending a "stop" completion included). Empty for an exact model.
   */
  positions: Position[];
}

export const MAX_PROMPT_BYTES = 4096;
export const MAX_COMPLETION_BYTES = 4096;
/** Positions a tolerance-class payload carries at most (the longest completion). */
export const MAX_POSITIONS = 256;

export const taskPayloadCodec = struct<TaskPayload>("tasks.Payload", {
  prompt: bytes({ max: MAX_PROMPT_BYTES }),
  maxTokens: uint,
  temperatureMilli: uint,
  topPMilli: uint,
  seed: quantity,
  tokens: bytes({ max: MAX_COMPLETION_BYTES }),
  finish: str(8),
  positions: list(
    struct<Position>("tasks.Position", {
      token: uint,
      nll: uint,
      top: list(
        struct<{ token: number; nll: number }>("tasks.TopLogprob", { token: uint, nll: uint }),
        TOP_K,
      ),
    }),
    MAX_POSITIONS,
  ),
});

export function payloadHash(p: TaskPayload): Uint8Array {
  return new Uint8Array(createHash("sha256").update(encode(taskPayloadCodec, p)).digest());
}

export function samplingOf(p: TaskPayload): Sampling {
  return { temperatureMilli: p.temperatureMilli, topPMilli: p.topPMilli, seed: BigInt.asIntN(64, p.seed) };
}

/**
 * Why a payload is not what the exact model answers, or "" when it is: every token must be the
 * one the sampling rule picks (teacher-forced, one causal pass), "stop" must be the rule's choice
 * of token 0 right after the last token, and "length" must mean max_tokens or the context is full.
 */
export function payloadFault(model: ExactModel, p: TaskPayload): string {
  if (p.positions.length > 0) return "an exact model's payload carries tokens, not positions";
  // Past the context an honest executor answers nothing (it refuses such a prompt): a fault found
  // without running the model, so an oversized payload never costs a node a long forward pass.
  const context = model.spec.contextLength;
  if (p.prompt.length >= context || p.prompt.length + p.tokens.length > context)
    return `the prompt and completion (${p.prompt.length} + ${p.tokens.length} tokens) exceed the model's context of ${context}`;
  const s = samplingOf(p);
  const tokens = Array.from(p.tokens);
  const at = verifyGeneration(model, p.prompt, tokens, s);
  if (at >= 0) return `token ${at} is not the model's choice`;
  const full = p.prompt.length + tokens.length >= model.spec.contextLength;
  if (p.finish === "length") {
    if (tokens.length !== p.maxTokens && !full)
      return `finish "length" after ${tokens.length} of ${p.maxTokens} tokens`;
    return "";
  }
  if (p.finish === "stop") {
    if (tokens.length >= p.maxTokens || full) return `finish "stop" at the length limit`;
    const next = nextToken(model.logits(Uint8Array.from([...p.prompt, ...tokens])), s, tokens.length);
    if (next !== 0) return `finish "stop" but the model's next token is ${next}, not 0`;
    return "";
  }
  return `unknown finish "${p.finish.slice(0, 8)}"`;
}

/** What a developer's API key signs for one task: the charge is computed on chain from it. */
export interface ReceiptBody {
  taskId: Uint8Array;
  model: string;
  promptTokens: number;
  completionTokens: number;
  /** Cycle whose price and weights apply (the intermediary's head cycle when it routed). */
  cycle: number;
  /** Beacon round whose output drew the executor. */
  round: number;
  /** Replacement count: draw `attempt` excludes the executors of the earlier draws. */
  attempt: number;
  executor: Address;
  intermediary: Address;
  payloadHash: Uint8Array;
}

export interface Receipt extends ReceiptBody {
  /** r ‖ s ‖ recovery (65 bytes) by the API key over receiptDigest. */
  signature: Uint8Array;
}

const receiptBodyFields = {
  taskId: hash32,
  model: str(64),
  promptTokens: uint,
  completionTokens: uint,
  cycle: uint,
  round: uint,
  attempt: uint,
  executor: address20,
  intermediary: address20,
  payloadHash: hash32,
};
const receiptBodyCodec = struct<ReceiptBody>("tasks.ReceiptBody", receiptBodyFields);

export const receiptCodec = struct<Receipt>("tasks.Receipt", {
  ...receiptBodyFields,
  signature: bytes({ length: 65 }),
});

/** SHA-256("racecoin/receipt" ‖ u64be(chainId) ‖ canonical msgpack of the body). */
export function receiptDigest(chainId: bigint, r: ReceiptBody): Uint8Array {
  const id = Buffer.alloc(8);
  id.writeBigUInt64BE(chainId);
  const body: ReceiptBody = {
    taskId: r.taskId,
    model: r.model,
    promptTokens: r.promptTokens,
    completionTokens: r.completionTokens,
    cycle: r.cycle,
    round: r.round,
    attempt: r.attempt,
    executor: r.executor,
    intermediary: r.intermediary,
    payloadHash: r.payloadHash,
  };
  return new Uint8Array(
    createHash("sha256")
      .update("racecoin/receipt")
      .update(id)
      .update(encode(receiptBodyCodec, body))
      .digest(),
  );
}

export function signReceipt(apiKey: Uint8Array, chainId: bigint, body: ReceiptBody): Receipt {
  return { ...body, signature: packSignature(signDigest(receiptDigest(chainId, body), apiKey)) };
}

/**
 * What the API key signs for a task before it is answered (spec/tasks.md §Messages between nodes):
 * SHA-256("racecoin/task-request" ‖ u64be(chainId) ‖ the request's canonical msgpack without the
 * signature). It names the payer to the executor, which checks on chain that the receipt would
 * settle before running anything, and binds the whole request: its prompt, limits, cycle, round
 * and attempt.
 */
function requestDigest(chainId: bigint, body: Uint8Array): Uint8Array {
  const id = Buffer.alloc(8);
  id.writeBigUInt64BE(chainId);
  return new Uint8Array(
    createHash("sha256").update("racecoin/task-request").update(id).update(body).digest(),
  );
}

function packSignature(sig: { r: bigint; s: bigint; recovery: number }): Uint8Array {
  const out = new Uint8Array(65);
  out.set(Buffer.from(sig.r.toString(16).padStart(64, "0"), "hex"), 0);
  out.set(Buffer.from(sig.s.toString(16).padStart(64, "0"), "hex"), 32);
  out[64] = sig.recovery;
  return out;
}

export function signRequest(apiKey: Uint8Array, chainId: bigint, body: Uint8Array): Uint8Array {
  return packSignature(signDigest(requestDigest(chainId, body), apiKey));
}

/** The API key that signed a task request's body, or null for a signature that recovers to none. */
export function requestSigner(chainId: bigint, body: Uint8Array, signature: Uint8Array): Address | null {
  const v = signature[64];
  if (signature.length !== 65 || (v !== 0 && v !== 1)) return null;
  return recoverAddress(requestDigest(chainId, body), signature.subarray(0, 64), v);
}

/** The API key that signed a receipt, or null for a signature that recovers to none. */
export function receiptSigner(chainId: bigint, r: Receipt): Address | null {
  const v = r.signature[64];
  if (v !== 0 && v !== 1) return null;
  return recoverAddress(receiptDigest(chainId, r), r.signature.subarray(0, 64), v);
}

/**
 * The task id: SHA-256("racecoin/task" ‖ API key address ‖ SHA-256(request body) ‖ u64be(serial)),
 * where serial is the intermediary's arrival counter, so identical requests are distinct tasks.
 */
export function taskIdOf(key: Address, body: Uint8Array, serial: bigint): Uint8Array {
  const n = Buffer.alloc(8);
  n.writeBigUInt64BE(serial);
  const inner = createHash("sha256").update(body).digest();
  return new Uint8Array(
    createHash("sha256").update("racecoin/task").update(key).update(inner).update(n).digest(),
  );
}
