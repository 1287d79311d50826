/**
 * Polling filters (spec/rpc.md §Filters), what viem's `watchBlocks`/`watchEvent` over HTTP use:
 * eth_newFilter, eth_newBlockFilter, eth_newPendingTransactionFilter, eth_getFilterChanges,
 * eth_getFilterLogs, eth_uninstallFilter. Block and log filters keep a height cursor and read the
 * chain on each poll; pending-transaction filters buffer hashes from the mempool (bounded). Filters
 * idle for 5 minutes expire, as in geth; at most 1,000 live at once.
 */
import type { SignedTx } from "../tx/index.ts";
import { toHex } from "../types/index.ts";
import { type RpcContext, resolveBlock } from "./context.ts";
import { RpcError } from "./errors.ts";
import { blockLogs, getLogs, type LogFilter, parseLogFilter } from "./logs.ts";
import { blockTagParam } from "./params.ts";

export const FILTER_TIMEOUT_MS = 5 * 60_000;
export const MAX_FILTERS = 1_000;
/** Pending hashes a filter buffers between polls; older ones are dropped. */
export const MAX_PENDING_BUFFER = 10_000;

type Filter =
  | { kind: "block"; next: number; touched: number }
  | { kind: "logs"; next: number; touched: number; filter: LogFilter; raw: Record<string, unknown> }
  | { kind: "pending"; touched: number; hashes: string[] };

export class FilterStore {
  private readonly filters = new Map<string, Filter>();
  private counter = 0;

  constructor(private readonly ctx: RpcContext) {
    ctx.mempool.onAdded((tx: SignedTx) => {
      const h = toHex(tx.hash);
      for (const f of this.filters.values())
        if (f.kind === "pending") {
          f.hashes.push(h);
          if (f.hashes.length > MAX_PENDING_BUFFER) f.hashes.shift();
        }
    });
  }

  private add(f: Filter): string {
    this.expire();
    if (this.filters.size >= MAX_FILTERS)
      throw new RpcError(
        -32005,
        `too many filters (${MAX_FILTERS}); uninstall some or poll them before they expire`,
      );
    const id = `0x${(++this.counter).toString(16)}`;
    this.filters.set(id, f);
    return id;
  }

  private expire(): void {
    const now = Date.now();
    for (const [id, f] of this.filters) if (now - f.touched > FILTER_TIMEOUT_MS) this.filters.delete(id);
  }

  private get(id: unknown): Filter {
    this.expire();
    const f = typeof id === "string" ? this.filters.get(id) : undefined;
    if (!f) throw new RpcError(-32000, "filter not found");
    f.touched = Date.now();
    return f;
  }

  newBlockFilter(): string {
    return this.add({ kind: "block", next: this.ctx.chain.head.height + 1, touched: Date.now() });
  }

  newPendingTransactionFilter(): string {
    return this.add({ kind: "pending", hashes: [], touched: Date.now() });
  }

  async newFilter(p: unknown[]): Promise<string> {
    const v = p[0];
    if (typeof v !== "object" || v === null || Array.isArray(v))
      throw new RpcError(-32602, "eth_newFilter takes one filter object");
    const raw = v as Record<string, unknown>;
    const filter = parseLogFilter(raw);
    const from = raw.fromBlock === undefined ? "latest" : blockTagParam(raw.fromBlock, 0);
    const start =
      typeof from === "number"
        ? from
        : ((await resolveBlock(this.ctx, from))?.header.height ?? 0) + (from === "latest" ? 1 : 0);
    return this.add({ kind: "logs", next: start, filter, raw, touched: Date.now() });
  }

  uninstall(id: unknown): boolean {
    return typeof id === "string" && this.filters.delete(id);
  }

  /** What happened since the last poll: block hashes, logs, or pending transaction hashes. */
  async changes(id: unknown): Promise<unknown[]> {
    const f = this.get(id);
    if (f.kind === "pending") return f.hashes.splice(0);
    const head = this.ctx.chain.head.height;
    const out: unknown[] = [];
    for (; f.next <= head; f.next++) {
      const b = await resolveBlock(this.ctx, f.next);
      if (!b) break;
      if (f.kind === "block") out.push(toHex(b.hash));
      else out.push(...(await blockLogs(this.ctx, b, f.filter)));
    }
    return out;
  }

  /** Every log the filter matches (eth_getFilterLogs), as eth_getLogs would answer. */
  async logs(id: unknown): Promise<unknown[]> {
    const f = this.get(id);
    if (f.kind !== "logs") throw new RpcError(-32000, "filter not found (not a log filter)");
    return getLogs(this.ctx, [f.raw]);
  }
}
