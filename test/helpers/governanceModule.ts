// The governance module driven block by block without a network, on the tasks harness (models,
// tasks and rewards from genesis; dev accounts 0–3 as the validator set, weight 100 each unless
// given, for every cycle the tests reach: the voting weights before any race settles). Each call
// runs on a scratch overlay merged only if it succeeds, as the state transition does. Used by the
// unit and adversarial tests and by the proposal-lifecycle vectors (generator and replay).
import { createHash } from "node:crypto";
import { governance, validatorSets, validators } from "../../contracts/index.ts";
import { cycleEnd, TRAINING_FUND_ADDRESS } from "../../src/params/index.ts";
import { readStoreIn, storeIn } from "../../src/state/index.ts";
import type { Address, Log } from "../../src/types/index.ts";
import { devAddresses } from "./chain.ts";
import { CHAIN_ID, moduleCaller, tasksHarness } from "./tasksModule.ts";

export function govHarness(opts: { weights?: bigint[]; section?: unknown; cycles?: number } = {}) {
  const weights = opts.weights ?? [100n, 100n, 100n, 100n];
  const h = tasksHarness(weights);
  const { state, preset } = { state: h.state, preset: h.ctx(0).block.preset };
  const set = weights.map((weight, i) => ({ address: devAddresses[i]!, weight, blsKey: new Uint8Array(48) }));
  for (let c = 8; c < (opts.cycles ?? 16); c++) validatorSets.set(storeIn(state, validators), c, set);
  governance.genesis!({
    chainId: CHAIN_ID,
    preset,
    validators: [],
    section: opts.section,
    allocated: 0n,
    state: { getAccount: (a) => state.getAccount(a), setAccount: (a, v) => state.setAccount(a, v) },
    store: storeIn(state, governance),
  });
  const logs: Log[] = [];
  const { call, refusal } = moduleCaller(h, governance, logs);
  /** Governance's endCycle in the last block of `cycle`. */
  const endCycle = (cycle: number) =>
    governance.endCycle!(h.ctx(cycleEnd(cycle * preset.cycleLength, preset.cycleLength), governance));
  /** Put `amount` into the training fund (as settlements do). */
  const fundTraining = (amount: bigint) => {
    const a = state.getAccount(TRAINING_FUND_ADDRESS);
    state.setAccount(TRAINING_FUND_ADDRESS, { ...a, balance: a.balance + amount });
  };
  const balance = (a: Address) => state.getAccount(a).balance;
  /** A digest of every account and storage entry the state holds: equal digests, nothing changed. */
  const fingerprint = () => {
    const hash = createHash("sha256");
    for (const [k, c] of [...state.changes].sort(([a], [b]) => (a < b ? -1 : 1)))
      hash.update(`${k}:${c.account.nonce}:${c.account.balance};`);
    for (const [k, c] of [...state.storage].sort(([a], [b]) => (a < b ? -1 : 1)))
      hash.update(`${k}=${c.value ? Buffer.from(c.value).toString("hex") : "-"};`);
    return hash.digest("hex");
  };
  const store = () => readStoreIn(state, governance);
  /** The first height of `cycle`. */
  const at = (cycle: number, offset = 0) => cycle * preset.cycleLength + offset;
  return { ...h, preset, call, refusal, endCycle, fundTraining, balance, fingerprint, store, logs, at };
}
