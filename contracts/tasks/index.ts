import {
  MAX_ATTEMPTS,
  payloadFault,
  payloadHash,
  type Receipt,
  receiptSigner,
  type TaskPayload,
  WeightedPool,
} from "../../src/inference/index.ts";
import { cycleOf, isModuleAddress, TASKS_MODULE_ADDRESS } from "../../src/params/index.ts";
import {
  type Address,
  equalBytes,
  fromHex,
  toChecksumAddress,
  toHex,
  ZERO_ADDRESS,
} from "../../src/types/index.ts";
import { beacon, rounds as beaconRounds, latestRound } from "../beacon/index.ts";
import { emit } from "../events.ts";
import {
  activeModel,
  modelEntry,
  models as modelsModule,
  unitPriceAt,
  voterWeights,
} from "../models/index.ts";
import {
  type CallContext,
  type GenesisContext,
  type Module,
  type ModuleContext,
  ModuleError,
} from "../module.ts";
import { forfeitsOf, race } from "../race/index.ts";
import { SETTLE_DELAY_CYCLES } from "../rewards/job.ts";
import { type RawStore, type ReadStore, type StoreMap, u32Key } from "../store.ts";
import { validators as validatorsModule } from "../validators/index.ts";
import { settling, taskForChange } from "./access.ts";
import { governableTaskParams } from "./governable.ts";
import { HONEYPOT_MAX, honeypotDrawn, isHoneypot, plantHoneypot } from "./honeypots.ts";
import { taskQueries } from "./queries.ts";
import { pruneRecords } from "./records.ts";
import {
  amountArgs,
  authorizeKeyArgs,
  chargeFault,
  checkDrawn,
  checkRateMilli,
  claimWithdrawalArgs,
  exactModel,
  heldBack,
  judgeGas,
  keyArgs,
  parseSection,
  payloadArgs,
  publishWindow,
  routedExecutor,
  SETTLE_GAS_PER_CALL,
  SETTLE_GAS_PER_RECEIPT,
  settleArgs,
  taskIdArgs,
  taskParams,
  voteArgs,
  WITHDRAW_DELAY_CYCLES,
} from "./rules.ts";
import { declare, mayDeclare, serveArgs, servingCandidates } from "./serving.ts";

export * from "./governable.ts";
export * from "./honeypots.ts";
export * from "./records.ts";
export * from "./rules.ts";
export * from "./serving.ts";
export * from "./store.ts";

import {
  apiKeys,
  assigned,
  type Dispute,
  disputes,
  due,
  EscrowDeposited,
  escrows,
  forfeited,
  fraudProvers,
  MAX_DRAWS_PER_BLOCK,
  MAX_PANEL_SEATS,
  ownerKeys,
  params,
  passedFrauds,
  pending,
  publishedPayloads,
  type Report,
  reports,
  reputations,
  STATUS_NAMES,
  served,
  TaskFraudProven,
  type TaskRecord,
  TaskSettled,
  TaskStatus,
  TaskVerified,
  taskFrauds,
  tasks,
  tasksByCycle,
  undrawn,
  upheldReports,
  verifierRecords,
  withdrawals,
} from "./store.ts";

export function candidatesOf(ctx: { storeOf(m: Pick<Module, "address">): ReadStore }, cycle: number) {
  return voterWeights(ctx.storeOf(race), ctx.storeOf(validatorsModule), cycle).map(([address, weight]) => ({
    address,
    weight,
  }));
}

/** The cycle's candidates that serve `model` (§Serving): every draw for a task of that model. */
export function candidatesFor(
  ctx: { storeOf(m: Pick<Module, "address">): ReadStore },
  cycle: number,
  model: string,
) {
  return servingCandidates(ctx, candidatesOf(ctx, cycle), cycle, model);
}

function add<K>(map: StoreMap<K, bigint>, s: RawStore, k: K, v: bigint): void {
  map.set(s, k, (map.get(s, k) ?? 0n) + v);
}

/** The task leaves every pending index: its check (assigned, due) and the check draw (undrawn). */
function close(s: RawStore, taskId: Uint8Array, t: TaskRecord): void {
  assigned.delete(s, [t.verifier, taskId]);
  due.delete(s, [t.deadline, taskId]);
  undrawn.delete(s, [t.height, taskId]);
}

/** Proven fraud: the task fails, the executor's pending fees of the cycle are forfeited, reputation 0. */
function convict(ctx: ModuleContext | CallContext, taskId: Uint8Array, t: TaskRecord, reason: string): void {
  const s = ctx.store;
  // A verifier that passed a fraudulent task is overruled: its check counts as not performed.
  if (t.status === TaskStatus.verified) {
    passedFrauds.set(s, taskId, 1);
    recordVerifier(s, ctx.block.cycle, t.verifier, 0, 1);
  }
  close(s, taskId, t);
  tasks.set(s, taskId, { ...t, status: TaskStatus.fraud });
  const key: [number, Address] = [t.cycle, t.executor];
  if (!taskFrauds.has(s, key)) taskFrauds.set(s, key, reason.slice(0, 256));
  // Proven after its cycle settled (a check reopened by a late publish can run past c + 2): the
  // executor forfeits the cycle it is in now instead, so a late conviction still costs a cycle.
  if (ctx.block.cycle > t.cycle + SETTLE_DELAY_CYCLES) {
    const now: [number, Address] = [ctx.block.cycle, t.executor];
    if (!taskFrauds.has(s, now))
      taskFrauds.set(
        s,
        now,
        `${reason} (a task of cycle ${t.cycle}, settled before the proof)`.slice(0, 256),
      );
  }
  const lost = pending.get(s, key) ?? 0n;
  if (lost > 0n) add(forfeited, s, key, lost);
  pending.delete(s, key);
  reputations.set(s, t.executor, 0);
  if ("emit" in ctx) emit(ctx, TaskFraudProven, taskId, t.executor, lost);
}

function recordVerifier(s: RawStore, cycle: number, verifier: Address, upheld: number, overruled: number) {
  const r = verifierRecords.get(s, [cycle, verifier]) ?? { upheld: 0, overruled: 0 };
  verifierRecords.set(s, [cycle, verifier], {
    upheld: r.upheld + upheld,
    overruled: r.overruled + overruled,
  });
}

function isTolerance(ctx: { storeOf(m: Pick<Module, "address">): ReadStore }, t: TaskRecord): boolean {
  return modelEntry(ctx.storeOf(modelsModule), t.model)?.verification === "tolerance";
}

/** Check a payload against a task: the hash must match; returns the verdict ("" = honest). */
function judge(ctx: CallContext, t: TaskRecord, payload: TaskPayload): string {
  if (!equalBytes(payloadHash(payload), t.payloadHash))
    throw new ModuleError("the payload does not hash to the receipt's payloadHash");
  const models = ctx.storeOf(modelsModule);
  const entry = modelEntry(models, t.model);
  // A fee refunded by an upheld report is 0: nothing is left to overcharge.
  if (entry && t.fee > 0n) {
    const overcharge = chargeFault(t.fee, payload, entry.unitsPerToken, unitPriceAt(models, t.cycle));
    if (overcharge) return overcharge;
  }
  if (isTolerance(ctx, t))
    throw new ModuleError(
      `model ${t.model} is tolerance-class: the chain does not re-run it; its verifiers vote (dispute)`,
    );
  const model = exactModel(ctx.storeOf(modelsModule), t.model);
  if (!model) throw new ModuleError(`model ${t.model} is not an exact model this chain can re-run`);
  return payloadFault(model, payload);
}

/**
 * A user's report on a result (spec/tasks.md §Oversight): the payer re-submits what it got; the
 * chain re-runs it on the exact model (every node does: the committee's verdict cannot differ).
 * Upheld: the executor is convicted, the task fee and the report fee are refunded, and the bounty
 * is paid from the executor's forfeit at settlement. Rejected: the report fee goes to the committee.
 */
function fileReport(ctx: CallContext, taskId: Uint8Array, payload: TaskPayload): void {
  const s = ctx.store;
  const t = taskForChange(ctx, taskId);
  if (!equalBytes(t.payer, ctx.sender))
    throw new ModuleError("only the developer who paid for the task reports it");
  if (reports.has(s, taskId)) throw new ModuleError("this task was already reported");
  if (isTolerance(ctx, t))
    throw new ModuleError(
      `model ${t.model} is tolerance-class: the chain does not re-run it, so reports cover exact models only`,
    );
  if (ctx.block.cycle > t.cycle + 1)
    throw new ModuleError(
      `reports on a task of cycle ${t.cycle} are accepted until cycle ${t.cycle + 1} ends`,
    );
  const p = taskParams(s);
  const escrow = escrows.get(s, ctx.sender) ?? 0n;
  if (escrow < p.reportFee)
    throw new ModuleError(`a report costs ${p.reportFee} wei; the escrow holds ${escrow}`);
  const latest = latestRound(ctx.storeOf(beacon));
  if (!latest) throw new ModuleError("no beacon output yet to draw the committee from");
  const fault = judge(ctx, t, payload);
  const committee: Address[] = [];
  const pool = new WeightedPool(candidatesFor(ctx, ctx.block.cycle, t.model));
  for (const m of pool.inTurn("racecoin/report", latest.output, taskId, [
    t.executor,
    t.intermediary,
    ctx.sender,
  ])) {
    if (committee.length === p.reportCommittee) break;
    committee.push(m);
  }
  if (!fault && committee.length === 0) throw new ModuleError("no verifier can sit on the committee");
  const report: Report = {
    reporter: ctx.sender,
    committee,
    upheld: fault ? 1 : 0,
    fee: t.fee,
    reportFee: p.reportFee,
    cycle: t.cycle,
    reason: fault.slice(0, 256),
  };
  reports.set(s, taskId, report);
  if (fault) {
    // The user gets its payment back (never used as bounty), also when a verifier proved the
    // fraud first; the task no longer earns anyone.
    if (t.status !== TaskStatus.fraud) convict(ctx, taskId, t, fault);
    tasks.set(s, taskId, { ...tasks.get(s, taskId)!, fee: 0n });
    add(escrows, s, ctx.sender, t.fee);
    const owed: [number, Address] = [t.cycle, t.executor];
    const lost = forfeited.get(s, owed) ?? 0n;
    forfeited.set(s, owed, lost >= t.fee ? lost - t.fee : 0n);
    upheldReports.set(s, [t.cycle, [t.executor, taskId]], 1);
    return;
  }
  // Rejected: the report fee leaves the escrow for the committee, in equal shares (dust to the first).
  escrows.set(s, ctx.sender, escrow - p.reportFee);
  const each = p.reportFee / BigInt(committee.length);
  for (const [i, m] of committee.entries()) {
    const pay = each + (i === 0 ? p.reportFee - each * BigInt(committee.length) : 0n);
    const from = ctx.state.getAccount(TASKS_MODULE_ADDRESS);
    ctx.state.setAccount(TASKS_MODULE_ADDRESS, { ...from, balance: from.balance - pay });
    const to = ctx.state.getAccount(m);
    ctx.state.setAccount(m, { ...to, balance: to.balance + pay });
  }
}

/**
 * A tolerance-class check the drawn verifier failed (spec/tasks.md §Disputes): more miners are
 * drawn by weight (never the executor or the intermediary) until the panel, the verifier
 * included, holds more than half of the cycle's weight; each votes once.
 */
function openDispute(ctx: CallContext, taskId: Uint8Array, t: TaskRecord): void {
  const s = ctx.store;
  const latest = latestRound(ctx.storeOf(beacon));
  if (!latest) throw new ModuleError("no beacon output yet to draw the panel from");
  // The panel and the majority it needs are of the weight that serves the model.
  const candidates = candidatesFor(ctx, ctx.block.cycle, t.model);
  const total = candidates.reduce((a, c) => a + c.weight, 0n);
  const weights = new Map(candidates.map((c) => [toHex(c.address), c.weight]));
  const weightOf = (a: Address) => weights.get(toHex(a)) ?? 0n;
  const panel = [{ address: t.verifier, weight: weightOf(t.verifier) }];
  let held = panel[0]!.weight;
  // Many light miners could take more seats than the dispute record holds: the panel stops there.
  // Drawn in turn over one prepared pool: O(n log n) for the whole panel (spec §Disputes).
  const draws = new WeightedPool(candidates).inTurn("racecoin/task-dispute", latest.output, taskId, [
    t.executor,
    t.intermediary,
    t.verifier,
  ]);
  for (const m of draws) {
    if (2n * held > total || panel.length >= MAX_PANEL_SEATS) break;
    panel.push({ address: m, weight: weightOf(m) });
    held += weightOf(m);
  }
  close(s, taskId, t);
  const deadline = ctx.block.height + ctx.block.preset.cycleLength;
  const d: Dispute = { panel, votes: [{ address: t.verifier, fraud: 1 }] };
  disputes.set(s, taskId, d);
  const open = { ...t, status: TaskStatus.disputed, deadline };
  tasks.set(s, taskId, open);
  due.set(s, [deadline, taskId], 1);
  for (const p of panel.slice(1)) assigned.set(s, [p.address, taskId], 1);
  resolveDispute(ctx, taskId, open, d, false);
}

/**
 * Decide a dispute once one side holds more than half of the panel's weight (the executor wins a
 * tie), or at the deadline by the weight that voted. The majority's votes count as upheld, the
 * minority's as overruled; fraud convicts the executor, otherwise the task is cleared.
 */
function resolveDispute(
  ctx: ModuleContext | CallContext,
  taskId: Uint8Array,
  t: TaskRecord,
  d: Dispute,
  final: boolean,
): void {
  const seats = new Map(d.panel.map((p) => [toHex(p.address), p.weight]));
  const weight = (a: Address) => seats.get(toHex(a)) ?? 0n;
  const panelWeight = d.panel.reduce((a, p) => a + p.weight, 0n);
  let fraud = 0n;
  let honest = 0n;
  for (const v of d.votes) {
    if (v.fraud) fraud += weight(v.address);
    else honest += weight(v.address);
  }
  let guilty: boolean;
  if (2n * fraud > panelWeight) guilty = true;
  else if (2n * honest >= panelWeight) guilty = false;
  // At the deadline, no majority either way clears the executor: a conviction needs more than
  // half the panel's weight, so a lying verifier and a silent panel convict no one.
  else if (final) guilty = false;
  else return;
  const s = ctx.store;
  for (const p of d.panel) assigned.delete(s, [p.address, taskId]);
  for (const v of d.votes)
    recordVerifier(
      s,
      ctx.block.cycle,
      v.address,
      v.fraud === (guilty ? 1 : 0) ? 1 : 0,
      v.fraud === (guilty ? 1 : 0) ? 0 : 1,
    );
  const said = `${guilty ? fraud : honest} of ${panelWeight} panel weight`;
  if (guilty) convict(ctx, taskId, t, `out of tolerance by the panel's majority (${said})`);
  else {
    close(s, taskId, t);
    tasks.set(s, taskId, { ...t, status: TaskStatus.cleared });
  }
}

function settleOne(
  ctx: CallContext,
  r: Receipt,
  i: number,
  seen: Set<string>,
  pools: Map<string, WeightedPool>,
): void {
  const fail = (m: string) => {
    throw new ModuleError(`receipt ${i}: ${m}`);
  };
  const { block, store } = ctx;
  if (!equalBytes(r.executor, ctx.sender)) fail("only the receipt's executor settles it");
  const id = toHex(r.taskId);
  if (seen.has(id) || tasks.has(store, r.taskId)) fail(`task ${id} is already settled`);
  seen.add(id);
  const entry = activeModel(ctx.storeOf(modelsModule), r.model, r.cycle);
  if (!entry) fail(`model ${r.model} is not registered for cycle ${r.cycle}`);
  if (r.cycle > block.cycle || block.cycle - r.cycle > 1)
    fail(`cycle ${r.cycle} is not this cycle (${block.cycle}) or the previous one`);
  const round = beaconRounds.get(ctx.storeOf(beacon), r.round);
  if (!round) fail(`beacon round ${r.round} has not completed`);
  if (cycleOf(round!.height, block.preset.cycleLength) > r.cycle)
    fail(`beacon round ${r.round} completed after cycle ${r.cycle}`);
  if (r.attempt >= MAX_ATTEMPTS)
    fail(
      `attempt ${r.attempt}: a task is drawn at most ${MAX_ATTEMPTS} times (attempts 0–${MAX_ATTEMPTS - 1})`,
    );
  const signer = receiptSigner(block.chainId, r);
  if (!signer) fail("the signature recovers to no key");
  const key = apiKeys.get(store, signer!);
  if (!key) fail(`key ${toChecksumAddress(signer!)} is not an authorized API key`);
  if (key!.revoked && r.cycle >= key!.revoked)
    fail(`key ${toChecksumAddress(signer!)} is revoked for receipts of cycle ${key!.revoked} on`);
  const set = `${r.cycle}:${r.model}`;
  if (!pools.has(set)) pools.set(set, new WeightedPool(candidatesFor(ctx, r.cycle, r.model)));
  const due = routedExecutor(round!.output, r.taskId, pools.get(set)!, r.intermediary, r.attempt);
  if (!due || !equalBytes(due, r.executor))
    fail(`draw ${r.attempt} of this task goes to ${due ? toChecksumAddress(due) : "no one"}, not the sender`);
  // A tolerance-class result can be proven wrong only by a verifier that serves the model (the
  // chain cannot re-run it): one served only by its executor and intermediary is not paid.
  if (
    entry!.verification === "tolerance" &&
    !pools.get(set)!.draw("racecoin/task-verifier", round!.output, r.taskId, [r.executor, r.intermediary])
  )
    fail(`no server of model ${r.model} but its executor and intermediary is left to check it`);
  if (r.promptTokens + r.completionTokens === 0)
    fail("a task of no tokens: nothing was served, and it would cost no fee");
  if (r.promptTokens + r.completionTokens > entry!.contextLength)
    fail(
      `${r.promptTokens} + ${r.completionTokens} tokens exceed model ${r.model}'s context of ${entry!.contextLength}`,
    );
  const fee =
    BigInt(r.promptTokens + r.completionTokens) *
    BigInt(entry!.unitsPerToken) *
    unitPriceAt(ctx.storeOf(modelsModule), r.cycle);
  if (key!.spent + fee > key!.limit) fail(`the fee ${fee} would pass the key's spend limit`);
  const escrow = escrows.get(store, key!.owner) ?? 0n;
  const held = heldBack(withdrawals.get(store, key!.owner), r.cycle, block.preset.cycleLength);
  if (escrow - held < fee)
    fail(
      `the fee ${fee} exceeds the developer's escrow ${escrow}${held > 0n ? ` less the ${held} asked back` : ""}`,
    );
  escrows.set(store, key!.owner, escrow - fee);
  apiKeys.set(store, signer!, { ...key!, spent: key!.spent + fee });
  const owed: [number, Address] = [block.cycle, r.executor];
  // A cycle already convicted of fraud forfeits every later fee of that cycle too.
  add(taskFrauds.has(store, owed) ? forfeited : pending, store, owed, fee);
  served.set(store, owed, (served.get(store, owed) ?? 0) + 1);
  tasks.set(store, r.taskId, {
    executor: r.executor,
    intermediary: r.intermediary,
    model: r.model,
    payloadHash: r.payloadHash,
    fee,
    cycle: block.cycle,
    height: block.height,
    status: TaskStatus.settled,
    verifier: ZERO_ADDRESS,
    deadline: 0,
    drawRound: 0,
    checkMilli: 0,
    payer: key!.owner,
    round: r.round,
    attempt: r.attempt,
  });
  tasksByCycle.set(store, [block.cycle, r.taskId], 1);
  undrawn.set(store, [block.height, r.taskId], 1);
  emit(ctx, TaskSettled, r.taskId, r.executor, signer!, fee);
}

/**
 * Each block: draw the checks of tasks settled before the latest beacon round (its output did not
 * exist when they were answered), then close checks whose deadline passed.
 */
function endBlock(ctx: ModuleContext): void {
  const s = ctx.store;
  const { height, preset } = ctx.block;
  const latest = latestRound(ctx.storeOf(beacon));
  if (latest) {
    const p = taskParams(s);
    let planted = 0;
    // The cycle's candidates of each model, read and sorted once for all the block's draws.
    const pools = new Map<string, WeightedPool>();
    const poolOf = (model: string) => {
      if (!pools.has(model)) pools.set(model, new WeightedPool(candidatesFor(ctx, ctx.block.cycle, model)));
      return pools.get(model)!;
    };
    // Settled before the latest round: its output did not exist when they were answered.
    const waiting = undrawn.scan(s, { to: u32Key.encode(latest.height), limit: MAX_DRAWS_PER_BLOCK });
    for (const [settledAt, taskId] of waiting) {
      undrawn.delete(s, [settledAt, taskId]);
      const drawn = tasks.get(s, taskId)!;
      // Only a task still waiting for its draw is drawn: a conviction must never be rewritten.
      if (drawn.status !== TaskStatus.settled) continue;
      const rate = checkRateMilli(p, reputations.get(s, drawn.executor) ?? 0);
      const t = { ...drawn, drawRound: latest.round, checkMilli: rate };
      if (!checkDrawn(latest.output, taskId, rate)) {
        tasks.set(s, taskId, { ...t, status: TaskStatus.unchecked });
        continue;
      }
      const verifier = poolOf(t.model).draw("racecoin/task-verifier", latest.output, taskId, [
        t.executor,
        t.intermediary,
      ]);
      if (!verifier) {
        tasks.set(s, taskId, { ...t, status: TaskStatus.unchecked });
        continue;
      }
      const deadline = height + preset.cycleLength;
      tasks.set(s, taskId, { ...t, status: TaskStatus.checking, verifier, deadline });
      due.set(s, [deadline, taskId], 1);
      assigned.set(s, [verifier, taskId], 1);
      if (planted < HONEYPOT_MAX && honeypotDrawn(latest.output, taskId, p.honeypotMilli))
        planted += plantHoneypot(ctx, latest, taskId, poolOf);
    }
  }
  for (const [, taskId] of due.scan(s, { to: u32Key.encode(height + 1) })) {
    const t = tasks.get(s, taskId)!;
    // Its cycle is being settled: it closes in the first block after the settlement ends.
    if (settling(ctx, t)) continue;
    if (t.status === TaskStatus.withheld) convict(ctx, taskId, t, "payload withheld and never published");
    else if (t.status === TaskStatus.disputed) resolveDispute(ctx, taskId, t, disputes.get(s, taskId)!, true);
    else {
      close(s, taskId, t);
      tasks.set(s, taskId, { ...t, status: TaskStatus.expired });
    }
  }
  pruneRecords(s, ctx.block.cycle);
}

/** Cycle end: an executor that settled tasks this cycle and was not convicted gains a level. */
function endCycle(ctx: ModuleContext): void {
  const s = ctx.store;
  const cycle = ctx.block.cycle;
  const max = taskParams(s).maxReputation;
  // A miner convicted of race fraud this cycle (settled by the race module's own hooks, which
  // run first) starts over too (rewards.md §Release: either fraud forfeits the whole cycle).
  const raceFraud = new Set(
    forfeitsOf(ctx.storeOf(race), cycle)
      .filter(([, reason]) => reason.startsWith("fraud"))
      .map(([a]) => toHex(a)),
  );
  for (const a of raceFraud) if (reputations.has(s, fromHex(a))) reputations.set(s, fromHex(a), 0);
  for (const [[, executor]] of served.entries(s, u32Key.encode(cycle))) {
    if (taskFrauds.has(s, [cycle, executor]) || raceFraud.has(toHex(executor))) continue;
    reputations.set(s, executor, Math.min(max, (reputations.get(s, executor) ?? 0) + 1));
  }
}

export const tasksModule: Module = {
  id: 6,
  name: "tasks",
  address: TASKS_MODULE_ADDRESS,
  governable: governableTaskParams,
  genesis(ctx: GenesisContext) {
    params.set(ctx.store, parseSection(ctx.section));
  },
  endBlock,
  endCycle,
  methods: {
    deposit: {
      args: amountArgs,
      gas: 20_000n,
      execute(ctx, { amount }: { amount: bigint }) {
        if (amount <= 0n) throw new ModuleError("deposit a positive amount");
        const from = ctx.state.getAccount(ctx.sender);
        if (from.balance < amount) throw new ModuleError("insufficient balance for the deposit");
        ctx.state.setAccount(ctx.sender, { ...from, balance: from.balance - amount });
        const m = ctx.state.getAccount(TASKS_MODULE_ADDRESS);
        ctx.state.setAccount(TASKS_MODULE_ADDRESS, { ...m, balance: m.balance + amount });
        add(escrows, ctx.store, ctx.sender, amount);
        emit(ctx, EscrowDeposited, ctx.sender, amount);
      },
    },
    withdraw: {
      args: amountArgs,
      gas: 20_000n,
      /**
       * Ask for escrow back: it stays in escrow (receipts already signed may still settle against
       * it) until the start of the cycle after the next, then `claimWithdrawal` pays it.
       */
      execute(ctx, { amount }: { amount: bigint }) {
        const have = escrows.get(ctx.store, ctx.sender) ?? 0n;
        const asked = withdrawals.get(ctx.store, ctx.sender)?.amount ?? 0n;
        if (amount <= 0n || asked + amount > have)
          throw new ModuleError(`withdraw 1 to ${have - asked} wei (the escrow not yet asked for)`);
        // Receipts of this cycle and the next settle until the end of the cycle after them.
        const unlockHeight = (ctx.block.cycle + WITHDRAW_DELAY_CYCLES) * ctx.block.preset.cycleLength;
        withdrawals.set(ctx.store, ctx.sender, { amount: asked + amount, unlockHeight });
      },
    },
    claimWithdrawal: {
      args: claimWithdrawalArgs,
      gas: 20_000n,
      /** Pay an unlocked withdrawal (what settlements left of it). */
      execute(ctx) {
        const w = withdrawals.get(ctx.store, ctx.sender);
        if (!w) throw new ModuleError("no withdrawal asked for (tasks.withdraw first)");
        if (ctx.block.height < w.unlockHeight)
          throw new ModuleError(
            `the withdrawal unlocks at height ${w.unlockHeight}, after every receipt signed before it can settle`,
          );
        const have = escrows.get(ctx.store, ctx.sender) ?? 0n;
        const amount = w.amount < have ? w.amount : have;
        withdrawals.delete(ctx.store, ctx.sender);
        escrows.set(ctx.store, ctx.sender, have - amount);
        const m = ctx.state.getAccount(TASKS_MODULE_ADDRESS);
        ctx.state.setAccount(TASKS_MODULE_ADDRESS, { ...m, balance: m.balance - amount });
        const to = ctx.state.getAccount(ctx.sender);
        ctx.state.setAccount(ctx.sender, { ...to, balance: to.balance + amount });
      },
    },
    authorizeKey: {
      args: authorizeKeyArgs,
      gas: 20_000n,
      execute(ctx, { key, limit }: { key: Address; limit: bigint }) {
        if (equalBytes(key, ZERO_ADDRESS) || isModuleAddress(key))
          throw new ModuleError("the key must be an ordinary address");
        const k = apiKeys.get(ctx.store, key);
        if (k && !equalBytes(k.owner, ctx.sender))
          throw new ModuleError("this key belongs to another account");
        // A receipt already answered must not fail on a limit lowered after the answer.
        if (k && limit < k.limit)
          throw new ModuleError(
            `a key's limit only rises (it is ${k.limit}): revoke the key and authorize a new one for a lower limit`,
          );
        apiKeys.set(ctx.store, key, { owner: ctx.sender, limit, spent: k?.spent ?? 0n, revoked: 0 });
        ownerKeys.set(ctx.store, [ctx.sender, key], 1);
      },
    },
    revokeKey: {
      args: keyArgs,
      gas: 20_000n,
      execute(ctx, { key }: { key: Address }) {
        const k = apiKeys.get(ctx.store, key);
        if (!k || !equalBytes(k.owner, ctx.sender)) throw new ModuleError("not a key of this account");
        if (k.revoked) throw new ModuleError("this key is already revoked");
        // Receipts of this cycle and before still settle (answered before the revocation could be
        // seen); revoked = the first cycle whose receipts are refused.
        apiKeys.set(ctx.store, key, { ...k, revoked: ctx.block.cycle + 1 });
      },
    },
    settle: {
      args: settleArgs,
      gas: ({ receipts }: { receipts: Receipt[] }) =>
        SETTLE_GAS_PER_CALL + SETTLE_GAS_PER_RECEIPT * BigInt(receipts.length),
      execute(ctx, { receipts }: { receipts: Receipt[] }) {
        if (receipts.length === 0) throw new ModuleError("no receipts");
        const seen = new Set<string>();
        // One batch reads and sorts each (cycle, model) candidate set once.
        const pools = new Map<string, WeightedPool>();
        for (const [i, r] of receipts.entries()) settleOne(ctx, r, i, seen, pools);
      },
    },
    serve: {
      args: serveArgs,
      gas: 40_000n,
      /**
       * Declare the models this account serves, from the next cycle (§Serving): it is drawn as
       * executor, verifier or panel member only for those. An empty list serves none.
       */
      execute(ctx, { models }: { models: string[] }) {
        if (!mayDeclare(ctx, ctx.sender, ctx.block.cycle))
          throw new ModuleError(
            "only an account with race weight this cycle or the next declares what it serves (an undeclared one serves every model)",
          );
        if (new Set(models).size !== models.length) throw new ModuleError("a model is named twice");
        const registry = ctx.storeOf(modelsModule);
        for (const m of models)
          if (!activeModel(registry, m, ctx.block.cycle + 1))
            throw new ModuleError(`model ${m.slice(0, 64)} is not registered for the next cycle`);
        declare(ctx.store, ctx.sender, ctx.block.cycle, models);
      },
    },
    verdict: {
      args: taskIdArgs,
      gas: 20_000n,
      execute(ctx, { taskId }: { taskId: Uint8Array }) {
        const t = taskForChange(ctx, taskId);
        if (t.status !== TaskStatus.checking)
          throw new ModuleError(`task is ${STATUS_NAMES[t.status]}, not checking`);
        if (!equalBytes(t.verifier, ctx.sender))
          throw new ModuleError("only the drawn verifier posts the verdict");
        close(ctx.store, taskId, t);
        tasks.set(ctx.store, taskId, { ...t, status: TaskStatus.verified });
        // A honeypot's answer is wrong by construction: passing it shows the check was not run.
        if (isHoneypot(ctx.store, taskId, t)) recordVerifier(ctx.store, ctx.block.cycle, ctx.sender, 0, 1);
        else recordVerifier(ctx.store, ctx.block.cycle, ctx.sender, 1, 0);
        emit(ctx, TaskVerified, taskId, ctx.sender);
      },
    },
    withheld: {
      args: taskIdArgs,
      gas: 20_000n,
      execute(ctx, { taskId }: { taskId: Uint8Array }) {
        const t = taskForChange(ctx, taskId);
        if (t.status !== TaskStatus.checking)
          throw new ModuleError(`task is ${STATUS_NAMES[t.status]}, not checking`);
        if (!equalBytes(t.verifier, ctx.sender))
          throw new ModuleError("only the drawn verifier reports withholding");
        if (publishedPayloads.has(ctx.store, taskId))
          throw new ModuleError("the payload is published on chain (tasks_payload): check that instead");
        // The claim opens its own window to answer: the executor has a full publish window from
        // this block, however late in the check the verifier makes the claim.
        const deadline = ctx.block.height + publishWindow(ctx.block.preset.cycleLength);
        due.delete(ctx.store, [t.deadline, taskId]);
        due.set(ctx.store, [deadline, taskId], 1);
        tasks.set(ctx.store, taskId, { ...t, status: TaskStatus.withheld, deadline });
      },
    },
    publish: {
      args: payloadArgs,
      gas: judgeGas,
      execute(ctx, { taskId, payload }: { taskId: Uint8Array; payload: TaskPayload }) {
        const t = taskForChange(ctx, taskId);
        if (t.status !== TaskStatus.withheld)
          throw new ModuleError("no withholding claim stands against this task");
        if (isTolerance(ctx, t)) {
          // The chain cannot re-run a float model: the payload goes on chain and the check resumes.
          if (!equalBytes(payloadHash(payload), t.payloadHash))
            throw new ModuleError("the payload does not hash to the receipt's payloadHash");
          publishedPayloads.set(ctx.store, taskId, payload);
          due.delete(ctx.store, [t.deadline, taskId]);
          const deadline = ctx.block.height + ctx.block.preset.cycleLength;
          due.set(ctx.store, [deadline, taskId], 1);
          tasks.set(ctx.store, taskId, { ...t, status: TaskStatus.checking, deadline });
          return;
        }
        const fault = judge(ctx, t, payload);
        if (fault) return convict(ctx, taskId, t, fault);
        close(ctx.store, taskId, t);
        tasks.set(ctx.store, taskId, { ...t, status: TaskStatus.published });
        recordVerifier(ctx.store, ctx.block.cycle, t.verifier, 0, 1);
      },
    },
    dispute: {
      args: taskIdArgs,
      gas: 1_500_000n,
      execute(ctx, { taskId }: { taskId: Uint8Array }) {
        const t = taskForChange(ctx, taskId);
        if (t.status !== TaskStatus.checking)
          throw new ModuleError(`task is ${STATUS_NAMES[t.status]}, not checking`);
        if (!equalBytes(t.verifier, ctx.sender))
          throw new ModuleError("only the drawn verifier disputes a result");
        if (!isTolerance(ctx, t))
          throw new ModuleError(
            `model ${t.model} is exact: prove the fraud with the payload (fraud) instead`,
          );
        openDispute(ctx, taskId, t);
      },
    },
    vote: {
      args: voteArgs,
      gas: 1_000_000n,
      execute(ctx, { taskId, fraud }: { taskId: Uint8Array; fraud: number }) {
        const t = taskForChange(ctx, taskId);
        if (t.status !== TaskStatus.disputed)
          throw new ModuleError(`task is ${STATUS_NAMES[t.status]}, not disputed`);
        if (fraud > 1) throw new ModuleError("vote 1 (out of tolerance) or 0 (within tolerance)");
        const d = disputes.get(ctx.store, taskId)!;
        if (!d.panel.some((p) => equalBytes(p.address, ctx.sender)))
          throw new ModuleError("only the dispute's panel votes");
        if (d.votes.some((v) => equalBytes(v.address, ctx.sender))) throw new ModuleError("already voted");
        const next = { ...d, votes: [...d.votes, { address: ctx.sender, fraud }] };
        disputes.set(ctx.store, taskId, next);
        resolveDispute(ctx, taskId, t, next, false);
      },
    },
    report: {
      args: payloadArgs,
      // The re-run, and the committee drawn over the model's servers (as a settle call reads them).
      gas: (a: { payload: TaskPayload }) => judgeGas(a) + SETTLE_GAS_PER_CALL,
      execute(ctx, { taskId, payload }: { taskId: Uint8Array; payload: TaskPayload }) {
        fileReport(ctx, taskId, payload);
      },
    },
    fraud: {
      args: payloadArgs,
      gas: judgeGas,
      execute(ctx, { taskId, payload }: { taskId: Uint8Array; payload: TaskPayload }) {
        const t = taskForChange(ctx, taskId);
        if (t.status === TaskStatus.fraud) throw new ModuleError("fraud is already proven for this task");
        if (ctx.block.cycle > t.cycle + 1)
          throw new ModuleError(
            `fraud on a task of cycle ${t.cycle} is accepted until cycle ${t.cycle + 1} ends`,
          );
        const honeypot = isHoneypot(ctx.store, taskId, t);
        if (honeypot && (t.status !== TaskStatus.checking || !equalBytes(t.verifier, ctx.sender)))
          throw new ModuleError("only the drawn verifier checks a protocol task, while its check is open");
        const fault = judge(ctx, t, payload);
        if (!fault) {
          // The claim is false; a drawn verifier that made it is overruled (recorded for the rewards).
          throw new ModuleError("the payload is the model's answer: no fraud");
        }
        if (honeypot) {
          // Caught: the check was run. No executor to convict and no fee to forfeit.
          close(ctx.store, taskId, t);
          tasks.set(ctx.store, taskId, { ...t, status: TaskStatus.fraud });
          recordVerifier(ctx.store, ctx.block.cycle, ctx.sender, 1, 0);
          return;
        }
        fraudProvers.set(ctx.store, [t.cycle, [t.executor, taskId]], ctx.sender);
        if (t.status === TaskStatus.checking || t.status === TaskStatus.withheld)
          recordVerifier(
            ctx.store,
            ctx.block.cycle,
            ctx.sender,
            equalBytes(t.verifier, ctx.sender) ? 1 : 0,
            0,
          );
        convict(ctx, taskId, t, fault);
      },
    },
  },
  queries: taskQueries,
};

/** Tasks open for a verifier (the node's verifier service reads it). */
export function assignedTo(store: ReadStore, verifier: Address): Uint8Array[] {
  return assigned.keys(store, verifier).map(([, taskId]) => taskId);
}
