/**
 * Race backends behind one interface, selectable by name (spec/race.md §Backends).
 * `reference` (TypeScript) and `onnx` (onnxruntime-node) run on CPU; `cuda` is the slot for the
 * native GPU addon.
 */
import type { RaceConfig } from "./config.ts";
import type { EvalResult } from "./outcome.ts";

export interface LoadOptions {
  /** Called after each layer's weights are generated. */
  onProgress?: (layer: number) => void;
  threads?: number;
}

export interface LoadedRace {
  readonly config: RaceConfig;
  readonly raceSeed: Uint8Array;
  readonly target: Int8Array;
  /** Evaluate nonces for one node seed; distances always, permuted outputs on request. */
  evaluate(
    nodeSeed: Uint8Array,
    nonces: readonly bigint[],
    opts?: { outputs?: boolean },
  ): Promise<EvalResult>;
  close(): Promise<void>;
}

export interface RaceBackend {
  readonly name: string;
  /** Whether this backend can run here, and if not, why. */
  available(): Promise<{ ok: true } | { ok: false; reason: string }>;
  load(raceSeed: Uint8Array, config: RaceConfig, opts?: LoadOptions): Promise<LoadedRace>;
}
