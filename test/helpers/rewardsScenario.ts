// A small deterministic cycle of the market for the rewards vectors (generator and replay): tasks
// settled in cycle 0, checks drawn and answered (one wrong answer proven, one verifier idle), then
// the chain run to the end of cycle 2, when cycle 0's rewards settle.
import { accountRewards, cycleRewards, rewards, TaskStatus, tasks } from "../../contracts/index.ts";
import { privateKeyToAddress } from "../../src/crypto/index.ts";
import { minimal } from "../../src/params/index.ts";
import { readStoreIn } from "../../src/state/index.ts";
import { equalBytes, fromHex, toHex } from "../../src/types/index.ts";
import { devAddresses } from "./chain.ts";
import { answeredTask, tasksHarness } from "./tasksModule.ts";

export interface ScenarioInput {
  apiKey: string;
  serials: number[];
  /** Serials whose answer has one wrong token (proven by fraud). */
  wrong: number[];
  /** Dev index of a verifier that never posts verdicts. */
  idleVerifier: number;
}

export function runRewardsScenario(input: ScenarioInput) {
  const h = tasksHarness();
  const apiKey = fromHex(input.apiKey);
  const output = h.beaconOutput(5, new Uint8Array(32).fill(0x33));
  const dev = devAddresses[7]!;
  h.call(6, dev, "deposit", { amount: 10n ** 20n });
  h.call(6, dev, "authorizeKey", { key: privateKeyToAddress(apiKey), limit: 10n ** 20n });
  const answered = input.serials.map((serial) =>
    answeredTask({
      apiKey,
      beaconOutput: output,
      round: 1,
      cycle: 0,
      serial: BigInt(serial),
      intermediary: devAddresses[0]!,
      state: h.state,
      wrongToken: input.wrong.includes(serial),
    }),
  );
  for (const t of answered) h.call(8, t.executor, "settle", { receipts: [t.receipt] });
  h.beaconOutput(15, new Uint8Array(32).fill(0x44));
  h.endBlocks(8, 15);
  for (const [i, t] of answered.entries()) {
    const r = tasks.get(h.store(), t.taskId)!;
    if (r.status !== TaskStatus.checking || equalBytes(r.verifier, devAddresses[input.idleVerifier]!))
      continue;
    if (input.wrong.includes(input.serials[i]!))
      h.call(16, r.verifier, "fraud", { taskId: t.taskId, payload: t.payload });
    else h.call(16, r.verifier, "verdict", { taskId: t.taskId });
  }
  h.endBlocks(16, 3 * minimal.cycleLength - 1);
  const store = readStoreIn(h.state, rewards);
  const json = (v: unknown): unknown =>
    typeof v === "bigint" ? v.toString() : v instanceof Uint8Array ? toHex(v) : v;
  const obj = (o: object) => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, json(v)]));
  return {
    tasks: answered.map((t) => {
      const r = tasks.get(h.store(), t.taskId)!;
      return {
        taskId: toHex(t.taskId),
        executor: toHex(r.executor),
        verifier: toHex(r.verifier),
        fee: r.fee.toString(),
        status: r.status,
      };
    }),
    totals: obj(cycleRewards.get(store, 0)!),
    accounts: accountRewards
      .entries(store, new Uint8Array(4))
      .map(([[, a], r]) => ({ address: toHex(a), ...obj(r) })),
  };
}
