/**
 * chain_getAddressHistory (spec/rpc.md §Address history): an address's transactions from the
 * node's address index, newest first, a page at a time. Each call is one bounded range read.
 */
import { AddressRole } from "../db/index.ts";
import { toHex } from "../types/index.ts";
import type { RpcContext } from "./context.ts";
import { invalidParam } from "./errors.ts";
import { addressParam, dataParam, numberParam } from "./params.ts";

export const ADDRESS_HISTORY_DEFAULT_LIMIT = 25;
export const ADDRESS_HISTORY_MAX_LIMIT = 100;

/** A page cursor: the position (height, transaction index) of the last reference returned. */
function encodeCursor(height: number, txIndex: number): string {
  const b = Buffer.alloc(8);
  b.writeUInt32BE(height, 0);
  b.writeUInt32BE(txIndex, 4);
  return toHex(b);
}

function cursorParam(v: unknown, i: number): { height: number; txIndex: number } {
  const b = dataParam(v, i, 8);
  if (b.length !== 8) throw invalidParam(i, "cursor: expected the 8-byte `next` of a previous page");
  const view = Buffer.from(b);
  return { height: view.readUInt32BE(0), txIndex: view.readUInt32BE(4) };
}

function optionsParam(
  v: unknown,
  i: number,
): { limit: number; before?: { height: number; txIndex: number } } {
  if (v === undefined || v === null) return { limit: ADDRESS_HISTORY_DEFAULT_LIMIT };
  if (typeof v !== "object" || Array.isArray(v))
    throw invalidParam(i, "expected an object { limit?, cursor? }");
  const o = v as Record<string, unknown>;
  for (const k of Object.keys(o))
    if (k !== "limit" && k !== "cursor") throw invalidParam(i, `unknown field "${k}" (limit, cursor)`);
  const limit = o.limit === undefined ? ADDRESS_HISTORY_DEFAULT_LIMIT : numberParam(o.limit, i);
  if (limit < 1 || limit > ADDRESS_HISTORY_MAX_LIMIT)
    throw invalidParam(i, `limit must be 1 to ${ADDRESS_HISTORY_MAX_LIMIT}`);
  return o.cursor === undefined || o.cursor === null
    ? { limit }
    : { limit, before: cursorParam(o.cursor, i) };
}

export const addressHandlers = {
  /**
   * `chain_getAddressHistory(address, { limit?, cursor? })` → `{ address, transactions, next }`:
   * up to `limit` (1–100, default 25) references older than `cursor`; `next` is the cursor of the
   * following page, null on the last one.
   */
  chain_getAddressHistory: async (ctx: RpcContext, p: unknown[]) => {
    const address = addressParam(p[0], 0);
    const { limit, before } = optionsParam(p[1], 1);
    // One more than asked: tells whether another page exists without a second read.
    const refs = await ctx.chain.addressHistory(address, { limit: limit + 1, before });
    const page = refs.slice(0, limit);
    const last = page[page.length - 1];
    return {
      address: toHex(address),
      transactions: page.map((r) => ({
        blockNumber: r.height,
        transactionIndex: r.txIndex,
        transactionHash: toHex(r.txHash),
        sender: (r.roles & AddressRole.sender) !== 0,
        recipient: (r.roles & AddressRole.recipient) !== 0,
        logIndexes: r.logs,
      })),
      next: refs.length > limit && last ? encodeCursor(last.height, last.txIndex) : null,
    };
  },
};
