/**
 * Protocol honeypots (spec/tasks.md §Honeypots): checks of tasks the chain itself made, with a
 * known wrong answer, drawn with beacon randomness to a verifier like any check. A verifier that
 * passes one (`verdict`) did not re-run it: its validation share of the cycle is forfeited.
 */
import { createHash } from "node:crypto";
import {
  type ExactModel,
  nextToken,
  type Sampling,
  steps,
  type TaskPayload,
} from "../../src/inference/index.ts";

/** Honeypots a block plants at most: each costs its creator up to HONEST_PREFIX + 1 forward passes. */
export const HONEYPOT_MAX = 2;
/** The wrong token sits at a position below this, after an honest prefix the chain generates. */
export const HONEST_PREFIX = 4;

/** A honeypot's task id: SHA-256("racecoin/honeypot" ‖ beacon output ‖ the drawn task's id). */
export function honeypotId(output: Uint8Array, taskId: Uint8Array): Uint8Array {
  return new Uint8Array(
    createHash("sha256").update("racecoin/honeypot").update(output).update(taskId).digest(),
  );
}

/** Whether a drawn check brings a honeypot: u64be(SHA-256("racecoin/honeypot-draw" ‖ output ‖ taskId)) mod 1000 < rate. */
export function honeypotDrawn(output: Uint8Array, taskId: Uint8Array, rateMilli: number): boolean {
  const h = createHash("sha256").update("racecoin/honeypot-draw").update(output).update(taskId).digest();
  return Number(h.readBigUInt64BE(0) % 1000n) < rateMilli;
}

/**
 * The honeypot payload of a seed (its id), wrong by construction: a printable prompt of 8–32
 * bytes, `maxTokens` 4–16, greedy sampling; the first j tokens (j < HONEST_PREFIX) are the
 * model's own, token j is any nonzero byte but the model's choice, the rest are random nonzero
 * bytes, finish "length". A teacher-forced check faults at token j; one that does not run the
 * model cannot tell it from an answer.
 */
export function honeypotPayload(model: ExactModel, seed: Uint8Array): TaskPayload {
  const bytes = (label: string, n: number) => {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i += 32)
      out.set(
        createHash("sha256")
          .update(`racecoin/honeypot/${label}`)
          .update(seed)
          .update(Uint8Array.of(i >> 5))
          .digest()
          .subarray(0, Math.min(32, n - i)),
        i,
      );
    return out;
  };
  const h = bytes("shape", 4);
  const prompt = bytes("prompt", 8 + (h[0]! % 25)).map((b) => 32 + (b % 95));
  const maxTokens = 4 + (h[1]! % 13);
  const s: Sampling = { temperatureMilli: 0, topPMilli: 1000, seed: 0n };
  const tokens: number[] = [];
  // The honest prefix ends early where the model itself would stop (its choice is byte 0).
  for (const step of steps(model, prompt, h[2]! % HONEST_PREFIX, s)) tokens.push(step.token);
  const choice = nextToken(model.logits(Uint8Array.from([...prompt, ...tokens])), s, tokens.length);
  // Nonzero and never the model's choice: (choice + 1 + r) mod 255 + 1 with r < 253.
  tokens.push(((choice + 1 + (h[3]! % 253)) % 255) + 1);
  const tail = bytes("tail", maxTokens - tokens.length);
  for (const b of tail) tokens.push((b % 255) + 1);
  return {
    prompt,
    maxTokens,
    temperatureMilli: 0,
    topPMilli: 1000,
    seed: 0n,
    tokens: Uint8Array.from(tokens),
    finish: "length",
    positions: [],
  };
}
