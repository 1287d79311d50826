/**
 * Executors' upstream servers (spec/tasks.md §Upstream servers): tasks generated on an
 * OpenAI-compatible server (vLLM, llama.cpp, `racecoin serve-model`) through streamed legacy
 * completions with logprobs.
 */
import { type Position, TOP_K } from "../../inference/index.ts";
import type { HfModel } from "../../models/index.ts";
import type { TaskRequest } from "./protocol.ts";

/**
 * Tokens from an upstream OpenAI-compatible server (spec/tasks.md §Upstream servers): a streamed
 * legacy completion with logprobs, each token string mapped back to its byte ("bytes:\\xNN" for
 * bytes that are not text alone, as vLLM writes them) and its probability.
 */
export async function* upstreamTokens(
  base: string,
  t: TaskRequest,
  prompt: string,
): AsyncGenerator<{ token: number; prob: number }, "stop" | "length"> {
  let finish: "stop" | "length" = "length";
  for await (const c of completionChoices(base, t, prompt, { logprobs: 1 })) {
    const lps = c.logprobs;
    for (const [i, s] of (lps?.tokens ?? []).entries()) {
      const m = /^bytes:\\x([0-9a-f]{2})$/.exec(s);
      const bytes = m ? [Number.parseInt(m[1]!, 16)] : [...Buffer.from(s)];
      if (bytes.length !== 1) throw new Error(`upstream token ${JSON.stringify(s)} is not one byte`);
      yield { token: bytes[0]!, prob: Math.min(1, Math.exp(lps!.token_logprobs[i]!)) };
    }
    if (c.finish_reason === "stop" || c.finish_reason === "length") finish = c.finish_reason;
  }
  return finish;
}

interface UpstreamChoice {
  logprobs: {
    tokens: string[];
    token_logprobs: number[];
    top_logprobs?: Record<string, number>[] | null;
  } | null;
  finish_reason: string | null;
}

/**
 * A streamed legacy completion of task `t` on the upstream server (its sampling parameters and
 * `extra`): the first choice of each server-sent event, until [DONE].
 */
async function* completionChoices(
  base: string,
  t: TaskRequest,
  prompt: string,
  extra: Record<string, unknown>,
): AsyncGenerator<UpstreamChoice> {
  const res = await fetch(`${base}/completions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      model: t.model,
      prompt,
      max_tokens: t.maxTokens,
      temperature: t.temperatureMilli / 1000,
      top_p: t.topPMilli / 1000,
      seed: Number(BigInt.asIntN(64, t.seed)),
      stream: true,
      ...extra,
    }),
    signal: AbortSignal.timeout(60_000),
  });
  if (!res.ok || !res.body) throw new Error(`upstream answered ${res.status}`);
  const body = res.body;
  let buffer = "";
  const decoder = new TextDecoder();
  for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) {
    buffer += decoder.decode(chunk, { stream: true });
    const events = buffer.split("\n\n");
    buffer = events.pop()!;
    for (const e of events) {
      const data = e.replace(/^data: /, "");
      if (data === "[DONE]") return;
      const c = (JSON.parse(data) as { choices: UpstreamChoice[] }).choices[0];
      if (c) yield c;
    }
  }
}

/**
 * A tolerance-class answer from an upstream server (spec/tasks.md §Upstream servers): a streamed
 * legacy completion with the top-5 logprobs and vLLM's `return_tokens_as_token_ids`, so each token
 * comes back as "token_id:N" with its logprob and alternatives: the position records the payload
 * keeps. The token's bytes come from the local tokenizer. The server must sample with the rule
 * (inference.md §The built-in float model), as `racecoin serve-model` does; a verifier judges the
 * result within tolerance either way.
 */
export async function* upstreamPositions(
  base: string,
  t: TaskRequest,
  prompt: string,
  model: HfModel,
): AsyncGenerator<{ position: Position; prob: number; bytes: Uint8Array }, "stop" | "length"> {
  const idOf = (s: string) => {
    const m = /^token_id:(\d+)$/.exec(s);
    const id = m ? Number(m[1]) : Number.NaN;
    if (!(id < model.config.vocab))
      throw new Error(`upstream token ${JSON.stringify(s.slice(0, 40))} is not a token id`);
    return id;
  };
  const nll = (lp: number) => Math.min(100 * 1_000_000, Math.max(0, Math.round(-lp * 1_000_000)));
  let finish: "stop" | "length" = "length";
  for await (const c of completionChoices(base, t, prompt, {
    logprobs: TOP_K,
    return_tokens_as_token_ids: true,
  })) {
    const lps = c.logprobs;
    for (const [i, s] of (lps?.tokens ?? []).entries()) {
      const token = idOf(s);
      const lp = lps!.token_logprobs[i]!;
      const top = Object.entries(lps!.top_logprobs?.[i] ?? {})
        .map(([k, v]) => ({ token: idOf(k), nll: nll(v) }))
        .sort((a, b) => a.nll - b.nll || a.token - b.token)
        .slice(0, TOP_K);
      yield {
        position: { token, nll: nll(lp), top },
        prob: Math.max(Number.MIN_VALUE, Math.min(1, Math.exp(lp))),
        bytes: model.tokenizer.bytesOf(token),
      };
    }
    if (c.finish_reason === "stop" || c.finish_reason === "length") finish = c.finish_reason;
  }
  return finish;
}
