import { type RaceBackend, referenceBackend } from "../race/index.ts";
import { cudaSlot } from "./cudaSlot.ts";
import { onnxBackend } from "./onnx/backend.ts";

const backends = new Map<string, RaceBackend>([
  [referenceBackend.name, referenceBackend],
  [onnxBackend.name, onnxBackend],
  [cudaSlot.name, cudaSlot],
]);

export function registerBackend(b: RaceBackend): void {
  backends.set(b.name, b);
}

export function backendNames(): string[] {
  return [...backends.keys()];
}

export function getBackend(name: string): RaceBackend {
  const b = backends.get(name);
  if (!b) throw new Error(`unknown race backend "${name}": expected one of ${backendNames().join(", ")}`);
  return b;
}
