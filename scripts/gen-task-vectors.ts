// Generates spec/vectors/tasks/receipts.json (spec/tasks.md): payload hashes and the exact
// model's verdict on them, receipt digests, signatures and signers, and a settlement sequence on
// the tasks module with each call's outcome (accepted, or the reason it is refused), the escrow and
// the key's spend after it. `--check` reports a stale file instead of writing.
import { apiKeys, escrows } from "../contracts/index.ts";
import { privateKeyToAddress } from "../src/crypto/index.ts";
import {
  ExactModel,
  payloadFault,
  payloadHash,
  type Receipt,
  receiptDigest,
  signReceipt,
  type TaskPayload,
} from "../src/inference/index.ts";
import { minimal } from "../src/params/index.ts";
import { fromHex, toHex } from "../src/types/index.ts";
import { devAddresses } from "../test/helpers/chain.ts";
import { answeredTask, CHAIN_ID, tasksHarness } from "../test/helpers/tasksModule.ts";
import { vectorFiles } from "./vectorFiles.ts";

const API_KEY = fromHex("0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318");
const DEVELOPER = devAddresses[7]!;
const BEACON = new Uint8Array(32).fill(0x5a);

function payloadJson(p: TaskPayload) {
  return {
    prompt: toHex(p.prompt),
    maxTokens: p.maxTokens,
    temperatureMilli: p.temperatureMilli,
    topPMilli: p.topPMilli,
    seed: p.seed.toString(),
    tokens: toHex(p.tokens),
    finish: p.finish,
    positions: p.positions,
  };
}

function receiptJson(r: Receipt) {
  return {
    taskId: toHex(r.taskId),
    model: r.model,
    promptTokens: r.promptTokens,
    completionTokens: r.completionTokens,
    cycle: r.cycle,
    round: r.round,
    attempt: r.attempt,
    executor: toHex(r.executor),
    intermediary: toHex(r.intermediary),
    payloadHash: toHex(r.payloadHash),
    signature: toHex(r.signature),
  };
}

function build() {
  const model = new ExactModel();
  const h = tasksHarness();
  const L = minimal.cycleLength;
  h.beaconOutput(5, BEACON);
  const task = (serial: bigint, extra: Partial<Parameters<typeof answeredTask>[0]> = {}) =>
    answeredTask({
      apiKey: API_KEY,
      beaconOutput: BEACON,
      round: 1,
      cycle: 0,
      serial,
      intermediary: devAddresses[0]!,
      state: h.state,
      ...extra,
    });
  const tasks = [task(1n), task(2n), task(3n), task(4n, { wrongToken: true })];
  const payloads = tasks.map((t, i) => ({
    name: i === 3 ? "one wrong token" : `honest answer ${i + 1}`,
    payload: payloadJson(t.payload),
    hash: toHex(payloadHash(t.payload)),
    fault: payloadFault(model, t.payload),
  }));
  const receipts = tasks.map((t, i) => ({
    name: `receipt ${i + 1}`,
    receipt: receiptJson(t.receipt),
    digest: toHex(receiptDigest(CHAIN_ID, t.receipt)),
    signer: toHex(privateKeyToAddress(API_KEY)),
  }));
  const steps: Record<string, unknown>[] = [];
  const step = (
    name: string,
    height: number,
    sender: Uint8Array,
    method: string,
    args: unknown,
    json: unknown,
  ) => {
    const refused = h.refusal(height, sender, method, args);
    steps.push({
      name,
      height,
      sender: toHex(sender),
      method,
      args: json,
      refused,
      escrow: (escrows.get(h.store(), DEVELOPER) ?? 0n).toString(),
      spent: (apiKeys.get(h.store(), privateKeyToAddress(API_KEY))?.spent ?? 0n).toString(),
    });
  };
  const key = privateKeyToAddress(API_KEY);
  step("deposit", 6, DEVELOPER, "deposit", { amount: 10n ** 15n }, { amount: "1000000000000000" });
  step(
    "authorize the key",
    6,
    DEVELOPER,
    "authorizeKey",
    { key, limit: 90_000_000_000n },
    {
      key: toHex(key),
      limit: "90000000000",
    },
  );
  const settle = (name: string, height: number, sender: Uint8Array, rs: Receipt[]) =>
    step(name, height, sender, "settle", { receipts: rs }, { receipts: rs.map(receiptJson) });
  const [a, b, c, d] = tasks;
  settle(
    "settle by another account",
    8,
    devAddresses.find((x) => toHex(x) !== toHex(a!.executor) && x !== devAddresses[0])!,
    [a!.receipt],
  );
  settle("settle", 8, a!.executor, [a!.receipt]);
  settle("replay", 9, a!.executor, [a!.receipt]);
  settle("forged signature", 9, b!.executor, [{ ...b!.receipt, signature: a!.receipt.signature }]);
  // Signed by the key, but naming an executor the draw did not pick.
  const other = devAddresses.slice(1, 4).find((x) => toHex(x) !== toHex(b!.executor))!;
  const misrouted = signReceipt(API_KEY, CHAIN_ID, { ...b!.receipt, executor: other });
  settle("misrouted", 9, other, [misrouted]);
  settle("settle second", 9, b!.executor, [b!.receipt]);
  // A key's limit only rises; a revocation refuses receipts of the cycles after it.
  step("lower the limit", 10, DEVELOPER, "authorizeKey", { key, limit: 1n }, { key: toHex(key), limit: "1" });
  step("revoke", 10, DEVELOPER, "revokeKey", { key }, { key: toHex(key) });
  settle("settle after the revocation, same cycle", 10, c!.executor, [c!.receipt]);
  settle("over the spend limit", 11, d!.executor, [d!.receipt]);
  const e = task(5n, { cycle: 1 });
  settle("revoked key, a later cycle", L + 2, e.executor, [e.receipt]);
  step(
    "reinstate",
    L + 2,
    DEVELOPER,
    "authorizeKey",
    { key, limit: 10n ** 15n },
    { key: toHex(key), limit: "1000000000000000" },
  );
  settle("expired: two cycles later", 130, d!.executor, [d!.receipt]);
  return {
    kind: "task-receipts",
    description:
      "Payload hashes and exact verdicts, receipt digests and signers, and a settlement sequence on the tasks module (spec/tasks.md): each step's outcome ('' = accepted, else the reason), the developer's escrow and the key's spend after it. Validators 0-3 of the dev mnemonic with weight 100, intermediary dev 0, beacon round 1 at height 5 with output 0x5a…5a, genesis price 1 gwei per unit.",
    chainId: CHAIN_ID.toString(),
    apiKey: toHex(API_KEY),
    beaconOutput: toHex(BEACON),
    payloads,
    receipts,
    steps,
  };
}

const files = vectorFiles();
files.write("spec/vectors/tasks/receipts.json", build());
files.done();
