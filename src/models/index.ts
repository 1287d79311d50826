/**
 * Models served from local files (spec/inference.md §Float model): the Hugging Face ONNX export
 * layout loaded with onnxruntime-node, refused unless every file hashes to the registry's value.
 */
export {
  DEFAULT_MODELS_DIR,
  floatSteps,
  type HfConfig,
  HfModel,
  KvCache,
  type LoadOptions,
  loadRegisteredModels,
  toleranceVerdict,
} from "./hf.ts";
