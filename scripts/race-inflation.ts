// The escape probability of an inflated race commitment (spec/race.md §Proofs): three adversaries
// (periodic, block-repeated, interleaved real and fake leaves) at inflation ×1.1, ×2 and ×1000 on
// both presets' sample counts — the exact probability over each adversary's own tree, a Monte Carlo
// count through the chain's reveal check, and the bound (1/k)^S. Prints a markdown table and one
// JSON line. The same figures are asserted in test/adversarial/race-inflation.test.ts.
// Usage: node --import tsx scripts/race-inflation.ts [--trials 2000]
import { parseArgs } from "node:util";
import { mainnet, minimal } from "../src/params/index.ts";
import { ADVERSARIES, type EscapeFigure, escapeFigure } from "../test/adversarial/actors.ts";

const { values } = parseArgs({ options: { trials: { type: "string", default: "2000" } } });
const trials = Number(values.trials);
const rows: (EscapeFigure & { preset: string })[] = [];
for (const preset of [minimal, mainnet])
  for (const adversary of ADVERSARIES)
    for (const k of [1.1, 2, 1000]) {
      const P = k >= 100 ? 8 : 100;
      rows.push({
        preset: preset.name,
        ...escapeFigure(adversary, preset.race.samples, k, P, k >= 100 ? Math.min(trials, 200) : trials),
      });
    }
const fmt = (x: number) => (x === 0 ? "0" : x >= 1e-3 ? x.toFixed(4) : x.toExponential(2));
process.stdout.write(
  "| preset (S) | adversary | inflation | count / real proofs | revealable proofs | exact | Monte Carlo | bound (1/k)^S |\n",
);
process.stdout.write("| --- | --- | --- | --- | --- | --- | --- | --- |\n");
for (const r of rows)
  process.stdout.write(
    `| ${r.preset} (${r.samples}) | ${r.adversary} | ×${r.inflation} | ${r.count} / ${r.realProofs} | ${r.goodProofLeaves} | ${fmt(r.exact)} | ${r.escapes}/${r.trials} | ${fmt(r.bound)} |\n`,
  );
process.stdout.write(`${JSON.stringify({ sim: "race-inflation", rows })}\n`);
