/**
 * The `onnx` backend: each layer is an ONNX graph (layerGraph.ts) run by onnxruntime-node on the
 * CPU execution provider with all cores by default. The CUDA provider is used when asked for
 * (RACECOIN_ORT_PROVIDER=cuda) and the user has installed it; it is not tested here.
 * Embedding lookup and the final norm are O(T·d) per nonce and stay in TypeScript.
 */
import { availableParallelism } from "node:os";
import type { InferenceSession } from "onnxruntime-node";
import {
  checkRaceConfig,
  finishOutputs,
  generateLayer,
  inputSeed,
  type LayerWeights,
  type LoadedRace,
  type RaceBackend,
  type RaceConfig,
  rmsNorm,
  tensor,
  tokens,
  weightKey,
} from "../../race/index.ts";
import { layersModel } from "./layerGraph.ts";

/**
 * glibc's dynamic mmap threshold grows to the largest block freed, so the weights onnxruntime
 * frees after prepacking stay in the heap and count in RSS. A process started with
 * MALLOC_MMAP_THRESHOLD_ set (`bin/racecoin.js` and the npm scripts set 131072) mmaps every large
 * block and returns it to the system when freed (spec/race.md §Memory).
 */
function prepackingSafe(): boolean {
  // A threshold above 32 MiB would keep the freed weights (16–35 MB tensors) in the heap again.
  const t = Number(process.env.MALLOC_MMAP_THRESHOLD_);
  return process.platform === "linux" && Number.isInteger(t) && t > 0 && t <= 32 << 20;
}

type Ort = typeof import("onnxruntime-node");
let ortModule: Promise<Ort> | undefined;
function loadOrt(): Promise<Ort> {
  ortModule ??= import("onnxruntime-node");
  return ortModule;
}

const BATCH_NONCES = 256;
/** Weight bytes per session: several layers per session means fewer runs and thread pools. */
const GROUP_BYTES = 160 * 1024 * 1024;

class OnnxRace implements LoadedRace {
  constructor(
    private readonly ort: Ort,
    readonly config: RaceConfig,
    readonly raceSeed: Uint8Array,
    private readonly embed: Int8Array,
    readonly target: Int8Array,
    private readonly sessions: InferenceSession[],
  ) {}

  private async forwardBatch(seeds: Uint8Array[]): Promise<Int8Array> {
    const c = this.config;
    const d = c.dModel;
    const T = c.seqLen;
    const h0 = new Int32Array(seeds.length * T * d);
    seeds.forEach((seed, b) => {
      const toks = tokens(seed, T, c.vocab);
      for (let p = 0; p < T; p++) {
        const row = this.embed.subarray(toks[p]! * d, toks[p]! * d + d);
        h0.set(row, (b * T + p) * d);
      }
    });
    let h = new this.ort.Tensor("int32", h0, [seeds.length * T, d]);
    for (const session of this.sessions) {
      const out = await session.run({ h });
      h = out.h_out as typeof h;
    }
    const data = h.data as Int32Array;
    const raw = new Int8Array(seeds.length * d);
    const y = new Int32Array(d);
    for (let b = 0; b < seeds.length; b++) {
      rmsNorm(data.subarray((b * T + T - 1) * d, (b * T + T) * d), y);
      raw.set(y, b * d);
    }
    return raw;
  }

  async evaluate(node: Uint8Array, nonces: readonly bigint[], opts: { outputs?: boolean } = {}) {
    const seeds = nonces.map((n) => inputSeed(node, this.raceSeed, n));
    const raw = new Int8Array(nonces.length * this.config.dModel);
    for (let i = 0; i < seeds.length; i += BATCH_NONCES) {
      raw.set(await this.forwardBatch(seeds.slice(i, i + BATCH_NONCES)), i * this.config.dModel);
    }
    return finishOutputs(raw, seeds, this.target, opts.outputs ?? false);
  }

  async close() {
    await Promise.all(this.sessions.map((s) => s.release()));
  }
}

export const onnxBackend: RaceBackend = {
  name: "onnx",
  async available() {
    try {
      await loadOrt();
      return { ok: true };
    } catch (e) {
      return { ok: false, reason: `onnxruntime-node cannot load: ${(e as Error).message}` };
    }
  },
  async load(raceSeed, config, opts) {
    checkRaceConfig(config);
    const ort = await loadOrt();
    const key = weightKey(raceSeed);
    const provider = process.env.RACECOIN_ORT_PROVIDER === "cuda" ? "cuda" : "cpu";
    const sessionOpts: InferenceSession.SessionOptions = {
      executionProviders: [provider],
      intraOpNumThreads: opts?.threads ?? availableParallelism(),
      interOpNumThreads: 1,
      graphOptimizationLevel: "all",
      // 64 sessions each own a thread pool; spinning pools of idle layers would steal the cores
      // from the layer that is running (measured: 3× slower end to end with spinning on).
      // Prepacking reorders each int8 weight once instead of at every run (+42 % nonces/s on an
      // AMX host) and frees the original, but glibc keeps freed weights in the heap unless large
      // allocations are mmapped: prepack only where the launcher pinned the mmap threshold
      // (spec/race.md §Memory), else the backend would peak at 1.6 × the weight bytes.
      extra: {
        session: {
          intra_op: { allow_spinning: "0" },
          inter_op: { allow_spinning: "0" },
          disable_prepacking: prepackingSafe() ? "0" : "1",
        },
      },
    };
    const sessions: InferenceSession[] = [];
    // Layers are generated into reused scratch arrays and the model bytes into one reused buffer,
    // so the only lasting copy of the weights is the one each session keeps.
    const layerBytes = 4 * config.dModel * config.dModel + 2 * config.dModel * config.ffn;
    const group = Math.max(1, Math.min(config.layers, Math.floor(GROUP_BYTES / layerBytes)));
    const scratch: LayerWeights[] = Array.from({ length: group }, () => ({
      wq: new Int8Array(config.dModel * config.dModel),
      wk: new Int8Array(config.dModel * config.dModel),
      wv: new Int8Array(config.dModel * config.dModel),
      wo: new Int8Array(config.dModel * config.dModel),
      w1: new Int8Array(config.dModel * config.ffn),
      w2: new Int8Array(config.ffn * config.dModel),
    }));
    let modelBuffer: Uint8Array | undefined;
    for (let first = 0; first < config.layers; first += group) {
      const count = Math.min(group, config.layers - first);
      const layers = Array.from({ length: count }, (_, i) =>
        generateLayer(key, config, first + i, scratch[i]),
      );
      const bytes = layersModel(config, layers, modelBuffer);
      modelBuffer ??= bytes; // the first group's bytes become the buffer the others reuse
      sessions.push(await ort.InferenceSession.create(bytes, sessionOpts));
      for (let i = 0; i < count; i++) opts?.onProgress?.(first + i);
    }
    return new OnnxRace(
      ort,
      config,
      raceSeed,
      tensor(key, "embed", config.vocab * config.dModel),
      tensor(key, "target", config.dModel),
      sessions,
    );
  },
};
