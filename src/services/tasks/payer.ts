/**
 * Who pays for a task, checked before any work (spec/tasks.md §Escrow): the intermediary admits a
 * request only if the key's spend limit and its owner's escrow not asked back cover the worst case
 * beside what the key already has in flight here; the executor answers only if the key that signed
 * the request would have its receipt settle as the chain stands.
 */
import {
  apiKeys,
  escrows,
  modelEntry,
  models as modelsModule,
  payerRefusal,
  tasks,
  tasksModule,
  unitPriceAt,
  withdrawals,
} from "../../../contracts/index.ts";
import type { Chain } from "../../chain/index.ts";
import { requestSigner } from "../../inference/index.ts";
import { cycleOf } from "../../params/index.ts";
import { ApiError } from "../../rpc/index.ts";
import { readStoreIn } from "../../state/index.ts";
import { type Address, fromHex, toChecksumAddress, toHex } from "../../types/index.ts";
import { requestBody, type TaskRequest } from "./protocol.ts";

/** The most a task of `bytes` prompt bytes and `maxTokens` can cost in `cycle`. */
export function worstFee(
  chain: Chain,
  model: string,
  bytes: number,
  maxTokens: number,
  cycle: number,
): bigint {
  const store = readStoreIn(chain.state, modelsModule);
  const entry = modelEntry(store, model)!;
  return BigInt(bytes + maxTokens) * BigInt(entry.unitsPerToken) * unitPriceAt(store, cycle);
}

/**
 * The intermediary's admission of a request costing up to `worst` by API key `key`, with `owed`
 * already reserved for the key's requests in flight: throws the OpenAI-shaped error to return.
 */
export function admitRequest(chain: Chain, key: Address, worst: bigint, owed: bigint): void {
  const store = readStoreIn(chain.state, tasksModule);
  const k = apiKeys.get(store, key);
  if (!k)
    throw new ApiError(
      401,
      `Incorrect API key provided: ${toChecksumAddress(key)} is not authorized on chain (authorize it from your account with tasks.authorizeKey)`,
      null,
      "invalid_api_key",
    );
  if (k.revoked) throw new ApiError(401, "This API key has been revoked", null, "invalid_api_key");
  if (k.spent + owed + worst > k.limit)
    throw new ApiError(
      429,
      `This request may cost up to ${worst} wei; the key's spend limit leaves ${k.limit - k.spent - owed}`,
      null,
      "insufficient_quota",
    );
  // Escrow asked back (tasks.withdraw) still pays receipts until it unlocks, but not new requests.
  const escrow = (escrows.get(store, k.owner) ?? 0n) - (withdrawals.get(store, k.owner)?.amount ?? 0n);
  if (escrow < owed + worst)
    throw new ApiError(
      429,
      `This request may cost up to ${worst} wei; the developer's escrow holds ${escrow - owed} not yet spoken for (deposit with tasks.deposit)`,
      null,
      "insufficient_quota",
    );
}

/**
 * The executor's answers whose receipts have not settled, by payer key and owner: a new answer is
 * given only if the key's limit and the owner's escrow cover it beside those (spec/tasks.md
 * §Messages between nodes). An answer leaves when its task settles or its cycle can no longer.
 * Answers of other executors to the same payer are not seen: that exposure remains theirs.
 */
export class Answered {
  private readonly open = new Map<string, { key: string; owner: string; fee: bigint; cycle: number }>();

  /** The payer's key, recorded against this answer; or why not to answer. */
  check(chain: Chain, t: TaskRequest): Address | string {
    const cycle = cycleOf(chain.head.height + 1, chain.preset.cycleLength);
    if (t.cycle !== cycle && t.cycle !== cycle - 1)
      return `the request is of cycle ${t.cycle}; in cycle ${cycle} only receipts of cycles ${cycle - 1} and ${cycle} settle`;
    const payer = requestSigner(chain.ctx.chainId, requestBody(t), t.keySignature);
    if (!payer) return "the request's key signature recovers to no key";
    const store = readStoreIn(chain.state, tasksModule);
    for (const [id, o] of this.open)
      if (cycle - o.cycle > 1 || tasks.has(store, fromHex(id))) this.open.delete(id);
    const owner = apiKeys.get(store, payer)?.owner;
    const keyHex = toHex(payer);
    const ownerHex = owner ? toHex(owner) : "";
    const inFlight = { key: 0n, owner: 0n };
    for (const o of this.open.values()) {
      if (o.key === keyHex) inFlight.key += o.fee;
      if (o.owner === ownerHex) inFlight.owner += o.fee;
    }
    const worst = worstFee(chain, t.model, t.prompt.length, t.maxTokens, t.cycle);
    const refusal = payerRefusal(store, payer, worst, t.cycle, chain.preset.cycleLength, inFlight);
    if (refusal) return refusal;
    this.open.set(toHex(t.taskId), { key: keyHex, owner: ownerHex, fee: worst, cycle: t.cycle });
    return payer;
  }
}
