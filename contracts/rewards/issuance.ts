/**
 * Issuance arithmetic (spec/rewards.md §Issuance), exact in wei. The 600 M core incentive is
 * minted only here, in 12 batches of 50 M:
 *
 * - **Proportional issuance**: in batch k (0-based) the subsidy rate is s_k = 9/10 · (4/5)^k, so
 *   a developer fee X mints X · s_k / (1 − s_k) = X · 9·4^k / (10·5^k − 9·4^k) for the hardware
 *   providers; a fee that crosses a batch boundary is split exactly there.
 * - **Minimum independent issuance**: 5 % of the supply in year 1, halving each year, pro rata
 *   per cycle; where proportional issuance in a cycle falls short of it, the shortfall is minted
 *   too. Both count against the 600 M and advance the batches.
 */
export const COIN = 10n ** 18n;
export const TOTAL_SUPPLY = 1_000_000_000n * COIN;
export const CORE_INCENTIVE = 600_000_000n * COIN;
export const BATCH = 50_000_000n * COIN;
export const BATCHES = 12;
export const FIRST_YEAR_MINIMUM = 50_000_000n * COIN;

/** Subsidy rate of batch k as a fraction num / (num + den) (so the mint per fee is num / den). */
export function batchRate(k: number): { num: bigint; den: bigint } {
  const four = 4n ** BigInt(k);
  const five = 5n ** BigInt(k);
  return { num: 9n * four, den: 10n * five - 9n * four };
}

/** The subsidy rate of batch k in parts per million (for display). */
export function subsidyPpm(k: number): number {
  if (k >= BATCHES) return 0;
  const { num, den } = batchRate(k);
  return Number((num * 1_000_000n) / (num + den));
}

export function batchOf(issued: bigint): number {
  return Number(issued / BATCH);
}

/**
 * Proportional issuance for a fee `fee` when `issued` has been minted so far: the amount minted,
 * split exactly where it crosses batch boundaries, never past the 600 M.
 */
export function proportionalMint(issued: bigint, fee: bigint): bigint {
  let minted = 0n;
  let left = fee;
  let at = issued;
  while (left > 0n && at < CORE_INCENTIVE) {
    const k = batchOf(at);
    const { num, den } = batchRate(k);
    const room = BigInt(k + 1) * BATCH - at;
    const full = (left * num) / den;
    if (full < room) {
      minted += full;
      break;
    }
    // The part of the fee that fills this batch exactly (rounded up), the rest at the next rate.
    const filling = (room * den + num - 1n) / num;
    minted += room;
    at += room;
    left -= filling;
  }
  return minted;
}

/** Blocks in a year of the schedule: 365 days of `blocksPerDay`. */
export function blocksPerYear(blocksPerDay: number): number {
  return 365 * blocksPerDay;
}

/**
 * The minimum independent issuance of a cycle starting at `startHeight`: the year's minimum
 * (50 M · 2^−year) pro rata over the cycle's blocks; the year is that of the cycle's first block.
 */
export function cycleMinimum(startHeight: number, cycleLength: number, blocksPerDay: number): bigint {
  const perYear = blocksPerYear(blocksPerDay);
  const year = Math.floor(startHeight / perYear);
  if (year >= 128) return 0n;
  return (FIRST_YEAR_MINIMUM * BigInt(cycleLength)) / (BigInt(perYear) << BigInt(year));
}

/**
 * What a cycle mints: proportional issuance for its fees, then the shortfall to the cycle's
 * minimum, both capped at the 600 M core incentive.
 */
export function cycleIssuance(
  issued: bigint,
  fees: bigint,
  minimum: bigint,
): { proportional: bigint; shortfall: bigint } {
  const proportional = proportionalMint(issued, fees);
  const room = CORE_INCENTIVE - issued - proportional;
  const shortfall = proportional < minimum ? min(minimum - proportional, room) : 0n;
  return { proportional, shortfall };
}

function min(a: bigint, b: bigint): bigint {
  return a < b ? a : b;
}
