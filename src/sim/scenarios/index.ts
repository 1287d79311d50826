/** Named scenarios for `npm run sim -- --scenario NAME`; each returns one JSON summary. */

import { defaultDkgOptions, runDkg } from "./dkg.ts";
import { defaultFinalityOptions, runFinality } from "./finality.ts";
import { defaultRaceCycleOptions, runRaceCycle } from "./raceCycle.ts";

export type ScenarioArgs = Record<string, string>;

function num(a: ScenarioArgs, k: string, d: number): number {
  return a[k] !== undefined ? Number(a[k]) : d;
}

const scenarios: Record<string, (a: ScenarioArgs) => Record<string, unknown>> = {
  finality: (a) =>
    runFinality({
      ...defaultFinalityOptions,
      seed: a.seed ?? defaultFinalityOptions.seed,
      validators: num(a, "validators", defaultFinalityOptions.validators),
      heights: num(a, "heights", defaultFinalityOptions.heights),
      fault: (a.fault as "none" | "crash" | "slow") ?? "none",
      txs: num(a, "txs", defaultFinalityOptions.txs),
      loss: num(a, "loss", defaultFinalityOptions.loss),
      followers: num(a, "followers", 0),
      preset: a.preset === "minimal" ? "minimal" : "mainnet",
      blockTimeMs: a["block-time-ms"] !== undefined ? Number(a["block-time-ms"]) : undefined,
      jitter: num(a, "jitter", defaultFinalityOptions.jitter),
      blockApplyMs: a["block-apply-ms"] !== undefined ? Number(a["block-apply-ms"]) : undefined,
      latencyScale: num(a, "latency-scale", 1),
      floodPublish: a["flood-publish"] !== "false",
      heightOverheadMs: a["height-overhead-ms"] !== undefined ? Number(a["height-overhead-ms"]) : undefined,
    }),
  partition: (a) =>
    runFinality({
      ...defaultFinalityOptions,
      seed: a.seed ?? defaultFinalityOptions.seed,
      validators: num(a, "validators", 16),
      heights: num(a, "heights", 0),
      txs: num(a, "txs", defaultFinalityOptions.txs),
      partition: { atMs: num(a, "at", 30) * 1000, forMs: num(a, "for", 300) * 1000 },
    }),
  "race-cycle": (a) =>
    runRaceCycle({
      ...defaultRaceCycleOptions,
      seed: a.seed ?? defaultRaceCycleOptions.seed,
      miners: num(a, "miners", defaultRaceCycleOptions.miners),
      validators: num(a, "validators", defaultRaceCycleOptions.validators),
      vrfSample: num(a, "vrf-sample", defaultRaceCycleOptions.vrfSample),
      medianNoncesPerSec: num(a, "nonces-per-sec", defaultRaceCycleOptions.medianNoncesPerSec),
      measure: a.measure === "true",
    }),
  dkg: (a) =>
    runDkg({
      ...defaultDkgOptions,
      seed: a.seed ?? defaultDkgOptions.seed,
      members: num(a, "members", defaultDkgOptions.members),
      silent: num(a, "silent", 0),
      malicious: num(a, "malicious", 0),
      measure: a.measure === "true",
    }),
};

export const scenarioNames = Object.keys(scenarios);

export function runScenario(name: string, args: ScenarioArgs): Record<string, unknown> {
  const run = scenarios[name];
  if (!run) throw new Error(`unknown scenario "${name}": expected one of ${scenarioNames.join(", ")}`);
  return run(args);
}
