/**
 * Mining: backends that evaluate the race fast (onnxruntime, the CUDA slot), their registry, and
 * the worker-thread miner. The pure race core (model, proofs, verification) is src/race.
 */
export { type MineOptions, type MineProgress, type MineResult, mine } from "./miner.ts";
export { gemmModel } from "./onnx/layerGraph.ts";
export { DType, modelProto, type Node, type TensorInit } from "./onnx/proto.ts";
export { backendNames, getBackend, registerBackend } from "./registry.ts";
