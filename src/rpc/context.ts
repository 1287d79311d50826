import type { Chain } from "../chain/index.ts";
import type { ValidatorSet } from "../consensus/index.ts";
import { rlpDecode } from "../encoding/index.ts";
import type { Mempool } from "../mempool/index.ts";
import type { HfModel } from "../models/index.ts";
import { EMPTY_ACCOUNT } from "../state/index.ts";
import { decodeTx } from "../tx/index.ts";
import { type Account, type Address, type BlockHeader, bytesToBigint, equalBytes } from "../types/index.ts";
import { RpcError } from "./errors.ts";
import type { FilterStore } from "./filters.ts";
import type { BlockTag } from "./params.ts";

/** What RPC handlers may use. Handlers read; only eth_sendRawTransaction writes (to the mempool). */
export interface RpcContext {
  chain: Chain;
  mempool: Mempool;
  clientVersion: string;
  /** Tip suggested by eth_maxPriorityFeePerGas and included in eth_gasPrice. */
  suggestedTip: bigint;
  peers(): number;
  syncing(): boolean;
  finalizedHeight(): number;
  /** Gossip a transaction accepted over RPC (absent in tests without a network). */
  broadcastTx?(raw: Uint8Array): void;
  consensus?: {
    height(): number;
    round(): number;
    step(): string;
    validators(height: number): ValidatorSet;
    peerScores(): { peer: string; score: number; banned: boolean }[];
    peerId(): string;
    p2pAddrs(): string[];
  };
  /** Polling filters (created by the RPC server when absent). */
  filters?: FilterStore;
  /** The inference market (absent: this node does not route /v1 requests). */
  inference?: InferenceRouter;
  /** Training jobs this node follows (absent: it runs without --train). */
  training?: {
    lossCurve(job: number): { round: number; checkpointHash: string; lossQ16: number; loss: number }[];
  };
  /** Models loaded from local files (tolerance class), and why registered ones were not. */
  localModels?: LocalModels;
  /** Operator controls, present only when the node runs with --admin-rpc. */
  admin?: {
    banPeer(peer: string, ms: number): void;
    unbanPeer(peer: string): void;
  };
}

/** A developer's request as the intermediary received it (spec/tasks.md §Routing). */
export interface RoutedRequest {
  /** The API key (a secp256k1 private key the developer delegated, spend-limited on chain). */
  apiKey: Uint8Array;
  /** The request body as received (the task id hashes it). */
  body: Uint8Array;
  model: string;
  prompt: Uint8Array;
  maxTokens: number;
  temperatureMilli: number;
  topPMilli: number;
  seed: bigint;
  /** A marked dummy task (spec/tasks.md §Dummy tasks): executors serve it after real requests. */
  dummy?: boolean;
}

/** Models this node loaded from its models directory, and why others were refused. */
export interface LocalModels {
  loaded: ReadonlyMap<string, HfModel>;
  refused: ReadonlyMap<string, string>;
}

/** A token as it reaches the API: exact-class tokens are bytes; others carry their bytes. */
export interface StreamedToken {
  token: number;
  prob: number;
  bytes?: Uint8Array;
  /** The most likely tokens at this position and their logprobs (tolerance class). */
  top?: { token: number; logprob: number }[];
}

/** The intermediary's side of the market: route a request to an executor and relay its tokens. */
export interface InferenceRouter {
  route(
    req: RoutedRequest,
    onToken: (t: StreamedToken) => void,
  ): Promise<{ finish: "stop" | "length"; taskId: Uint8Array; executor: Address }>;
}

export async function resolveBlock(
  ctx: RpcContext,
  tag: BlockTag,
): Promise<{ hash: Uint8Array; header: BlockHeader } | undefined> {
  const { chain } = ctx;
  if (typeof tag === "number") return chain.headerAt(tag);
  if (typeof tag === "object") {
    const header = await chain.headerByHash(tag.hash);
    if (!header) return undefined;
    const canonical = await chain.headerAt(header.height);
    return canonical && equalBytes(canonical.hash, tag.hash) ? { hash: tag.hash, header } : undefined;
  }
  if (tag === "earliest") return chain.headerAt(0);
  if (tag === "finalized" || tag === "safe") return chain.headerAt(ctx.finalizedHeight());
  return { hash: chain.headHash, header: chain.head };
}

/** Account state at a block; the head is served from memory, older blocks from stored trie nodes. */
export async function accountAt(ctx: RpcContext, address: Address, tag: BlockTag): Promise<Account> {
  const block = await resolveBlock(ctx, tag);
  if (!block) throw new RpcError(-32000, "header not found");
  if (block.header.height === ctx.chain.head.height) return ctx.chain.getAccount(address);
  const { value } = await ctx.chain.getAccountProof(block.header.stateRoot, address);
  return value ? decodeTrieAccount(value) : EMPTY_ACCOUNT;
}

export function trieAccountStorageRoot(value: Uint8Array): Uint8Array {
  return (rlpDecode(value) as Uint8Array[])[2]!;
}

export function decodeTrieAccount(value: Uint8Array): Account {
  const items = rlpDecode(value) as Uint8Array[];
  return { nonce: bytesToBigint(items[0]!), balance: bytesToBigint(items[1]!) };
}

/** A block's transactions decoded, with senders from its receipts (no signature recovery). */
export async function blockTxs(ctx: RpcContext, hash: Uint8Array) {
  const [body, receipts] = await Promise.all([ctx.chain.bodyByHash(hash), ctx.chain.receiptsByHash(hash)]);
  if (!body || !receipts) return undefined;
  return body.map((raw, i) => ({ raw, tx: decodeTx(raw, Number.MAX_SAFE_INTEGER), receipt: receipts[i]! }));
}
