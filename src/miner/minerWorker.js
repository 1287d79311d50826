// Miner worker thread: loads the race model once, then evaluates nonce ranges on request.
// Plain JavaScript because Node 20 does not pass the TypeScript loader to worker threads: it
// registers tsx itself, then loads the race code.
import { setPriority } from "node:os";
import { parentPort, workerData } from "node:worker_threads";
import { register } from "tsx/esm/api";

// Lower this thread's priority first, before compiling anything (Linux: the nice value is per
// thread, and threads it creates, such as onnxruntime's pool, inherit it), so that consensus and
// RPC win every contended core.
if (workerData.nice) {
  try {
    setPriority(0, workerData.nice);
  } catch {}
}
register();
const { getBackend } = await import("./registry.ts");
const { calibrate } = await import("../race/index.ts");

const { backend, raceSeed, config, nodeSeed } = workerData;
const race = await getBackend(backend).load(new Uint8Array(raceSeed), config, {
  onProgress: (layer) =>
    parentPort.postMessage({ type: "progress", phase: "loading", done: layer + 1, total: config.layers }),
});
let threshold = 0n;

parentPort.on("message", async (msg) => {
  try {
    if (msg.type === "calibrate") {
      const cal = await calibrate(race, (done, total) =>
        parentPort.postMessage({ type: "progress", phase: "calibrating", done, total }),
      );
      parentPort.postMessage({ type: "calibrated", mean: cal.mean, std: cal.std, threshold: cal.threshold });
    } else if (msg.type === "threshold") {
      threshold = msg.threshold;
    } else if (msg.type === "range") {
      const nonces = Array.from({ length: msg.count }, (_, i) => msg.start + BigInt(i));
      const { distances } = await race.evaluate(new Uint8Array(nodeSeed), nonces);
      const found = [];
      distances.forEach((d, i) => {
        if (BigInt(d) < threshold) found.push([nonces[i], d]);
      });
      parentPort.postMessage({ type: "done", count: msg.count, found });
    } else if (msg.type === "close") {
      await race.close();
      parentPort.close();
    }
  } catch (e) {
    parentPort.postMessage({ type: "error", message: e instanceof Error ? e.message : String(e) });
  }
});
parentPort.postMessage({ type: "ready" });
