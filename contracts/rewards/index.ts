/**
 * rewards: who is paid, from what, and when (spec/rewards.md). Supply is fixed at 1 B RACE: genesis
 * holds 400 M (founders' vesting, the additional hardware-provider reward, the liquidity pool and
 * the genesis accounts, which come out of the pool); the 600 M core incentive is minted only by
 * issuance (issuance.ts). Everything a cycle earns waits until its fraud and dispute windows have
 * closed — the end of cycle c + 2 — and is then released by the rule:
 *
 * - fees X: 20 % to the training fund, the rest split over the tasks by fee: a verified task pays
 *   half to its executor and half to its verifier, any other task all to its executor.
 * - issuance P + S (proportional, and the shortfall to the minimum), 20 % to the training fund,
 *   the rest split by race weight, so paying fees moves no one's share of it. A cycle without a
 *   settled task mints nothing.
 * - release = (earned − steered) × work × validation, or 0 for a node convicted of task or race
 *   fraud or proven to have equivocated or faulted a DKG in the cycle (the validators module's
 *   offences). Over a window of cycles a node's served task shares are held to what its weight
 *   predicts within two standard deviations (standing.ts): above, the excess was steered to it and
 *   is forfeited; below, work = kept / floor. validation = checks performed / checks drawn to it.
 *   What is not released goes to the training fund.
 */
import { address20, list, quantity, str, struct, uint } from "../../src/encoding/index.ts";
import {
  FOUNDERS_VESTING_ADDRESS,
  HP_POOL_ADDRESS,
  LIQUIDITY_POOL_ADDRESS,
  REWARDS_MODULE_ADDRESS,
  TRAINING_FUND_ADDRESS,
} from "../../src/params/index.ts";
import { type Address, compareBytes, fromHex, toHex } from "../../src/types/index.ts";
import {
  type GenesisContext,
  type GovernableParam,
  type Module,
  type ModuleContext,
  ModuleError,
  type ModuleState,
} from "../module.ts";
import { race, settled as raceSettled, raceWeights } from "../race/index.ts";
import { addressKey20, pairKey, StoreItem, StoreMap, u32Key } from "../store.ts";
import { offencesOf, validators as validatorsModule } from "../validators/index.ts";
import { COIN, CORE_INCENTIVE } from "./issuance.ts";
import { beginSettlement, finishSettlement, SETTLE_UNITS_PER_BLOCK, settleStep } from "./settlement.ts";
import { isqrt } from "./standing.ts";

export * from "./fund.ts";
export * from "./issuance.ts";
export { SETTLE_DELAY_CYCLES, settleJob } from "./job.ts";

import { SETTLE_DELAY_CYCLES } from "./job.ts";

export {
  beginSettlement,
  finishSettlement,
  SETTLE_UNITS_PER_BLOCK,
  type SettlementRule,
  settleCycle,
  settleStep,
} from "./settlement.ts";
export { type Standing, standings } from "./standing.ts";

export const FOUNDERS_ALLOCATION = 160_000_000n * COIN;
export const HP_ADDITIONAL_ALLOCATION = 120_000_000n * COIN;
export const LIQUIDITY_ALLOCATION = 120_000_000n * COIN;

export interface Supply {
  /** Sum of all balances written at genesis (always 400 M: the genesis accounts come from the pool). */
  genesis: bigint;
  /** Core incentive minted so far: proportional plus minimum issuance (≤ 600 M). */
  issued: bigint;
  proportional: bigint;
  minimum: bigint;
}
const supplyCodec = struct<Supply>("rewards.Supply", {
  genesis: quantity,
  issued: quantity,
  proportional: quantity,
  minimum: quantity,
});

export interface CycleRewards {
  fees: bigint;
  proportional: bigint;
  shortfall: bigint;
  training: bigint;
  released: bigint;
  /** Forfeited and sent to the training fund (after bounties). */
  forfeited: bigint;
  /** Paid from forfeits to reporters and their committees. */
  bounties: bigint;
  tasks: number;
}
const cycleCodec = struct<CycleRewards>("rewards.Cycle", {
  fees: quantity,
  proportional: quantity,
  shortfall: quantity,
  training: quantity,
  released: quantity,
  forfeited: quantity,
  bounties: quantity,
  tasks: uint,
});

export interface AccountRewards {
  /** From executing tasks: their fee shares (under the fee-share rule, the subsidy's too). */
  execution: bigint;
  /** From verifying tasks: half of each verified task's share. */
  verification: bigint;
  /** Share of the cycle's issuance, by race weight: proportional (less the training share) and the shortfall. */
  issuance: bigint;
  released: bigint;
  forfeited: bigint;
  /** Fees above the band its weight predicts: steered to it, forfeited (spec/rewards.md §Work and steering). */
  steered: bigint;
  /** Its standing after the cycle: fees kept over recent cycles, and the floor its weight owes. */
  windowKept: bigint;
  windowOwed: bigint;
  tasksDone: number;
  /** Fair share of tasks by weight, in thousandths of a task. */
  fairMilli: number;
  checksDrawn: number;
  checksDone: number;
  /** Protocol honeypots (known wrong answers) it passed: its verification share is forfeited. */
  honeypotsPassed: number;
  reason: string;
}
const accountFields = {
  execution: quantity,
  verification: quantity,
  issuance: quantity,
  released: quantity,
  forfeited: quantity,
  steered: quantity,
  windowKept: quantity,
  windowOwed: quantity,
  tasksDone: uint,
  fairMilli: uint,
  checksDrawn: uint,
  checksDone: uint,
  honeypotsPassed: uint,
  reason: str(256),
};
const accountCodec = struct<AccountRewards>("rewards.Account", accountFields);

export interface Vesting {
  total: bigint;
  start: number;
  blocks: number;
  claimed: bigint;
}
const vestingCodec = struct<Vesting>("rewards.Vesting", {
  total: quantity,
  start: uint,
  blocks: uint,
  claimed: quantity,
});

export interface RewardParams {
  /** Blocks per day of the issuance schedule (years are 365 days). */
  blocksPerDay: number;
  /** Miners sharing the additional hardware-provider reward each cycle. */
  hpSlots: number;
}
const paramsCodec = struct<RewardParams>("rewards.Params", { blocksPerDay: uint, hpSlots: uint });

export const supply = new StoreItem("supply", supplyCodec);
export const params = new StoreItem("params", paramsCodec);
export const cycleRewards = new StoreMap("cycle", u32Key, cycleCodec);
export const accountRewards = new StoreMap("account", pairKey(u32Key, 4, addressKey20), accountCodec);
export const vestings = new StoreMap("vesting", addressKey20, vestingCodec);
/** Additional hardware-provider reward paid per (cycle, miner). */
export const hpPaid = new StoreMap("hp", pairKey(u32Key, 4, addressKey20), quantity);

export function credit(state: ModuleState, to: Address, amount: bigint): void {
  if (amount === 0n) return;
  const a = state.getAccount(to);
  state.setAccount(to, { ...a, balance: a.balance + amount });
}

export function debit(state: ModuleState, from: Address, amount: bigint): void {
  if (amount === 0n) return;
  const a = state.getAccount(from);
  if (a.balance < amount) throw new Error(`rewards: ${toHex(from)} holds ${a.balance}, owes ${amount}`);
  state.setAccount(from, { ...a, balance: a.balance - amount });
}

export const emptyAccount = (): AccountRewards => ({
  execution: 0n,
  verification: 0n,
  issuance: 0n,
  released: 0n,
  forfeited: 0n,
  steered: 0n,
  windowKept: 0n,
  windowOwed: 0n,
  tasksDone: 0,
  fairMilli: 0,
  checksDrawn: 0,
  checksDone: 0,
  honeypotsPassed: 0,
  reason: "",
});

/** The additional hardware-provider tranche of one cycle: 120 M over four years of cycles. */
export function hpTranche(cycleLength: number, blocksPerDay: number): bigint {
  return (HP_ADDITIONAL_ALLOCATION * BigInt(cycleLength)) / BigInt(4 * 365 * blocksPerDay);
}

/**
 * The additional hardware-provider reward of cycle c: equal shares for the top miners by race
 * weight, paid when c settles, so an offence proven up to then forfeits it too. An offender's slot
 * stays in the pool (no one profits from another's forfeit).
 */
function payHpTranche(ctx: ModuleContext, c: number): void {
  const p = params.get(ctx.store)!;
  if (!raceSettled.has(ctx.storeOf(race), c)) return;
  const top = raceWeights(ctx.storeOf(race), c)
    .filter(([, w]) => w > 0n)
    .sort(([a, x], [b, y]) => (x === y ? compareBytes(a, b) : x > y ? -1 : 1))
    .slice(0, p.hpSlots);
  if (top.length === 0) return;
  const pool = ctx.state.getAccount(HP_POOL_ADDRESS).balance;
  const tranche = hpTranche(ctx.block.preset.cycleLength, p.blocksPerDay);
  const each = (tranche < pool ? tranche : pool) / BigInt(p.hpSlots);
  if (each === 0n) return;
  const offenders = new Set(offencesOf(ctx.storeOf(validatorsModule), c).map(([a]) => toHex(a)));
  for (const [a] of top) {
    if (offenders.has(toHex(a))) continue;
    debit(ctx.state, HP_POOL_ADDRESS, each);
    credit(ctx.state, a, each);
    hpPaid.set(ctx.store, [c, a], each);
  }
}

/** A settlement too long for one block goes on here (settlement.ts). */
function endBlock(ctx: ModuleContext): void {
  settleStep(ctx, SETTLE_UNITS_PER_BLOCK);
}

function endCycle(ctx: ModuleContext): void {
  const c = ctx.block.cycle;
  if (c < SETTLE_DELAY_CYCLES) return;
  payHpTranche(ctx, c - SETTLE_DELAY_CYCLES);
  finishSettlement(ctx);
  beginSettlement(ctx, c - SETTLE_DELAY_CYCLES);
  settleStep(ctx, SETTLE_UNITS_PER_BLOCK);
}

interface Section {
  blocksPerDay?: number;
  hpSlots?: number;
  founders?: { address: string; amount: string }[];
}

function parseSection(
  raw: unknown,
  preset: GenesisContext["preset"],
): {
  params: RewardParams;
  founders: { address: Address; amount: bigint }[];
} {
  const o = (raw ?? {}) as Section;
  if (typeof o !== "object" || o === null || Array.isArray(o))
    throw new Error("modules.rewards: expected an object { blocksPerDay, hpSlots, founders }");
  const int = (v: unknown, name: string, lo: number, hi: number, d: number) => {
    if (v === undefined) return d;
    if (typeof v !== "number" || !Number.isInteger(v) || v < lo || v > hi)
      throw new Error(`modules.rewards.${name}: an integer in [${lo}, ${hi}]`);
    return v;
  };
  const founders = (o.founders ?? []).map((f, i) => {
    if (typeof f?.address !== "string" || !/^0x[0-9a-fA-F]{40}$/.test(f.address))
      throw new Error(`modules.rewards.founders[${i}].address: a 0x-prefixed 20-byte address`);
    if (typeof f.amount !== "string" || !/^[1-9][0-9]*$/.test(f.amount))
      throw new Error(`modules.rewards.founders[${i}].amount: a decimal string of wei`);
    return { address: fromHex(f.address), amount: BigInt(f.amount) };
  });
  if (founders.reduce((t, f) => t + f.amount, 0n) > FOUNDERS_ALLOCATION)
    throw new Error("modules.rewards.founders: more than the 160 M founders' allocation");
  return {
    params: {
      blocksPerDay: int(o.blocksPerDay, "blocksPerDay", 1, 1 << 24, preset.blocksPerDay),
      hpSlots: int(o.hpSlots, "hpSlots", 1, 1000, 10),
    },
    founders,
  };
}

export const claimArgs = struct<Record<string, never>>("rewards.claim", {});

/** What governance may change here (the training share has its own proposal kind, from year 5). */
export const governableRewardParams: Record<string, GovernableParam> = {
  hpSlots: {
    min: 1n,
    max: 1000n,
    get: (s) => BigInt(params.get(s)!.hpSlots),
    set: (s, v) => params.set(s, { ...params.get(s)!, hpSlots: Number(v) }),
  },
};

export const rewards: Module = {
  id: 7,
  name: "rewards",
  address: REWARDS_MODULE_ADDRESS,
  governable: governableRewardParams,
  genesis(ctx: GenesisContext) {
    const { params: p, founders } = parseSection(ctx.section, ctx.preset);
    params.set(ctx.store, p);
    // The genesis accounts written so far (alloc and earlier modules) come out of the liquidity pool.
    const existing = ctx.allocated;
    if (existing > LIQUIDITY_ALLOCATION)
      throw new Error(
        `genesis accounts hold ${existing} wei, more than the 120 M liquidity pool they come from`,
      );
    credit(ctx.state, LIQUIDITY_POOL_ADDRESS, LIQUIDITY_ALLOCATION - existing);
    credit(ctx.state, HP_POOL_ADDRESS, HP_ADDITIONAL_ALLOCATION);
    credit(ctx.state, FOUNDERS_VESTING_ADDRESS, FOUNDERS_ALLOCATION);
    const years4 = 4 * 365 * p.blocksPerDay;
    for (const f of founders)
      vestings.set(ctx.store, f.address, { total: f.amount, start: 0, blocks: years4, claimed: 0n });
    supply.set(ctx.store, {
      genesis: FOUNDERS_ALLOCATION + HP_ADDITIONAL_ALLOCATION + LIQUIDITY_ALLOCATION,
      issued: 0n,
      proportional: 0n,
      minimum: 0n,
    });
  },
  endBlock,
  endCycle,
  methods: {
    claimVested: {
      args: claimArgs,
      gas: 20_000n,
      execute(ctx) {
        const v = vestings.get(ctx.store, ctx.sender);
        if (!v) throw new ModuleError("no vesting schedule for this account");
        const elapsed = BigInt(Math.min(Math.max(ctx.block.height - v.start, 0), v.blocks));
        const vested = (v.total * elapsed) / BigInt(v.blocks);
        const due = vested - v.claimed;
        if (due <= 0n) throw new ModuleError("nothing vested to claim yet");
        debit(ctx.state, FOUNDERS_VESTING_ADDRESS, due);
        credit(ctx.state, ctx.sender, due);
        vestings.set(ctx.store, ctx.sender, { ...v, claimed: v.claimed + due });
      },
    },
  },
  queries: {
    status: {
      args: struct<Record<string, never>>("rewards.status", {}),
      result: struct<
        Supply & {
          batch: number;
          subsidyPpm: number;
          trainingFund: bigint;
          liquidityPool: bigint;
          hpPool: bigint;
          foundersVesting: bigint;
          unminted: bigint;
        }
      >("rewards.status.result", {
        genesis: quantity,
        issued: quantity,
        proportional: quantity,
        minimum: quantity,
        batch: uint,
        subsidyPpm: uint,
        trainingFund: quantity,
        liquidityPool: quantity,
        hpPool: quantity,
        foundersVesting: quantity,
        unminted: quantity,
      }),
      run: (ctx) => {
        const sup = supply.get(ctx.store)!;
        const bal = (a: Address) => ctx.state.getAccount(a).balance;
        const batch = Number(sup.issued / (CORE_INCENTIVE / 12n));
        return {
          ...sup,
          batch: batch + 1,
          subsidyPpm: subsidyPpmOf(batch),
          trainingFund: bal(TRAINING_FUND_ADDRESS),
          liquidityPool: bal(LIQUIDITY_POOL_ADDRESS),
          hpPool: bal(HP_POOL_ADDRESS),
          foundersVesting: bal(FOUNDERS_VESTING_ADDRESS),
          unminted: CORE_INCENTIVE - sup.issued,
        };
      },
    },
    cycle: {
      args: struct<{ cycle: number }>("rewards.cycle", { cycle: uint }),
      result: struct<{
        settled: number;
        totals: CycleRewards;
        accounts: (AccountRewards & { address: Address })[];
      }>("rewards.cycle.result", {
        settled: uint,
        totals: cycleCodec,
        accounts: list(
          struct<AccountRewards & { address: Address }>("rewards.AccountView", {
            address: address20,
            ...accountFields,
          }),
          10_000,
        ),
      }),
      run: (ctx, { cycle }: { cycle: number }) => {
        const totals = cycleRewards.get(ctx.store, cycle);
        return {
          settled: totals ? 1 : 0,
          totals: totals ?? {
            fees: 0n,
            proportional: 0n,
            shortfall: 0n,
            training: 0n,
            released: 0n,
            forfeited: 0n,
            bounties: 0n,
            tasks: 0,
          },
          accounts: accountRewards
            .entries(ctx.store, u32Key.encode(cycle))
            .slice(0, 10_000)
            .map(([[, address], r]) => ({ address, ...r })),
        };
      },
    },
    account: {
      args: struct<{ address: Address; cycle: number }>("rewards.account", {
        address: address20,
        cycle: uint,
      }),
      result: struct<AccountRewards & { hp: bigint }>("rewards.account.result", {
        ...accountFields,
        hp: quantity,
      }),
      run: (ctx, { address, cycle }: { address: Address; cycle: number }) => ({
        ...(accountRewards.get(ctx.store, [cycle, address]) ?? emptyAccount()),
        hp: hpPaid.get(ctx.store, [cycle, address]) ?? 0n,
      }),
    },
  },
};

/** The tasks (in thousandths) a node must have done for a full release: fair − 2·√fair. */
export function workThresholdMilli(fairMilli: bigint): bigint {
  const t = fairMilli - 2n * isqrt(fairMilli * 1000n);
  return t > 0n ? t : 0n;
}

function subsidyPpmOf(batch: number): number {
  return batch >= 12 ? 0 : Number((9n * 4n ** BigInt(batch) * 1_000_000n) / (10n * 5n ** BigInt(batch)));
}
