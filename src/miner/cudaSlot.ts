/**
 * The slot for the native CUDA backend (issue "GPU race backend"): registered by name so
 * `--backend cuda` gives a clear answer instead of "unknown backend", and replaced by the N-API
 * addon when it is built.
 */
import type { RaceBackend } from "../race/index.ts";

export const cudaSlot: RaceBackend = {
  name: "cuda",
  async available() {
    return {
      ok: false,
      reason:
        "the native CUDA addon is not built in this version (GPU race backend work); use --backend onnx on CPU",
    };
  },
  async load() {
    throw new Error("race backend cuda is unavailable: the native CUDA addon is not built in this version");
  },
};
