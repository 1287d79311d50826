/**
 * Models served from local files (spec/inference.md §Float model): the Hugging Face ONNX export
 * layout loaded with onnxruntime-node, refused unless every file hashes to the registry's value.
 */
export { type HfConfig, HfModel, KvCache, type LoadOptions } from "./hf.ts";
