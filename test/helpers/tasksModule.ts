// The tasks module driven block by block without a network: the models registry and price from
// genesis, a validator set of dev accounts (the routing weights before any race settles), beacon
// rounds, funded developer accounts. Each call runs on a scratch overlay merged only on success,
// as the state transition does. Used by the unit tests and the receipt vectors.
import {
  type Module,
  ModuleError,
  models,
  rewards,
  routedExecutor,
  taskCandidatesFor,
  tasksModule,
  validatorSets,
  validators,
} from "../../contracts/index.ts";
import { privateKeyToAddress, randomPrivateKey } from "../../src/crypto/index.ts";
import {
  ExactModel,
  generate,
  payloadHash,
  type Receipt,
  type ReceiptBody,
  signReceipt,
  type TaskPayload,
  taskIdOf,
} from "../../src/inference/index.ts";
import { minimal, type Preset } from "../../src/params/index.ts";
import { readStoreIn, StateOverlay, storeIn } from "../../src/state/index.ts";
import type { Address, Log } from "../../src/types/index.ts";
import { devAddresses, devKeys } from "./chain.ts";
import { raceHarness } from "./raceModule.ts";

export const CHAIN_ID = 1337n;
const model = new ExactModel();

export function tasksHarness(weights: bigint[] = [100n, 100n, 100n, 100n], preset: Preset = minimal) {
  const h = raceHarness(preset, CHAIN_ID);
  const { state } = h;
  const genesisOf = (m: Module, section: unknown, allocated: bigint) =>
    m.genesis!({
      chainId: CHAIN_ID,
      preset,
      validators: [],
      section,
      allocated,
      state: { getAccount: (a) => state.getAccount(a), setAccount: (a, v) => state.setAccount(a, v) },
      store: storeIn(state, m),
    });
  for (const a of devAddresses) state.setAccount(a, { nonce: 0n, balance: 10n ** 24n });
  const allocated = BigInt(devAddresses.length) * 10n ** 24n;
  genesisOf(models, undefined, allocated);
  genesisOf(tasksModule, undefined, allocated);
  genesisOf(rewards, undefined, allocated);
  const set = weights.map((weight, i) => ({ address: devAddresses[i]!, weight, blsKey: new Uint8Array(48) }));
  for (let c = 0; c < 8; c++) validatorSets.set(storeIn(state, validators), c, set);
  const logs: Log[] = [];
  const { call, refusal } = moduleCaller(h, tasksModule, logs);
  const endBlocks = (from: number, to: number) => {
    for (let height = from; height <= to; height++) {
      tasksModule.endBlock!(h.ctx(height, tasksModule));
      if ((height + 1) % preset.cycleLength === 0) {
        tasksModule.endCycle!(h.ctx(height, tasksModule));
        rewards.endCycle!(h.ctx(height, rewards));
      }
    }
  };
  const store = () => readStoreIn(state, tasksModule);
  /** Sum of every balance in the state: genesis + minted (no transaction fees are burned here). */
  const totalBalances = () => [...state.changes.values()].reduce((t, c) => t + c.account.balance, 0n);
  return { ...h, call, refusal, endBlocks, store, logs, state, totalBalances };
}

/** A task answered by the executor the rule draws, and its receipt signed by `apiKey`. */
export function answeredTask(opts: {
  apiKey: Uint8Array;
  beaconOutput: Uint8Array;
  round: number;
  cycle: number;
  serial: bigint;
  intermediary: Address;
  state: StateOverlay;
  attempt?: number;
  wrongToken?: boolean;
  prompt?: string;
  /** A tolerance-class model: the payload carries (made-up) position records; the chain only hashes it. */
  model?: string;
}) {
  const prompt = new TextEncoder().encode(opts.prompt ?? `user: task ${opts.serial}\nassistant: `);
  const sampling = { temperatureMilli: 700, topPMilli: 950, seed: opts.serial };
  const answer = generate(model, prompt, 6, sampling);
  const tokens = Uint8Array.from(answer.tokens);
  if (opts.wrongToken) tokens[0] = tokens[0] === 1 ? 2 : 1;
  const payload: TaskPayload = opts.model
    ? {
        prompt,
        maxTokens: 6,
        temperatureMilli: 700,
        topPMilli: 950,
        seed: BigInt.asUintN(64, opts.serial),
        tokens: new Uint8Array(0),
        finish: "length",
        positions: Array.from({ length: 6 }, (_, i) => ({
          token: 40 + i,
          nll: 1_000_000,
          top: [{ token: 40 + i, nll: 1_000_000 }],
        })),
      }
    : {
        prompt,
        maxTokens: 6,
        temperatureMilli: 700,
        topPMilli: 950,
        seed: BigInt.asUintN(64, opts.serial),
        tokens,
        finish: answer.finishReason,
        positions: [],
      };
  const taskId = taskIdOf(privateKeyToAddress(opts.apiKey), prompt, opts.serial);
  // As the intermediary routes: over the cycle's candidates that serve the model (tasks.md §Serving).
  const candidates = taskCandidatesFor(
    { storeOf: (m) => readStoreIn(opts.state, m) },
    opts.cycle,
    opts.model ?? model.spec.id,
  );
  const executor = routedExecutor(
    opts.beaconOutput,
    taskId,
    candidates,
    opts.intermediary,
    opts.attempt ?? 0,
  )!;
  const body: ReceiptBody = {
    taskId,
    model: opts.model ?? model.spec.id,
    promptTokens: prompt.length,
    completionTokens: opts.model ? 6 : tokens.length,
    cycle: opts.cycle,
    round: opts.round,
    attempt: opts.attempt ?? 0,
    executor,
    intermediary: opts.intermediary,
    payloadHash: payloadHash(payload),
  };
  return { payload, receipt: signReceipt(opts.apiKey, CHAIN_ID, body), executor, taskId };
}

export { devKeys };

/**
 * A market ready for tasks: the harness, a beacon output at height 5, and developer account 7
 * with escrow and an authorized API key; `task` answers one by the rule, `resign` re-signs a
 * receipt with changed fields (what a dishonest signer sends).
 */
export function fundedMarket(
  opts: { weights?: bigint[]; fill?: number; amount?: bigint; apiKey?: Uint8Array } = {},
) {
  const h = tasksHarness(opts.weights);
  // A fixed key makes the task ids, and so every draw, the same on every run.
  const apiKey = opts.apiKey ?? randomPrivateKey();
  const developer = devAddresses[7]!;
  const amount = opts.amount ?? 10n ** 20n;
  const output = h.beaconOutput(5, new Uint8Array(32).fill(opts.fill ?? 9));
  h.call(6, developer, "deposit", { amount });
  h.call(6, developer, "authorizeKey", { key: privateKeyToAddress(apiKey), limit: amount });
  const task = (serial: bigint, extra: Partial<Parameters<typeof answeredTask>[0]> = {}) =>
    answeredTask({
      apiKey,
      beaconOutput: output,
      round: 1,
      cycle: 0,
      serial,
      intermediary: devAddresses[0]!,
      state: h.state,
      ...extra,
    });
  const resign = (r: Receipt, change: Partial<Receipt>) => {
    const { signature: _, ...body } = { ...r, ...change };
    return signReceipt(apiKey, CHAIN_ID, body);
  };
  return { h, task, resign };
}

/**
 * Replace the validator set of cycles 0–7 by `n` light members of weight 1 (and `extra`): the large
 * weighted sets the adversarial tests measure draws and settlements among.
 */
export function lightSet(
  h: { state: ReturnType<typeof tasksHarness>["state"] },
  n: number,
  extra: Address[] = [],
) {
  const light = Array.from({ length: n }, (_, i) => {
    const a = new Uint8Array(20);
    a[0] = 0xc0;
    a[1] = i & 0xff;
    a[2] = i >> 8;
    return a as Address;
  });
  const set = [...light, ...extra].map((address) => ({ address, weight: 1n, blsKey: new Uint8Array(48) }));
  for (let c = 0; c < 8; c++) validatorSets.set(storeIn(h.state, validators), c, set);
  return light;
}

/**
 * `call` runs one of `module`'s methods as the transition does: on a scratch overlay of `h.state`,
 * merged only if it succeeds, its events pushed to `logs`; `refusal` returns the reason a call is
 * refused ("" when it succeeds).
 */
export function moduleCaller(
  h: Pick<ReturnType<typeof raceHarness>, "state" | "ctx">,
  module: Module,
  logs: Log[],
) {
  const call = (height: number, sender: Address, method: string, args: unknown) => {
    const scratch = new StateOverlay(h.state);
    module.methods[method]!.execute(
      {
        ...h.ctx(height, module),
        state: { getAccount: (a) => scratch.getAccount(a), setAccount: (a, v) => scratch.setAccount(a, v) },
        store: storeIn(scratch, module),
        storeOf: (m: Pick<Module, "address">) => storeIn(scratch, m),
        sender,
        emit: (topics: Uint8Array[], data: Uint8Array) =>
          logs.push({ address: module.address, topics, data }),
      },
      args,
    );
    scratch.mergeInto(h.state);
  };
  const refusal = (height: number, sender: Address, method: string, args: unknown): string => {
    try {
      call(height, sender, method, args);
      return "";
    } catch (e) {
      if (!(e instanceof ModuleError)) throw e;
      return e.message;
    }
  };
  return { call, refusal };
}
