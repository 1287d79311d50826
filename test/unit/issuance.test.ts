// Issuance (spec/rewards.md §Issuance): the paper's 12-phase table (Appendix F) reproduced from the
// rule to the coin, exact splits at batch boundaries, the minimum independent issuance, and a
// simulated run of many years on a compressed schedule that never mints past the 600 M.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  BATCH,
  BATCHES,
  batchRate,
  COIN,
  CORE_INCENTIVE,
  cycleIssuance,
  cycleMinimum,
  proportionalMint,
  subsidyPpm,
  TOTAL_SUPPLY,
} from "../../contracts/rewards/issuance.ts";

// Appendix F: subsidy rate (as printed, 2 decimals), developer fees and total paid per phase (coins).
const PAPER = [
  ["90.00%", 5_555_556, 55_555_556],
  ["72.00%", 19_444_444, 69_444_444],
  ["57.60%", 36_805_556, 86_805_556],
  ["46.08%", 58_506_944, 108_506_944],
  ["36.86%", 85_633_681, 135_633_681],
  ["29.49%", 119_542_101, 169_542_101],
  ["23.59%", 161_927_626, 211_927_626],
  ["18.87%", 214_909_532, 264_909_532],
  ["15.10%", 281_136_915, 331_136_915],
  ["12.08%", 363_921_144, 413_921_144],
  ["9.66%", 467_401_430, 517_401_430],
  ["7.73%", 596_751_788, 646_751_788],
] as const;

const roundCoins = (wei: bigint) => Number((wei + COIN / 2n) / COIN);

describe("issuance", () => {
  it("reproduces Appendix F's 12-phase table from the rule, to the coin", () => {
    let issued = 0n;
    let totalFees = 0n;
    for (let k = 0; k < BATCHES; k++) {
      const [rate, fees, paid] = PAPER[k]!;
      assert.equal(`${(subsidyPpm(k) / 10_000).toFixed(2)}%`, rate, `phase ${k + 1} subsidy`);
      // The fee that completes the batch: BATCH · (1 − s) / s, rounded up to the wei.
      const { num, den } = batchRate(k);
      const fee = (BATCH * den + num - 1n) / num;
      assert.equal(roundCoins(fee), fees, `phase ${k + 1} developer fees`);
      assert.equal(roundCoins(fee + BATCH), paid, `phase ${k + 1} paid to hardware providers`);
      // Applying that fee mints exactly the batch.
      assert.equal(proportionalMint(issued, fee), BATCH);
      issued += BATCH;
      totalFees += fee;
    }
    assert.equal(issued, CORE_INCENTIVE);
    assert.equal(proportionalMint(issued, 10n ** 30n), 0n, "nothing past 600 M");
    console.log(
      `# 12 phases: ${roundCoins(totalFees)} coins of developer fees mint the 600 M core incentive`,
    );
  });

  it("splits a fee exactly at a batch boundary, and order of payment does not matter beyond rounding", () => {
    const { num, den } = batchRate(0);
    const almost = BATCH - 1000n * COIN;
    // 1,000 coins of room at 9:1, then the rest at batch 2's 72 %.
    const fee = 10_000n * COIN;
    const first = (1000n * COIN * den + num - 1n) / num;
    const r1 = batchRate(1);
    const expected = 1000n * COIN + ((fee - first) * r1.num) / r1.den;
    assert.equal(proportionalMint(almost, fee), expected);
    // One payment or a thousand: the same mint to within a wei per payment.
    let issued = almost;
    for (let i = 0; i < 1000; i++) issued += proportionalMint(issued, fee / 1000n);
    assert.ok(expected - (issued - almost) >= 0n && expected - (issued - almost) <= 1000n);
  });

  it("minimum independent issuance: 5 % of supply in year 1, halving yearly, pro rata per cycle", () => {
    const day = 60;
    const yearBlocks = 365 * day;
    const year1 = cycleMinimum(0, day, day) * 365n;
    assert.ok(
      50_000_000n * COIN - year1 >= 0n && 50_000_000n * COIN - year1 < 365n,
      "50 M a year, floored per cycle",
    );
    assert.equal(cycleMinimum(yearBlocks, day, day), cycleMinimum(0, day, day) / 2n);
    assert.equal(cycleMinimum(3 * yearBlocks, day, day), cycleMinimum(0, day, day) / 8n);
    // A cycle without demand still mints the minimum; with demand above it, only the demand.
    assert.deepEqual(cycleIssuance(0n, 0n, 100n), { proportional: 0n, shortfall: 100n });
    assert.deepEqual(cycleIssuance(0n, 100n, 100n), { proportional: 900n, shortfall: 0n });
  });

  it("a simulated 30-year run on a compressed schedule: minted per batch and per year, never past 1 B", () => {
    // One cycle per day, demand growing 60 % a year from 2,000 coins a day.
    const day = 1;
    const yearDays = 365;
    let issued = 0n;
    let perYear: bigint[] = [];
    const batchYear: number[] = [];
    let demand = 2_000n * COIN;
    for (let year = 0; year < 30; year++) {
      let minted = 0n;
      for (let d = 0; d < yearDays; d++) {
        const minimum = cycleMinimum(year * yearDays + d, day, day);
        const { proportional, shortfall } = cycleIssuance(issued, demand, minimum);
        const before = Math.floor(Number(issued / BATCH));
        issued += proportional + shortfall;
        minted += proportional + shortfall;
        const after = Math.floor(Number(issued / BATCH));
        for (let b = before; b < Math.min(after, BATCHES); b++) batchYear[b] = year + 1;
        assert.ok(issued <= CORE_INCENTIVE);
        assert.ok(issued + (TOTAL_SUPPLY - CORE_INCENTIVE) <= TOTAL_SUPPLY, "supply never exceeds 1 B");
      }
      perYear = [...perYear, minted];
      demand = (demand * 16n) / 10n;
    }
    console.log(
      `# minted per year (M coins): ${perYear.map((m) => (Number(m / COIN) / 1e6).toFixed(1)).join(", ")}`,
    );
    console.log(`# batch completed in year: ${batchYear.map((y, b) => `${b + 1}:${y}`).join(" ")}`);
    // Year 1 mints at least the minimum (50 M), and every year at least its own minimum.
    for (let y = 0; y < 30; y++)
      if (perYear.slice(0, y).reduce((a, b) => a + b, 0n) < CORE_INCENTIVE - 50_000_000n * COIN)
        assert.ok(
          perYear[y]! >= (50_000_000n * COIN) / 2n ** BigInt(y) - 365n,
          `year ${y + 1} ≥ its minimum`,
        );
    assert.equal(issued, CORE_INCENTIVE, "the whole core incentive is minted in the end, not a wei more");
  });
});
