/**
 * Race verdicts for the state transition (spec/race-cycle.md §Nonce fraud): a nonce fraud proof is
 * checked on chain with one forward pass against the race's threshold. Both are pure functions of
 * the race seed and the model configuration, so they are memoised here: the reference model of the
 * latest seeds and the threshold of each seed.
 *
 * The transition calls the synchronous functions; a threshold nobody computed yet is computed on
 * the spot with the reference backend (minimal: ≈ 1.7 s; mainnet: hours, so nodes must warm it).
 * Nodes warm the threshold in the background as soon as a race seed is on chain (`warmThreshold`,
 * with a fast backend, yielding between chunks), so a block carrying a fraud proof rarely waits.
 * Any backend gives the same integers (tests hold them bit-identical), so who warmed the value
 * changes nothing.
 */
import type { Address } from "../types/index.ts";
import { toHex } from "../types/index.ts";
import type { RaceBackend } from "./backend.ts";
import { calibrate, thresholdFrom } from "./calibrate.ts";
import type { RaceConfig } from "./config.ts";
import { ReferenceRace } from "./reference.ts";
import { CALIBRATION_NODE_SEED, nodeSeed } from "./seeds.ts";
import { generateWeights } from "./weights.ts";

const MODELS_KEPT = 1;
const THRESHOLDS_KEPT = 16;

const models = new Map<string, ReferenceRace>();
const thresholds = new Map<string, bigint>();
const warming = new Map<string, Promise<bigint>>();

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

/**
 * Compute and remember a race's threshold without blocking: with `backend` when given (its
 * evaluate runs off the main thread), otherwise with the reference in chunks that yield between.
 */
export function warmThreshold(seed: Uint8Array, config: RaceConfig, backend?: RaceBackend): Promise<bigint> {
  const key = keyOf(seed, config);
  const known = thresholds.get(key);
  if (known !== undefined) return Promise.resolve(known);
  let pending = warming.get(key);
  if (!pending) {
    pending = (async () => {
      if (!backend) {
        // Reference: 32 forward passes at a time (minimal: ≈ 13 ms), yielding in between.
        const race = referenceModel(seed, config);
        const distances = new Float64Array(config.calibrationNonces);
        for (let start = 0; start < distances.length; start += 32) {
          const nonces = Array.from({ length: Math.min(32, distances.length - start) }, (_, i) =>
            BigInt(start + i),
          );
          distances.set(race.evaluateSync(CALIBRATION_NODE_SEED, nonces).distances, start);
          await new Promise<void>((r) => setImmediate(r));
        }
        return remember(thresholds, key, thresholdFrom(distances, config.zMilli).threshold, THRESHOLDS_KEPT);
      }
      const race = await backend.load(seed, config);
      try {
        return remember(thresholds, key, (await calibrate(race)).threshold, THRESHOLDS_KEPT);
      } finally {
        await race.close();
      }
    })().finally(() => warming.delete(key));
    warming.set(key, pending);
  }
  return pending;
}
