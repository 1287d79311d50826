// Generates spec/vectors/tasks/honeypots.json (spec/tasks.md §Honeypots): for fixed beacon outputs
// and drawn task ids, whether a check brings a honeypot at a few rates, the honeypot's id, its
// payload (wrong by construction), payload hash and the exact model's verdict on it.
// `--check` reports a stale file instead of writing.
import { honeypotDrawn, honeypotId, honeypotPayload } from "../contracts/index.ts";
import { ExactModel, payloadFault, payloadHash } from "../src/inference/index.ts";
import { toHex } from "../src/types/index.ts";
import { vectorFiles } from "./vectorFiles.ts";

const model = new ExactModel();
const cases = Array.from({ length: 8 }, (_, i) => {
  const output = new Uint8Array(32).fill(0x10 + i);
  const taskId = new Uint8Array(32).fill(0xa0 + i);
  const id = honeypotId(output, taskId);
  const p = honeypotPayload(model, id);
  return {
    output: toHex(output),
    taskId: toHex(taskId),
    drawn: Object.fromEntries([50, 500, 1000].map((rate) => [rate, honeypotDrawn(output, taskId, rate)])),
    id: toHex(id),
    payload: {
      prompt: toHex(p.prompt),
      maxTokens: p.maxTokens,
      tokens: toHex(p.tokens),
      finish: p.finish,
    },
    payloadHash: toHex(payloadHash(p)),
    fault: payloadFault(model, p),
  };
});

const files = vectorFiles();
files.write("spec/vectors/tasks/honeypots.json", {
  kind: "task-honeypots",
  description:
    "Protocol honeypots (spec/tasks.md §Honeypots): for a beacon output and the id of the task whose check was drawn, whether a honeypot comes with it at 50, 500 and 1000 per mille, its id, its payload (greedy, temperatureMilli 0, topPMilli 1000, seed 0, no positions) and hash, and the exact model's fault on it.",
  model: model.spec.id,
  cases,
});
files.done();
