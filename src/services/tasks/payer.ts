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
  tasksModule,
  unitPriceAt,
  withdrawals,
} from "../../../contracts/index.ts";
import type { Chain } from "../../chain/index.ts";
import { requestSigner } from "../../inference/index.ts";
import { ApiError } from "../../rpc/index.ts";
import { readStoreIn } from "../../state/index.ts";
import { type Address, toChecksumAddress } from "../../types/index.ts";
import type { TaskRequest } from "./protocol.ts";

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

/** Why the executor does not answer `t`: its payer's receipt would not settle; undefined if it would. */
export function unpaidReason(chain: Chain, t: TaskRequest): string | undefined {
  const payer = requestSigner(chain.ctx.chainId, t.taskId, t.cycle, t.keySignature);
  if (!payer) return "the request's key signature recovers to no key";
  const worst = worstFee(chain, t.model, t.prompt.length, t.maxTokens, t.cycle);
  const store = readStoreIn(chain.state, tasksModule);
  return payerRefusal(store, payer, worst, t.cycle, chain.preset.cycleLength);
}
