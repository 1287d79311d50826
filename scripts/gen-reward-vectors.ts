// Generates spec/vectors/rewards/issuance.json (spec/rewards.md): proportional mints across batch
// boundaries, per-cycle minimums, the 12 batches' rates and completing fees, and the settlement of
// one small cycle (totals and per-account releases). `--check` reports a stale file instead.
import {
  BATCH,
  BATCHES,
  batchRate,
  COIN,
  CORE_INCENTIVE,
  cycleMinimum,
  proportionalMint,
} from "../contracts/rewards/issuance.ts";
import { runRewardsScenario, type ScenarioInput } from "../test/helpers/rewardsScenario.ts";
import { vectorFiles } from "./vectorFiles.ts";

const mints = [
  [0n, 1n],
  [0n, 1000n * COIN],
  [BATCH - 1000n * COIN, 10_000n * COIN],
  [3n * BATCH - 1n, 10n ** 30n],
  [11n * BATCH + 12_345n, 7n * 10n ** 24n],
  [CORE_INCENTIVE - 1n, 10n ** 30n],
  [CORE_INCENTIVE, 1000n * COIN],
].map(([issued, fee]) => ({
  issued: issued!.toString(),
  fee: fee!.toString(),
  minted: proportionalMint(issued!, fee!).toString(),
}));
const minimums = [
  [0, 60, 60],
  [365 * 60, 60, 60],
  [3 * 365 * 60 + 59, 60, 60],
  [0, 1440, 17_280],
  [365 * 17_280 * 5, 1440, 17_280],
].map(([startHeight, cycleLength, blocksPerDay]) => ({
  startHeight,
  cycleLength,
  blocksPerDay,
  minimum: cycleMinimum(startHeight!, cycleLength!, blocksPerDay!).toString(),
}));
const batches = Array.from({ length: BATCHES }, (_, k) => {
  const { num, den } = batchRate(k);
  return {
    batch: k + 1,
    num: num.toString(),
    den: den.toString(),
    feeToComplete: ((BATCH * den + num - 1n) / num).toString(),
  };
});
const input: ScenarioInput = {
  apiKey: "0x8f2a55949038a9610f50fb23b5883af3b4ecb3c3bb792cbcefbd1542c692be63",
  serials: [1, 2, 3, 4, 5, 6, 7, 8],
  wrong: [3],
  idleVerifier: 3,
};
const files = vectorFiles();
files.write("spec/vectors/rewards/issuance.json", {
  kind: "rewards",
  description:
    "Proportional mints (issued so far, fee → minted), per-cycle minimum issuance, the 12 batches' mint ratios num/den and the fee completing each, and one small cycle settled two cycles later: tasks (executor, verifier, fee, final status), totals and per-account execution, verification, issuance (by race weight), released, forfeited, steered fees, fee standing (kept, owed) and reasons. The cycle runs on the tasks harness (dev validators 0-3 at weight 100, intermediary dev 0, the listed API key, serials and wrong answers, one idle verifier).",
  mints,
  minimums,
  batches,
  cycle: { input, ...runRewardsScenario(input) },
});
files.done();
