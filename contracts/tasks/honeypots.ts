/**
 * Protocol honeypots (spec/tasks.md §Honeypots): checks of tasks the chain itself made, with a
 * known wrong answer, drawn with beacon randomness to a verifier like any check. A verifier that
 * passes one (`verdict`) did not re-run it: its validation share of the cycle is forfeited.
 */
import { createHash } from "node:crypto";
import {
  type ExactModel,
  nextToken,
  payloadHash,
  type Sampling,
  steps,
  type TaskPayload,
  type WeightedPool,
} from "../../src/inference/index.ts";
import { TASKS_MODULE_ADDRESS } from "../../src/params/index.ts";
import { equalBytes } from "../../src/types/index.ts";
import { models as modelsModule } from "../models/index.ts";
import type { ModuleContext } from "../module.ts";
import type { ReadStore } from "../store.ts";
import { registeredExactModel } from "./rules.ts";
import { assigned, due, honeypots, publishedPayloads, type TaskRecord, TaskStatus, tasks } from "./store.ts";

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

/**
 * A protocol honeypot beside the check just drawn for `taskId` (spec/tasks.md §Honeypots): a task
 * of the exact model with a known wrong answer, published on chain, checked by a verifier drawn
 * by weight like any other (never the verifier of `taskId`'s own check, to spread them). No fee,
 * no executor: the module stands in for both. Returns how many were planted (0 or 1).
 */
export function plantHoneypot(
  ctx: ModuleContext,
  latest: { round: number; output: Uint8Array },
  taskId: Uint8Array,
  poolOf: (model: string) => WeightedPool,
): number {
  const s = ctx.store;
  const { height, cycle, preset } = ctx.block;
  const model = registeredExactModel(ctx.storeOf(modelsModule));
  if (!model) return 0;
  const id = honeypotId(latest.output, taskId);
  if (tasks.has(s, id)) return 0;
  const verifier = poolOf(model.spec.id).draw("racecoin/honeypot-verifier", latest.output, id, [
    tasks.get(s, taskId)!.verifier,
  ]);
  if (!verifier) return 0;
  const payload = honeypotPayload(model, id);
  const deadline = height + preset.cycleLength;
  tasks.set(s, id, {
    executor: TASKS_MODULE_ADDRESS,
    intermediary: TASKS_MODULE_ADDRESS,
    model: model.spec.id,
    payloadHash: payloadHash(payload),
    fee: 0n,
    cycle,
    height,
    status: TaskStatus.checking,
    verifier,
    deadline,
    drawRound: latest.round,
    checkMilli: 1000,
    payer: TASKS_MODULE_ADDRESS,
    round: latest.round,
    attempt: 0,
  });
  honeypots.set(s, [cycle, id], 1);
  publishedPayloads.set(s, id, payload);
  due.set(s, [deadline, id], 1);
  assigned.set(s, [verifier, id], 1);
  return 1;
}

export function isHoneypot(s: ReadStore, taskId: Uint8Array, t: TaskRecord): boolean {
  return equalBytes(t.executor, TASKS_MODULE_ADDRESS) && honeypots.has(s, [t.cycle, taskId]);
}
