/** eth_* and net_* handlers: the subset ethers, viem and MetaMask use (spec/rpc.md). */

import { keccak256 } from "../crypto/index.ts";
import { accountTrieValue, CallError, estimateGas, nextBaseFee, runQuery } from "../state/index.ts";
import { EMPTY_TRIE_ROOT } from "../trie/index.ts";
import { TxError } from "../tx/index.ts";
import { bytesToBigint, fromHex, toChecksumAddress, toHex, toQuantity } from "../types/index.ts";
import {
  accountAt,
  blockTxs,
  decodeTrieAccount,
  type RpcContext,
  resolveBlock,
  trieAccountStorageRoot,
} from "./context.ts";
import { invalidParam, RpcError, SERVER_ERROR } from "./errors.ts";
import { FilterStore } from "./filters.ts";
import { formatBlock, formatReceipt, formatTx, logsBloom } from "./format.ts";
import { getLogs } from "./logs.ts";
import {
  addressParam,
  blockTagParam,
  boolParam,
  callParam,
  dataParam,
  hashParam,
  numberParam,
} from "./params.ts";

const KECCAK_EMPTY = toHex(keccak256(new Uint8Array(0)));

async function blockResponse(
  ctx: RpcContext,
  block: Awaited<ReturnType<typeof resolveBlock>>,
  full: boolean,
) {
  if (!block) return null;
  const txs = await blockTxs(ctx, block.hash);
  if (!txs) return null;
  const place = (index: number) => ({
    blockHash: block.hash,
    blockNumber: block.header.height,
    index,
    baseFee: block.header.baseFee,
    timestamp: block.header.time / 1000n,
  });
  const transactions = full
    ? txs.map((t, i) => formatTx(t.tx, t.receipt.from, place(i)))
    : txs.map((t) => toHex(t.tx.hash));
  const bloom = new Uint8Array(256);
  for (const t of txs) logsBloom(t.receipt.logs, bloom);
  return formatBlock(
    block.hash,
    block.header,
    txs.map((t) => t.raw),
    transactions,
    bloom,
  );
}

function filtersOf(ctx: RpcContext): FilterStore {
  ctx.filters ??= new FilterStore(ctx);
  return ctx.filters;
}

async function minedTx(ctx: RpcContext, hash: Uint8Array) {
  const loc = await ctx.chain.txLocation(hash);
  if (!loc) return undefined;
  const header = await ctx.chain.headerByHash(loc.blockHash);
  const txs = await blockTxs(ctx, loc.blockHash);
  const t = txs?.[loc.index];
  if (!header || !t) return undefined;
  return {
    ...t,
    place: {
      blockHash: loc.blockHash,
      blockNumber: loc.height,
      index: loc.index,
      firstLogIndex: txs!.slice(0, loc.index).reduce((n, x) => n + x.receipt.logs.length, 0),
      baseFee: header.baseFee,
      timestamp: header.time / 1000n,
    },
  };
}

function callFailure(e: unknown): never {
  if (e instanceof CallError) throw new RpcError(SERVER_ERROR, `execution reverted: ${e.message}`);
  throw e;
}

export const ethHandlers = {
  web3_clientVersion: (ctx: RpcContext) => ctx.clientVersion,
  net_version: (ctx: RpcContext) => ctx.chain.ctx.chainId.toString(10),
  net_listening: () => true,
  net_peerCount: (ctx: RpcContext) => toQuantity(ctx.peers()),
  eth_chainId: (ctx: RpcContext) => toQuantity(ctx.chain.ctx.chainId),
  eth_blockNumber: (ctx: RpcContext) => toQuantity(ctx.chain.head.height),
  eth_syncing: (ctx: RpcContext) => {
    if (!ctx.syncing()) return false;
    const h = toQuantity(ctx.chain.head.height);
    return { startingBlock: "0x0", currentBlock: h, highestBlock: h };
  },
  eth_accounts: () => [],

  eth_getBalance: async (ctx: RpcContext, p: unknown[]) =>
    toQuantity((await accountAt(ctx, addressParam(p[0], 0), blockTagParam(p[1], 1))).balance),

  eth_getTransactionCount: async (ctx: RpcContext, p: unknown[]) => {
    const address = addressParam(p[0], 0);
    const tag = blockTagParam(p[1], 1);
    if (tag === "pending") return toQuantity(ctx.mempool.pendingNonce(address));
    return toQuantity((await accountAt(ctx, address, tag)).nonce);
  },

  eth_getCode: async (ctx: RpcContext, p: unknown[]) => {
    addressParam(p[0], 0);
    if (!(await resolveBlock(ctx, blockTagParam(p[1], 1))))
      throw new RpcError(SERVER_ERROR, "header not found");
    return "0x";
  },

  /**
   * A module storage slot (spec/modules.md §Storage): values up to 32 bytes come back as a 32-byte
   * word, left-padded as Ethereum's are; longer values come back whole. Other accounts have none.
   */
  eth_getStorageAt: async (ctx: RpcContext, p: unknown[]) => {
    const address = addressParam(p[0], 0);
    const slot = slotParam(p[1], 1);
    const block = await resolveBlock(ctx, blockTagParam(p[2], 2));
    if (!block) throw new RpcError(SERVER_ERROR, "header not found");
    const { value } = await ctx.chain.getStorageProof(block.header.stateRoot, address, slot);
    return storageWord(value);
  },

  eth_gasPrice: (ctx: RpcContext) => toQuantity(ctx.mempool.pendingBaseFee() + ctx.suggestedTip),
  eth_maxPriorityFeePerGas: (ctx: RpcContext) => toQuantity(ctx.suggestedTip),

  eth_feeHistory: async (ctx: RpcContext, p: unknown[]) => {
    const count = numberParam(p[0], 0);
    if (count < 1 || count > 1024) throw invalidParam(0, "block count must be between 1 and 1024");
    const newest = await resolveBlock(ctx, blockTagParam(p[1], 1));
    if (!newest) throw new RpcError(SERVER_ERROR, "header not found");
    let percentiles: number[] | undefined;
    if (p[2] !== undefined && p[2] !== null) {
      if (!Array.isArray(p[2]) || p[2].length > 100)
        throw invalidParam(2, "expected an array of at most 100 percentiles");
      percentiles = p[2].map((x) => {
        if (typeof x !== "number" || !(x >= 0 && x <= 100))
          throw invalidParam(2, "percentiles must be numbers in [0, 100]");
        return x;
      });
      for (let i = 1; i < percentiles.length; i++) {
        if (percentiles[i]! < percentiles[i - 1]!) throw invalidParam(2, "percentiles must be ascending");
      }
    }
    const oldest = Math.max(0, newest.header.height - count + 1);
    const baseFeePerGas: string[] = [];
    const gasUsedRatio: number[] = [];
    const reward: string[][] = [];
    for (let h = oldest; h <= newest.header.height; h++) {
      const b = (await ctx.chain.headerAt(h))!;
      baseFeePerGas.push(toQuantity(b.header.baseFee));
      gasUsedRatio.push(Number(b.header.gasUsed) / Number(b.header.gasLimit));
      if (percentiles) reward.push(await blockRewards(ctx, b.hash, b.header.baseFee, percentiles));
    }
    baseFeePerGas.push(toQuantity(nextBaseFee(newest.header, ctx.chain.preset)));
    return {
      oldestBlock: toQuantity(oldest),
      baseFeePerGas,
      gasUsedRatio,
      ...(percentiles ? { reward } : {}),
    };
  },

  eth_estimateGas: async (ctx: RpcContext, p: unknown[]) => {
    const call = callParam(p[0], 0);
    const block = await resolveBlock(ctx, blockTagParam(p[1], 1, "pending"));
    if (!block) throw new RpcError(SERVER_ERROR, "header not found");
    try {
      const gas = estimateGas(ctx.chain.state, call, callEnv(ctx, block.header.height + 1));
      if (call.gas !== undefined && call.gas < gas)
        throw new RpcError(SERVER_ERROR, `gas required exceeds allowance (${call.gas})`);
      return toQuantity(gas);
    } catch (e) {
      if (e instanceof TxError) throw new RpcError(SERVER_ERROR, e.message);
      return callFailure(e);
    }
  },

  eth_call: async (ctx: RpcContext, p: unknown[]) => {
    const call = callParam(p[0], 0);
    const tag = blockTagParam(p[1], 1);
    const block = await resolveBlock(ctx, tag);
    if (!block) throw new RpcError(SERVER_ERROR, "header not found");
    const head = block.header.height === ctx.chain.head.height;
    if (!head) throw new RpcError(SERVER_ERROR, "eth_call is served at the latest block only");
    try {
      return toHex(runQuery(ctx.chain.state, call, callEnv(ctx, block.header.height)));
    } catch (e) {
      return callFailure(e);
    }
  },

  eth_sendRawTransaction: async (ctx: RpcContext, p: unknown[]) => {
    const raw = dataParam(p[0], 0, ctx.chain.preset.maxTxBytes + 1);
    const tx = await ctx.mempool.add(raw);
    ctx.broadcastTx?.(raw);
    return toHex(tx.hash);
  },

  eth_getTransactionByHash: async (ctx: RpcContext, p: unknown[]) => {
    const hash = hashParam(p[0], 0);
    const pending = ctx.mempool.get(hash);
    if (pending) return formatTx(pending.tx, pending.sender, null);
    const mined = await minedTx(ctx, hash);
    return mined ? formatTx(mined.tx, mined.receipt.from, mined.place) : null;
  },

  eth_getTransactionReceipt: async (ctx: RpcContext, p: unknown[]) => {
    const mined = await minedTx(ctx, hashParam(p[0], 0));
    return mined ? formatReceipt(mined.tx, mined.receipt, mined.place) : null;
  },

  eth_getBlockByNumber: async (ctx: RpcContext, p: unknown[]) =>
    blockResponse(ctx, await resolveBlock(ctx, blockTagParam(p[0], 0)), boolParam(p[1] ?? false, 1)),

  eth_getBlockByHash: async (ctx: RpcContext, p: unknown[]) =>
    blockResponse(ctx, await resolveBlock(ctx, { hash: hashParam(p[0], 0) }), boolParam(p[1] ?? false, 1)),

  eth_getBlockTransactionCountByNumber: async (ctx: RpcContext, p: unknown[]) => {
    const b = await resolveBlock(ctx, blockTagParam(p[0], 0));
    return b ? toQuantity((await ctx.chain.bodyByHash(b.hash))!.length) : null;
  },

  eth_getBlockReceipts: async (ctx: RpcContext, p: unknown[]) => {
    const b = await resolveBlock(ctx, blockTagParam(p[0], 0));
    if (!b) return null;
    const txs = (await blockTxs(ctx, b.hash))!;
    let firstLogIndex = 0;
    return txs.map((t, index) => {
      const r = formatReceipt(t.tx, t.receipt, {
        blockHash: b.hash,
        blockNumber: b.header.height,
        index,
        firstLogIndex,
        baseFee: b.header.baseFee,
        timestamp: b.header.time / 1000n,
      });
      firstLogIndex += t.receipt.logs.length;
      return r;
    });
  },

  eth_getLogs: (ctx: RpcContext, p: unknown[]) => getLogs(ctx, p),
  eth_newFilter: (ctx: RpcContext, p: unknown[]) => filtersOf(ctx).newFilter(p),
  eth_newBlockFilter: (ctx: RpcContext) => filtersOf(ctx).newBlockFilter(),
  eth_newPendingTransactionFilter: (ctx: RpcContext) => filtersOf(ctx).newPendingTransactionFilter(),
  eth_getFilterChanges: (ctx: RpcContext, p: unknown[]) => filtersOf(ctx).changes(p[0]),
  eth_getFilterLogs: (ctx: RpcContext, p: unknown[]) => filtersOf(ctx).logs(p[0]),
  eth_uninstallFilter: (ctx: RpcContext, p: unknown[]) => filtersOf(ctx).uninstall(p[0]),

  eth_getProof: async (ctx: RpcContext, p: unknown[]) => {
    const address = addressParam(p[0], 0);
    if (!Array.isArray(p[1]) || p[1].length > 1024)
      throw invalidParam(1, "expected an array of storage keys");
    const keys = p[1].map((k) => hashParam(k, 1));
    const block = await resolveBlock(ctx, blockTagParam(p[2], 2));
    if (!block) throw new RpcError(SERVER_ERROR, "header not found");
    const { value, proof } = await ctx.chain.getAccountProof(block.header.stateRoot, address);
    const account = value ? decodeTrieAccount(value) : { nonce: 0n, balance: 0n };
    const storageRoot = value ? trieAccountStorageRoot(value) : EMPTY_TRIE_ROOT;
    if (value && toHex(value) !== toHex(accountTrieValue(account, storageRoot)))
      throw new RpcError(-32603, "internal error");
    const storageProof = [];
    for (const k of keys) {
      const s = await ctx.chain.getStorageProof(block.header.stateRoot, address, k);
      storageProof.push({ key: toHex(k), value: storageQuantity(s.value), proof: s.proof.map(toHex) });
    }
    return {
      address: toChecksumAddress(address),
      accountProof: proof.map(toHex),
      balance: toQuantity(account.balance),
      nonce: toQuantity(account.nonce),
      codeHash: KECCAK_EMPTY,
      storageHash: toHex(storageRoot),
      storageProof,
    };
  },
};

/** Tips paid in a block at the given gas-weighted percentiles (geth's feeHistory rule). */
async function blockRewards(
  ctx: RpcContext,
  hash: Uint8Array,
  baseFee: bigint,
  percentiles: number[],
): Promise<string[]> {
  const txs = (await blockTxs(ctx, hash))!;
  if (txs.length === 0) return percentiles.map(() => "0x0");
  const items = txs
    .map((t) => ({ tip: t.receipt.effectiveGasPrice - baseFee, gas: t.receipt.gasUsed }))
    .sort((a, b) => (a.tip < b.tip ? -1 : a.tip > b.tip ? 1 : 0));
  const total = items.reduce((s, i) => s + i.gas, 0n);
  return percentiles.map((pct) => {
    const threshold = (Number(total) * pct) / 100;
    let sum = 0;
    for (const it of items) {
      sum += Number(it.gas);
      if (sum >= threshold) return toQuantity(it.tip);
    }
    return toQuantity(items[items.length - 1]!.tip);
  });
}

function callEnv(ctx: RpcContext, height: number) {
  return { chainId: ctx.chain.ctx.chainId, preset: ctx.chain.preset, height, modules: ctx.chain.modules };
}

/** A storage key parameter: a 32-byte slot, or a quantity left-padded to 32 bytes. */
function slotParam(v: unknown, i: number): Uint8Array {
  if (typeof v !== "string" || !/^0x[0-9a-fA-F]{1,64}$/.test(v))
    throw invalidParam(i, "expected a storage slot");
  return fromHex(`0x${v.slice(2).padStart(64, "0")}`);
}

function storageWord(value: Uint8Array | undefined): string {
  if (!value) return `0x${"00".repeat(32)}`;
  return value.length <= 32 ? `0x${Buffer.from(value).toString("hex").padStart(64, "0")}` : toHex(value);
}

/** eth_getProof's value: a quantity for values up to 32 bytes (as Ethereum's), else the bytes. */
function storageQuantity(value: Uint8Array | undefined): string {
  if (!value) return "0x0";
  return value.length <= 32 ? toQuantity(bytesToBigint(value)) : toHex(value);
}
