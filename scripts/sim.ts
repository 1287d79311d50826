// npm run sim -- --scenario NAME [--seed S] [--key value ...]: one JSON summary on stdout.
// --calibrate measures the crypto costs the simulator charges (wall clock; not part of any run).
import { measureCosts, runScenario, scenarioNames } from "../src/sim/index.ts";

const args: Record<string, string> = {};
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i++) {
  const a = argv[i]!;
  if (!a.startsWith("--")) throw new Error(`unexpected argument ${a}`);
  const next = argv[i + 1];
  if (next === undefined || next.startsWith("--")) args[a.slice(2)] = "true";
  else {
    args[a.slice(2)] = next;
    i++;
  }
}
if (args.calibrate) {
  console.log(JSON.stringify(measureCosts()));
} else if (!args.scenario) {
  console.error(`usage: npm run sim -- --scenario ${scenarioNames.join("|")} [--seed S] [--key value]`);
  process.exit(2);
} else {
  const started = performance.now();
  const summary = runScenario(args.scenario, args);
  console.log(JSON.stringify(summary, null, 1));
  if (args.time) console.error(`wall ${((performance.now() - started) / 1000).toFixed(1)} s`);
}
