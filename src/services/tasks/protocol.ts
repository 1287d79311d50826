/**
 * Wire formats of the inference market between nodes (spec/tasks.md §Messages): who a peer's
 * account is, a task forwarded by the intermediary, the executor's streamed answer, the receipt
 * handed to the executor, and the payload a verifier fetches.
 */
import { createHash } from "node:crypto";
import { recoverAddress, signDigest } from "../../crypto/index.ts";
import { address20, bytes, encode, hash32, quantity, str, struct, uint } from "../../encoding/index.ts";
import { MAX_PROMPT_BYTES, type Position, TOP_K } from "../../inference/index.ts";
import type { ProtocolLimits } from "../../network/index.ts";
import type { Address } from "../../types/index.ts";

export const WHOAMI_PROTOCOL = "/racecoin/whoami/1";
export const INFER_PROTOCOL = "/racecoin/infer/1";
export const RECEIPT_PROTOCOL = "/racecoin/receipt/1";
export const PAYLOAD_PROTOCOL = "/racecoin/payload/1";

export const WHOAMI_LIMITS: ProtocolLimits = {
  maxRequestBytes: 0,
  maxResponseBytes: 128,
  ratePerSec: 5,
  timeoutMs: 3_000,
};
export const INFER_LIMITS: ProtocolLimits = {
  maxRequestBytes: 8 * 1024,
  maxResponseBytes: 64 * 1024,
  ratePerSec: 200,
  timeoutMs: 60_000,
  // Tokens faster than one per 2 ms travel a few to a write (bench:inference, float model).
  coalesceMs: 2,
};
export const RECEIPT_LIMITS: ProtocolLimits = {
  maxRequestBytes: 1024,
  maxResponseBytes: 512,
  ratePerSec: 400,
  timeoutMs: 10_000,
};
export const PAYLOAD_LIMITS: ProtocolLimits = {
  maxRequestBytes: 32,
  maxResponseBytes: 64 * 1024,
  ratePerSec: 400,
  timeoutMs: 5_000,
};

/** The account behind a peer: its address and a signature binding it to the peer id. */
export const whoamiCodec = struct<{ address: Address; signature: Uint8Array }>("tasks.Whoami", {
  address: address20,
  signature: bytes({ length: 65 }),
});

function whoamiDigest(chainId: bigint, peerId: string): Uint8Array {
  const id = Buffer.alloc(8);
  id.writeBigUInt64BE(chainId);
  return new Uint8Array(createHash("sha256").update("racecoin/whoami").update(id).update(peerId).digest());
}

export function signWhoami(key: Uint8Array, chainId: bigint, peerId: string): Uint8Array {
  const s = signDigest(whoamiDigest(chainId, peerId), key);
  const out = new Uint8Array(65);
  out.set(Buffer.from(s.r.toString(16).padStart(64, "0"), "hex"), 0);
  out.set(Buffer.from(s.s.toString(16).padStart(64, "0"), "hex"), 32);
  out[64] = s.recovery;
  return out;
}

export function whoamiSigner(chainId: bigint, peerId: string, signature: Uint8Array): Address | null {
  const v = signature[64];
  if (v !== 0 && v !== 1) return null;
  return recoverAddress(whoamiDigest(chainId, peerId), signature.subarray(0, 64), v);
}

/** A task as the intermediary forwards it: everything the executor runs and the receipt names. */
export interface TaskRequest {
  taskId: Uint8Array;
  model: string;
  prompt: Uint8Array;
  maxTokens: number;
  temperatureMilli: number;
  topPMilli: number;
  seed: bigint;
  cycle: number;
  round: number;
  attempt: number;
  intermediary: Address;
  /** 1: a marked dummy task (served after real requests); 0 otherwise. */
  dummy: number;
  /** The API key's signature of the task (signRequest): the payer, checked before answering. */
  keySignature: Uint8Array;
}

const taskRequestFields = {
  taskId: hash32,
  model: str(64),
  prompt: bytes({ max: MAX_PROMPT_BYTES }),
  maxTokens: uint,
  temperatureMilli: uint,
  topPMilli: uint,
  seed: quantity,
  cycle: uint,
  round: uint,
  attempt: uint,
  intermediary: address20,
  dummy: uint,
};
export const taskRequestCodec = struct<TaskRequest>("tasks.Request", {
  ...taskRequestFields,
  keySignature: bytes({ length: 65 }),
});
const requestBodyCodec = struct<Omit<TaskRequest, "keySignature">>("tasks.RequestBody", taskRequestFields);

/** What the API key signs (signRequest): the request without its signature, canonical msgpack. */
export function requestBody(t: Omit<TaskRequest, "keySignature">): Uint8Array {
  const { keySignature: _, ...body } = t as TaskRequest;
  return encode(requestBodyCodec, body);
}

/**
 * Answer frames: a token with its probability under the rule (exact class: the token is a byte);
 * a tolerance-class token with its bytes and the executor's position record (its top-k logprobs,
 * which the payload carries); or the end with the payload hash.
 */
export type AnswerFrame =
  | { kind: "token"; token: number; prob: number; bytes?: Uint8Array; position?: Position }
  | { kind: "end"; finish: "stop" | "length"; payloadHash: Uint8Array };

const MAX_PIECE_BYTES = 255;

export function encodeFrame(f: AnswerFrame): Uint8Array {
  if (f.kind === "token" && f.position) {
    const p = f.position;
    const bytes = f.bytes ?? new Uint8Array(0);
    if (bytes.length > MAX_PIECE_BYTES || p.top.length > 255) throw new Error("token piece too long");
    const b = Buffer.alloc(1 + 4 + 8 + 4 + 1 + 8 * p.top.length + 1 + bytes.length);
    let o = 0;
    b[o++] = 3;
    o = b.writeUInt32BE(f.token, o);
    o = b.writeDoubleBE(f.prob, o);
    o = b.writeUInt32BE(p.nll, o);
    b[o++] = p.top.length;
    for (const e of p.top) {
      o = b.writeUInt32BE(e.token, o);
      o = b.writeUInt32BE(e.nll, o);
    }
    b[o++] = bytes.length;
    b.set(bytes, o);
    return b;
  }
  if (f.kind === "token") {
    const b = Buffer.alloc(10);
    b[0] = 1;
    b[1] = f.token;
    b.writeDoubleBE(f.prob, 2);
    return b;
  }
  const b = Buffer.alloc(34);
  b[0] = 2;
  b[1] = f.finish === "stop" ? 0 : 1;
  b.set(f.payloadHash, 2);
  return b;
}

export function decodeFrame(b: Uint8Array): AnswerFrame {
  const buf = Buffer.from(b);
  if (buf.length === 10 && buf[0] === 1) {
    const prob = buf.readDoubleBE(2);
    if (!(prob > 0 && prob <= 1)) throw new Error("token probability out of (0, 1]");
    return { kind: "token", token: buf[1]!, prob };
  }
  if (buf.length >= 19 && buf[0] === 3) {
    const token = buf.readUInt32BE(1);
    const prob = buf.readDoubleBE(5);
    if (!(prob > 0 && prob <= 1)) throw new Error("token probability out of (0, 1]");
    const nll = buf.readUInt32BE(13);
    const k = buf[17]!;
    if (k > TOP_K || buf.length < 19 + 8 * k) throw new Error("malformed answer frame");
    const top = Array.from({ length: k }, (_, i) => ({
      token: buf.readUInt32BE(18 + 8 * i),
      nll: buf.readUInt32BE(22 + 8 * i),
    }));
    const at = 18 + 8 * k;
    const n = buf[at]!;
    if (buf.length !== at + 1 + n) throw new Error("malformed answer frame");
    return {
      kind: "token",
      token,
      prob,
      bytes: new Uint8Array(buf.subarray(at + 1)),
      position: { token, nll, top },
    };
  }
  if (buf.length === 34 && buf[0] === 2 && buf[1]! <= 1)
    return { kind: "end", finish: buf[1] === 0 ? "stop" : "length", payloadHash: buf.subarray(2) };
  throw new Error("malformed answer frame");
}
