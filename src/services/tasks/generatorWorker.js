// Executor generation thread (exact class): runs the built-in model off the node's main thread,
// so consensus and libp2p stay responsive and the model's hot loops see only their own calls.
// Tasks are interleaved token by token; a marked dummy task waits while any real one runs.
// Plain JavaScript because Node 20 does not pass the TypeScript loader to worker threads.
import { parentPort } from "node:worker_threads";
import { register } from "tsx/esm/api";

register();
const { ExactModel, steps } = await import("../../inference/index.ts");
const model = new ExactModel();
/** id → { it, dummy } */
const active = new Map();
let scheduled = false;

function tick() {
  scheduled = false;
  const realRunning = [...active.values()].some((t) => !t.dummy);
  for (const [id, t] of active) {
    if (t.dummy && realRunning) continue;
    try {
      const s = t.it.next();
      if (s.done) {
        active.delete(id);
        parentPort.postMessage({ id, finish: s.value });
      } else parentPort.postMessage({ id, token: s.value.token, prob: s.value.prob });
    } catch (e) {
      active.delete(id);
      parentPort.postMessage({ id, error: e instanceof Error ? e.message : String(e) });
    }
  }
  if (active.size > 0 && !scheduled) {
    scheduled = true;
    setImmediate(tick);
  }
}

parentPort.on("message", (m) => {
  active.set(m.id, { it: steps(model, m.prompt, m.maxTokens, m.sampling), dummy: m.dummy });
  if (!scheduled) {
    scheduled = true;
    setImmediate(tick);
  }
});
parentPort.postMessage({ ready: true });
