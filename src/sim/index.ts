/**
 * The deterministic network simulator (spec/scale.md): drives the real pure cores over a
 * simulated WAN. Top layer: nothing in the node imports it.
 */
export { ConsensusNet } from "./consensusNet.ts";
export { defaultCosts, measureCosts, type SimCosts } from "./costs.ts";
export { Simulator } from "./engine.ts";
export { Rng } from "./rng.ts";
export { validatorLinks } from "./scenarios/finality.ts";
export { runScenario, scenarioNames } from "./scenarios/index.ts";
export { REGIONS, regionRtt, Wan } from "./wan.ts";
