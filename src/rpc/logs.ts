/**
 * Logs over JSON-RPC (spec/events.md): receipts' logs with their positions, the 2048-bit Ethereum
 * bloom, and eth_getLogs filters (block range or hash, addresses, topic positions with OR lists),
 * with caps on the range and the result.
 */
import { type Address, equalBytes, type Log } from "../types/index.ts";
import { blockTxs, type RpcContext, resolveBlock } from "./context.ts";
import { INVALID_PARAMS, RpcError } from "./errors.ts";
import { formatLog } from "./format.ts";
import { addressParam, blockTagParam, hashParam } from "./params.ts";

/** Most blocks one eth_getLogs call may scan, and most logs it may return. */
export const MAX_LOG_RANGE = 10_000;
export const MAX_LOG_RESULTS = 10_000;

export interface LogFilter {
  addresses: Address[];
  /** Per position: null matches anything, otherwise any of the listed topics. */
  topics: (Uint8Array[] | null)[];
}

export function parseLogFilter(v: Record<string, unknown>): LogFilter {
  const a = v.address;
  const addresses =
    a === undefined || a === null
      ? []
      : Array.isArray(a)
        ? a.map((x, i) => addressParam(x, i))
        : [addressParam(a, 0)];
  const t = v.topics ?? [];
  if (!Array.isArray(t) || t.length > 4)
    throw new RpcError(INVALID_PARAMS, "topics: an array of at most 4 positions");
  const topics = t.map((p, i) =>
    p === null ? null : Array.isArray(p) ? p.map((x) => hashParam(x, i)) : [hashParam(p, i)],
  );
  return { addresses, topics };
}

export function logMatches(l: Log, f: LogFilter): boolean {
  if (f.addresses.length > 0 && !f.addresses.some((a) => equalBytes(a, l.address))) return false;
  return f.topics.every(
    (want, i) =>
      want === null || (l.topics[i] !== undefined && want.some((w) => equalBytes(w, l.topics[i]!))),
  );
}

/** Logs of one block that match, formatted. */
export async function blockLogs(
  ctx: RpcContext,
  block: { hash: Uint8Array; header: { height: number } },
  f: LogFilter,
): Promise<Record<string, unknown>[]> {
  const txs = (await blockTxs(ctx, block.hash)) ?? [];
  const out: Record<string, unknown>[] = [];
  let logIndex = 0;
  txs.forEach((t, transactionIndex) => {
    for (const l of t.receipt.logs) {
      if (logMatches(l, f))
        out.push(
          formatLog(l, {
            blockHash: block.hash,
            blockNumber: block.header.height,
            transactionHash: t.tx.hash,
            transactionIndex,
            logIndex,
          }),
        );
      logIndex++;
    }
  });
  return out;
}

/** eth_getLogs: by blockHash, or over [fromBlock, toBlock] (default latest), capped. */
export async function getLogs(ctx: RpcContext, p: unknown[]): Promise<Record<string, unknown>[]> {
  const v = p[0];
  if (typeof v !== "object" || v === null || Array.isArray(v))
    throw new RpcError(INVALID_PARAMS, "eth_getLogs takes one filter object");
  const o = v as Record<string, unknown>;
  const f = parseLogFilter(o);
  if (o.blockHash !== undefined) {
    if (o.fromBlock !== undefined || o.toBlock !== undefined)
      throw new RpcError(INVALID_PARAMS, "blockHash excludes fromBlock and toBlock");
    const b = await resolveBlock(ctx, { hash: hashParam(o.blockHash, 0) });
    if (!b) throw new RpcError(-32000, "unknown block");
    return blockLogs(ctx, b, f);
  }
  // Numbers as asked (the cap applies to the request), tags resolved; scanning stops at the head.
  const heightOf = async (tag: unknown) => {
    const t = blockTagParam(tag ?? "latest", 0);
    if (typeof t === "number") return t;
    const b = await resolveBlock(ctx, t);
    return b ? b.header.height : ctx.chain.head.height;
  };
  const from = await heightOf(o.fromBlock);
  const asked = await heightOf(o.toBlock);
  if (from > asked) return [];
  if (asked - from + 1 > MAX_LOG_RANGE)
    throw new RpcError(
      -32005,
      `block range of ${asked - from + 1} exceeds ${MAX_LOG_RANGE}; split the query`,
    );
  const to = Math.min(asked, ctx.chain.head.height);
  const out: Record<string, unknown>[] = [];
  for (let h = from; h <= to; h++) {
    const b = await resolveBlock(ctx, h);
    if (!b) break;
    out.push(...(await blockLogs(ctx, b, f)));
    if (out.length > MAX_LOG_RESULTS)
      throw new RpcError(
        -32005,
        `query returns more than ${MAX_LOG_RESULTS} logs; narrow the range or filter`,
      );
  }
  return out;
}
