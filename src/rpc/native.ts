/** Racecoin's own namespaces: chain_*, net_* peers and txpool_*. */
import { rewards, rewardsSupply, type StoredRound } from "../../contracts/index.ts";
import type { Chain } from "../chain/index.ts";
import { ProposerSchedule } from "../consensus/index.ts";
import type { PoolTx } from "../mempool/index.ts";
import { readStoreIn } from "../state/index.ts";
import { type CommitCertificate, toChecksumAddress, toHex, toQuantity } from "../types/index.ts";
import type { RpcContext } from "./context.ts";
import { INVALID_PARAMS, METHOD_NOT_FOUND, RpcError } from "./errors.ts";
import { formatTx } from "./format.ts";
import { numberParam } from "./params.ts";

function heightParam(ctx: RpcContext, p: unknown[]): number {
  const h = p[0] === undefined || p[0] === "latest" ? ctx.chain.head.height : numberParam(p[0], 0);
  if (h > ctx.chain.head.height)
    throw new RpcError(-32602, `height ${h} is above the head (${ctx.chain.head.height})`);
  return h;
}

function requireAdmin(ctx: RpcContext): NonNullable<RpcContext["admin"]> {
  if (!ctx.admin)
    throw new RpcError(
      METHOD_NOT_FOUND,
      "admin methods are disabled; start the node with --admin-rpc to enable them",
    );
  return ctx.admin;
}

function peerIdParam(v: unknown): string {
  if (typeof v !== "string" || !/^[1-9A-HJ-NP-Za-km-z]{40,60}$/.test(v))
    throw new RpcError(
      INVALID_PARAMS,
      "invalid argument 0: expected a libp2p peer id (base58, e.g. 12D3Koo…)",
    );
  return v;
}

function formatRound(r: StoredRound | undefined) {
  if (!r) return null;
  return {
    round: r.round,
    output: toHex(r.output),
    signature: toHex(r.signature),
    signers: r.signers,
    height: r.height,
    previous: toHex(r.previous),
    groupKey: toHex(r.groupKey),
    dkgCycle: r.dkgCycle,
  };
}

/** Base fees burned in blocks 1 … height (Σ baseFee × gasUsed), extended incrementally. */
const burnedCache = new WeakMap<Chain, { height: number; burned: bigint }>();
async function burnedUpTo(chain: Chain, height: number): Promise<bigint> {
  let c = burnedCache.get(chain) ?? { height: 0, burned: 0n };
  if (c.height > height) c = { height: 0, burned: 0n };
  let burned = c.burned;
  for (let h = c.height + 1; h <= height; h++) {
    const header = (await chain.headerAt(h))?.header;
    if (!header) throw new RpcError(INVALID_PARAMS, `no header at ${h}`);
    burned += header.baseFee * header.gasUsed;
  }
  burnedCache.set(chain, { height, burned });
  return burned;
}

function formatCommit(c: CommitCertificate) {
  return { round: c.round, signers: toHex(c.signers), signature: toHex(c.signature) };
}

export const nativeHandlers = {
  /**
   * A training job's loss curve as this node computed it (spec/training.md §Loss curve): the
   * validation loss of each checkpoint the job adopted, round 0 its first. Node-local, not
   * consensus: only a node running with --train follows jobs.
   */
  training_lossCurve: (ctx: RpcContext, p: unknown[]) => {
    if (!ctx.training)
      throw new RpcError(METHOD_NOT_FOUND, "this node follows no training job; start it with --train");
    const arg = p[0] as { job?: unknown } | undefined;
    const job = arg && typeof arg === "object" ? arg.job : undefined;
    if (typeof job !== "number" || !Number.isSafeInteger(job) || job < 1 || job > 0xffffffff)
      throw new RpcError(INVALID_PARAMS, 'expected {"job": n}, a job id ≥ 1');
    return { job, points: ctx.training.lossCurve(job) };
  },

  chain_getStatus: (ctx: RpcContext) => ({
    chainId: ctx.chain.ctx.chainId.toString(10),
    height: ctx.chain.head.height,
    headHash: toHex(ctx.chain.headHash),
    finalizedHeight: ctx.finalizedHeight(),
    round: ctx.consensus?.round() ?? 0,
    consensusHeight: ctx.consensus?.height() ?? ctx.chain.head.height + 1,
    step: ctx.consensus?.step() ?? "none",
    peers: ctx.peers(),
    syncing: ctx.syncing(),
    preset: ctx.chain.preset.name,
    cycle: ctx.chain.head.cycle,
    stateRoot: toHex(ctx.chain.head.stateRoot),
    mempool: ctx.mempool.size,
  }),

  /**
   * The supply invariant at the head (spec/rewards.md §Supply): the sum of every balance against
   * genesis + minted − burned base fees.
   */
  chain_getSupply: async (ctx: RpcContext) => {
    const { chain } = ctx;
    const height = chain.head.height;
    let balances = 0n;
    for (const a of chain.state.accounts.values()) balances += a.balance;
    const sup = rewardsSupply.get(readStoreIn(chain.state, rewards))!;
    const burned = await burnedUpTo(chain, height);
    const expected = sup.genesis + sup.issued - burned;
    return {
      height,
      balances: balances.toString(),
      genesis: sup.genesis.toString(),
      minted: sup.issued.toString(),
      burned: burned.toString(),
      holds: balances === expected,
    };
  },

  /** The validator set at a height, with proposer priorities after that height's round-0 selection. */
  chain_getValidators: (ctx: RpcContext, p: unknown[]) => {
    const height = heightParam(ctx, p);
    const set = ctx.chain.validatorsAt(Math.max(1, height));
    const priorities = new ProposerSchedule(set, ctx.chain.preset.cycleLength).prioritiesAt(
      Math.max(1, height),
    );
    return {
      height,
      totalWeight: set.totalWeight.toString(),
      hash: toHex(set.hash),
      validators: set.validators.map((v, i) => ({
        index: i,
        address: toChecksumAddress(v.address),
        blsKey: toHex(v.blsKey),
        weight: v.weight.toString(),
        proposerPriority: priorities[i]!.toString(),
      })),
    };
  },

  /** The certificate that finalised block `height`. */
  chain_getCommit: async (ctx: RpcContext, p: unknown[]) => {
    const height = heightParam(ctx, p);
    const at = await ctx.chain.headerAt(height);
    const commit = await ctx.chain.commitAt(height);
    if (!at || !commit) return null;
    return { height, blockHash: toHex(at.hash), ...formatCommit(commit) };
  },

  /** Evidence included in block `height`. */
  chain_getEvidence: async (ctx: RpcContext, p: unknown[]) => {
    const height = heightParam(ctx, p);
    const at = await ctx.chain.headerAt(height);
    const block = at && (await ctx.chain.blockByHash(at.hash));
    return (block?.evidence ?? []).map((e) => ({
      height: e.a.height,
      round: e.a.round,
      type: e.a.type === 1 ? "prevote" : "precommit",
      validator: toChecksumAddress(ctx.chain.validatorsAt(e.a.height).validators[e.a.validator]!.address),
      blockHashes: [toHex(e.a.blockHash), toHex(e.b.blockHash)],
    }));
  },

  chain_getPeers: (ctx: RpcContext) => ({
    peerId: ctx.consensus?.peerId() ?? null,
    listen: ctx.consensus?.p2pAddrs() ?? [],
    peers: ctx.consensus?.peerScores() ?? [],
  }),

  /** Disconnect a peer and refuse it for `seconds` (default 600). Needs --admin-rpc. */
  admin_banPeer: (ctx: RpcContext, p: unknown[]) => {
    const admin = requireAdmin(ctx);
    const seconds = p[1] === undefined ? 600 : numberParam(p[1], 1);
    admin.banPeer(peerIdParam(p[0]), seconds * 1000);
    return true;
  },

  admin_unbanPeer: (ctx: RpcContext, p: unknown[]) => {
    requireAdmin(ctx).unbanPeer(peerIdParam(p[0]));
    return true;
  },

  /** The latest completed beacon round: { round, output, signature, signers, height, … } or null. */
  beacon_getLatest: async (ctx: RpcContext) => {
    const r = ctx.chain.beacon.round;
    return r === 0 ? null : formatRound(ctx.chain.beaconRound(r));
  },

  beacon_getRound: async (ctx: RpcContext, p: unknown[]) =>
    formatRound(ctx.chain.beaconRound(numberParam(p[0], 0))),

  /**
   * The DKG committee of a cycle (default: the current one): members, threshold, phase, dealers
   * so far, and once fixed the qualified set, group key and public shares (or why it failed).
   */
  beacon_getCommittee: async (ctx: RpcContext, p: unknown[]) => {
    const s = ctx.chain.beacon;
    const cycle = p[0] === undefined ? s.cycle : numberParam(p[0], 0);
    if (cycle > s.cycle)
      throw new RpcError(INVALID_PARAMS, `cycle ${cycle} has not started (current: ${s.cycle})`);
    const outcome = ctx.chain.beaconDkg(cycle);
    const committee = cycle === s.cycle ? s.committee : ctx.chain.beaconCommittee(cycle);
    return {
      cycle,
      threshold: committee.threshold,
      members: committee.members.map((m, k) => ({
        index: m.index,
        address: toChecksumAddress(committee.addresses[k]!),
        blsKey: toHex(m.blsKey),
      })),
      dealers: cycle === s.cycle ? s.dealings.map((d) => d.dealer) : undefined,
      complaints:
        cycle === s.cycle
          ? s.complaints.map((c) => ({ complainer: c.complainer, dealer: c.dealer }))
          : undefined,
      qualified: outcome?.ok ? outcome.qualified : null,
      groupKey: outcome?.ok ? toHex(outcome.groupKey) : null,
      publicShares: outcome?.ok ? outcome.publicShares.map(toHex) : null,
      failed: outcome && !outcome.ok ? outcome.reason : null,
      activeKeyFromCycle: s.active?.dkgCycle ?? null,
    };
  },

  txpool_status: (ctx: RpcContext) => ({
    pending: toQuantity(ctx.mempool.pendingSize),
    queued: toQuantity(ctx.mempool.queuedSize),
  }),

  txpool_content: (ctx: RpcContext) => {
    const group = (senders: Iterable<[string, PoolTx[]]>) => {
      const out: Record<string, Record<string, unknown>> = {};
      for (const [, queue] of senders) {
        const byNonce: Record<string, unknown> = {};
        for (const p of queue) byNonce[p.tx.nonce.toString()] = formatTx(p.tx, p.sender, null);
        out[toChecksumAddress(queue[0]!.sender)] = byNonce;
      }
      return out;
    };
    return { pending: group(ctx.mempool.senders()), queued: group(ctx.mempool.queuedBySender()) };
  },
};
