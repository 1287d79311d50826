/**
 * Race verdicts for the state transition (spec/race-cycle.md §Nonce fraud): a nonce fraud proof is
 * checked on chain with one forward pass against the race's threshold. Both are pure functions of
 * the race seed and the model configuration, so they are memoised here: the reference model of the
 * latest seeds and the threshold of each seed.
 *
 * The transition calls the synchronous functions; a threshold nobody computed yet is computed on
 * the spot with the reference backend (minimal: ≈ 1.7 s; mainnet: hours, so nodes must warm it).
 * Nodes compute the threshold in a low-priority worker as soon as a race seed is on chain and hand
 * it over (`rememberThreshold`), so a block carrying a fraud proof does not wait.
 * Any backend gives the same integers (tests hold them bit-identical), so who warmed the value
 * changes nothing.
 */
import type { Address } from "../types/index.ts";
import { toHex } from "../types/index.ts";
import { thresholdFrom } from "./calibrate.ts";
import type { RaceConfig } from "./config.ts";
import { ReferenceRace } from "./reference.ts";
import { CALIBRATION_NODE_SEED, nodeSeed } from "./seeds.ts";
import { generateWeights } from "./weights.ts";

const MODELS_KEPT = 1;
const THRESHOLDS_KEPT = 16;

const models = new Map<string, ReferenceRace>();
const thresholds = new Map<string, bigint>();

function keyOf(seed: Uint8Array, config: RaceConfig): string {
  return `${toHex(seed)}:${JSON.stringify(config)}`;
}

function remember<V>(map: Map<string, V>, key: string, value: V, kept: number): V {
  map.delete(key);
  map.set(key, value);
  while (map.size > kept) map.delete(map.keys().next().value!);
  return value;
}

function referenceModel(seed: Uint8Array, config: RaceConfig): ReferenceRace {
  const key = keyOf(seed, config);
  const cached = models.get(key);
  if (cached) return cached;
  return remember(models, key, new ReferenceRace(seed, generateWeights(seed, config)), MODELS_KEPT);
}

/** The race's threshold (spec/race.md §Difficulty), computed now with the reference if not known. */
export function raceThreshold(seed: Uint8Array, config: RaceConfig): bigint {
  const key = keyOf(seed, config);
  const known = thresholds.get(key);
  if (known !== undefined) return known;
  const nonces = Array.from({ length: config.calibrationNonces }, (_, i) => BigInt(i));
  const { distances } = referenceModel(seed, config).evaluateSync(CALIBRATION_NODE_SEED, nonces);
  return remember(thresholds, key, thresholdFrom(distances, config.zMilli).threshold, THRESHOLDS_KEPT);
}

/** Distance of one miner's nonce in this race, with the reference model (one forward pass). */
export function nonceDistance(seed: Uint8Array, config: RaceConfig, miner: Address, nonce: bigint): number {
  return referenceModel(seed, config).evaluateSync(nodeSeed(miner), [nonce]).distances[0]!;
}

export function thresholdKnown(seed: Uint8Array, config: RaceConfig): boolean {
  return thresholds.has(keyOf(seed, config));
}

/** Remember a threshold computed elsewhere (a miner's calibration, with any exact backend). */
export function rememberThreshold(seed: Uint8Array, config: RaceConfig, threshold: bigint): void {
  remember(thresholds, keyOf(seed, config), threshold, THRESHOLDS_KEPT);
}
