/**
 * Closing proposals (spec/governance.md §Tally): at the end of the cycle a proposal's deposit or
 * voting period ends in, it expires (deposit not reached), or its votes are counted with each
 * voter's race weight in that closing cycle. A passed proposal's effect is applied then; deposits
 * go back to their depositors unless the proposal was vetoed, when they go to the training fund.
 */
import { keccak256 } from "../../src/crypto/index.ts";
import { GOVERNANCE_MODULE_ADDRESS, TRAINING_FUND_ADDRESS } from "../../src/params/index.ts";
import { type Address, concatBytes, fromHex, toHex, u32be } from "../../src/types/index.ts";
import { voterWeights } from "../models/index.ts";
import { InvariantError, type Module, type ModuleContext } from "../module.ts";
import { race } from "../race/index.ts";
import { type ReadStore, u32Key } from "../store.ts";
import { validators as validatorsModule } from "../validators/index.ts";
import { applyBody, checkBody, type KindContext } from "./kinds.ts";
import {
  deposits,
  due,
  type GovParams,
  govParams,
  MAX_CLOSING_PER_CYCLE,
  open,
  openBodies,
  type Proposal,
  proposals,
  Status,
  type Tally,
  VoteOption,
  votes,
} from "./store.ts";

/** The key that keeps one change from being open twice: keccak256(u32be(kind) ‖ body). */
export function bodyKey(kind: number, body: Uint8Array): Uint8Array {
  return keccak256(concatBytes(u32be(kind), body));
}

/**
 * The cycle a period ending at `from` closes in: `from`, or the first cycle after it with fewer
 * than MAX_CLOSING_PER_CYCLE proposals due, so one endCycle closes at most that many.
 */
export function closingCycle(store: ReadStore, from: number): number {
  for (let c = from; ; c++)
    if (
      due.scan(store, { under: u32Key.encode(c), limit: MAX_CLOSING_PER_CYCLE }).length <
      MAX_CLOSING_PER_CYCLE
    )
      return c;
}

/** The cycle's voting weight by account: the race weights the models module's price vote uses. */
export function weightsIn(
  ctx: { storeOf(m: Pick<Module, "address">): ReadStore },
  cycle: number,
): Map<string, bigint> {
  return new Map(
    voterWeights(ctx.storeOf(race), ctx.storeOf(validatorsModule), cycle).map(([a, w]) => [toHex(a), w]),
  );
}

/**
 * Count a proposal's votes with `weights` (a voter absent from them counts 0). Only accounts with
 * weight count, so the count walks the smaller of the proposal's votes and the weighted accounts:
 * a tally costs at most min(voters, weighted accounts) reads, whatever the votes stored.
 */
export function countVotes(
  ctx: { store: ReadStore },
  p: Pick<Proposal, "id" | "voters">,
  weights: Map<string, bigint>,
): Tally {
  const t: Tally = { yes: 0n, no: 0n, abstain: 0n, veto: 0n, total: 0n };
  const add = (option: number, w: bigint) => {
    if (option === VoteOption.yes) t.yes += w;
    else if (option === VoteOption.no) t.no += w;
    else if (option === VoteOption.abstain) t.abstain += w;
    else t.veto += w;
  };
  for (const w of weights.values()) t.total += w;
  if (p.voters <= weights.size) {
    for (const [[, voter], option] of votes.entries(ctx.store, u32Key.encode(p.id)))
      add(option, weights.get(toHex(voter)) ?? 0n);
  } else
    for (const [account, w] of weights) {
      const option = votes.get(ctx.store, [p.id, fromHex(account)]);
      if (option !== undefined) add(option, w);
    }
  return t;
}

/** The verdict of a tally under `p` (expedited: the higher threshold). */
export function verdict(t: Tally, p: GovParams, expedited: boolean): { status: Status; reason: string } {
  const voted = t.yes + t.no + t.abstain + t.veto;
  if (t.total === 0n) return { status: Status.rejected, reason: "no race weight in the closing cycle" };
  if (voted * 1000n < BigInt(p.quorumMilli) * t.total)
    return {
      status: Status.rejected,
      reason: `quorum not reached: ${voted} of ${t.total} weight voted, ${p.quorumMilli}‰ needed`,
    };
  if (t.veto * 1000n > BigInt(p.vetoMilli) * voted)
    return {
      status: Status.vetoed,
      reason: `vetoed: ${t.veto} of ${voted} voting weight, above ${p.vetoMilli}‰`,
    };
  const counted = t.yes + t.no + t.veto;
  const threshold = expedited ? p.expeditedThresholdMilli : p.thresholdMilli;
  if (counted > 0n && t.yes * 1000n > BigInt(threshold) * counted)
    return { status: Status.passed, reason: `passed: ${t.yes} of ${counted} weight, above ${threshold}‰` };
  return {
    status: Status.rejected,
    reason: `rejected: yes ${t.yes} of ${counted} weight, ${threshold}‰ needed`,
  };
}

function move(ctx: ModuleContext, to: Address, amount: bigint): void {
  const gov = ctx.state.getAccount(GOVERNANCE_MODULE_ADDRESS);
  if (gov.balance < amount)
    throw new InvariantError(`governance holds ${gov.balance} wei, owes a deposit of ${amount}`);
  ctx.state.setAccount(GOVERNANCE_MODULE_ADDRESS, { ...gov, balance: gov.balance - amount });
  const a = ctx.state.getAccount(to);
  ctx.state.setAccount(to, { ...a, balance: a.balance + amount });
}

/**
 * Close a proposal for good: its deposits go back (to the fund when vetoed), it leaves the open
 * set and its due entry, and the final record is written.
 */
export function closeProposal(
  ctx: ModuleContext,
  p: Proposal,
  status: Status,
  result: string,
  tally = p.tally,
): void {
  for (const [[, depositor], amount] of deposits.entries(ctx.store, u32Key.encode(p.id)))
    move(ctx, status === Status.vetoed ? TRAINING_FUND_ADDRESS : depositor, amount);
  open.delete(ctx.store, p.id);
  openBodies.delete(ctx.store, bodyKey(p.kind, p.body));
  due.delete(ctx.store, [p.status === Status.deposit ? p.depositEndCycle : p.votingEndCycle, p.id]);
  proposals.set(ctx.store, p.id, { ...p, status, result: result.slice(0, 256), tally });
}

function tallyAndClose(
  ctx: ModuleContext,
  kctx: KindContext,
  p: Proposal,
  weights: Map<string, bigint>,
): void {
  const params = govParams(ctx.store);
  const tally = countVotes(ctx, p, weights);
  const v = verdict(tally, params, p.expedited === 1);
  if (p.expedited === 1 && v.status !== Status.passed && v.status !== Status.vetoed) {
    // An expedited proposal that did not pass becomes a regular one: voting runs on to the
    // regular period's end, counted then with the regular threshold (votes carry over).
    const startCycle = Math.floor(p.votingStartHeight / ctx.block.preset.cycleLength);
    if (startCycle + params.votingCycles > ctx.block.cycle) {
      const regularEnd = closingCycle(ctx.store, startCycle + params.votingCycles);
      due.delete(ctx.store, [p.votingEndCycle, p.id]);
      due.set(ctx.store, [regularEnd, p.id], 1);
      proposals.set(ctx.store, p.id, { ...p, expedited: 0, votingEndCycle: regularEnd, tally });
      return;
    }
    tallyAndClose(ctx, kctx, { ...p, expedited: 0 }, weights);
    return;
  }
  if (v.status !== Status.passed) {
    closeProposal(ctx, p, v.status, v.reason, tally);
    return;
  }
  const problem = checkBody(kctx, p.kind, p.body);
  if (problem) {
    closeProposal(ctx, p, Status.failed, `passed, not applied: ${problem}`, tally);
    return;
  }
  applyBody(kctx, p.kind, p.body);
  closeProposal(ctx, p, Status.passed, v.reason, tally);
}

/** endCycle: every proposal whose deposit or voting period ends with this cycle closes. */
export function closeDue(ctx: ModuleContext, kctx: KindContext): void {
  const cycle = ctx.block.cycle;
  const ids = due.keys(ctx.store, u32Key.encode(cycle)).map(([, id]) => id);
  let weights: Map<string, bigint> | undefined;
  for (const id of ids) {
    const p = proposals.get(ctx.store, id);
    if (!p) throw new InvariantError(`proposal ${id} is due in cycle ${cycle} but not stored`);
    if (p.status === Status.deposit && p.depositEndCycle === cycle)
      closeProposal(ctx, p, Status.expired, "the deposit period ended below the minimum deposit");
    else if (p.status === Status.voting && p.votingEndCycle === cycle) {
      weights ??= weightsIn(ctx, cycle);
      tallyAndClose(ctx, kctx, p, weights);
    } else
      throw new InvariantError(`proposal ${id} (status ${p.status}) is due in cycle ${cycle} out of turn`);
  }
}
