// The training module driven block by block without a network, on the governance harness (dev
// accounts 0–3 the validator set, weight 100 each unless given): a job is granted by a real
// trainingJob proposal and vote, and `goto` runs every hook in order — a beacon output every 10
// blocks, training's beginBlock, the calls, training's endBlock, and at a cycle's end governance's
// endCycle — so rounds open, draw and close as the state transition runs them. Used by the unit and
// adversarial tests and the module vectors (generator and replay).
import { createHash } from "node:crypto";
import {
  COIN,
  DEFAULT_GOV_PARAMS,
  governance,
  type TrainingJobSpec,
  training,
  trainingJobs,
  trainingRounds,
} from "../../contracts/index.ts";
import { readStoreIn, storeIn } from "../../src/state/index.ts";
import type { Address } from "../../src/types/index.ts";
import { devAddresses } from "./chain.ts";
import { govHarness } from "./governanceModule.ts";
import { moduleCaller } from "./tasksModule.ts";

export const JOB_SPEC: TrainingJobSpec = {
  modelHash: new Uint8Array(32).fill(0x11),
  datasetHash: new Uint8Array(32).fill(0x22),
  innerSteps: 50,
  rounds: 2,
  participantsMax: 8,
  budget: 1_000n * COIN,
  purpose: "tiny MLP on the shipped corpus",
};

export function trainingHarness(
  opts: {
    weights?: bigint[];
    section?: unknown;
    fund?: bigint;
    /** Whether a beacon round completes at this height (default: every 10th). */
    beacon?: (height: number) => boolean;
  } = {},
) {
  const g = govHarness({ weights: opts.weights, cycles: 64 });
  const { state, preset } = g;
  training.genesis!({
    chainId: 1337n,
    preset,
    validators: [],
    section: opts.section,
    allocated: 0n,
    state: { getAccount: (a) => state.getAccount(a), setAccount: (a, v) => state.setAccount(a, v) },
    store: storeIn(state, training),
  });
  g.fundTraining(opts.fund ?? 10_000n * COIN);
  const { call: rawCall, refusal: rawRefusal } = moduleCaller(g, training, g.logs);
  let cur = 0;
  let nextProposal = 1;
  let ended = false;
  const beaconAt = (height: number) =>
    new Uint8Array(createHash("sha256").update(`beacon ${height}`).digest());
  const end = (height: number) => {
    training.endBlock!(g.ctx(height, training));
    if ((height + 1) % preset.cycleLength === 0) {
      governance.endCycle!(g.ctx(height, governance));
      training.endCycle?.(g.ctx(height, training));
    }
  };
  const begin = (height: number) => {
    if ((opts.beacon ?? ((x: number) => x % 10 === 0))(height)) g.beaconOutput(height, beaconAt(height));
    training.beginBlock!(g.ctx(height, training));
  };
  /** Run every hook up to `height`'s beginBlock (its calls come next). */
  const goto = (height: number) => {
    if (height < cur) throw new Error(`the harness is at height ${cur}, cannot go back to ${height}`);
    if (height === cur) return;
    if (!ended && cur > 0) end(cur);
    for (let x = cur + 1; x < height; x++) {
      begin(x);
      end(x);
    }
    begin(height);
    cur = height;
    ended = false;
  };
  const call = (height: number, sender: Address, method: string, args: unknown) => {
    goto(height);
    rawCall(height, sender, method, args);
  };
  const refusal = (height: number, sender: Address, method: string, args: unknown) => {
    goto(height);
    return rawRefusal(height, sender, method, args);
  };
  const gov = (height: number, sender: Address, method: string, args: unknown) => {
    goto(height);
    g.call(height, sender, method, args);
  };
  /** trainingJob proposals by dev account 4 in cycle 0, voted yes by accounts 0–2 in cycle 1; they pass at the end of cycle 2. */
  const grantJobs = (...specs: Partial<TrainingJobSpec>[]) => {
    const ids = specs.map((spec) => {
      const id = nextProposal++;
      gov(g.at(0, id), devAddresses[4]!, "proposeTrainingJob", {
        title: `job ${id}`,
        expedited: 0,
        deposit: DEFAULT_GOV_PARAMS.minDeposit,
        ...JOB_SPEC,
        ...spec,
      });
      return id;
    });
    for (const id of ids)
      for (const v of devAddresses.slice(0, 3)) gov(g.at(1, id), v, "vote", { id, option: 1 });
    return ids;
  };
  const grantJob = (spec: Partial<TrainingJobSpec> = {}) => grantJobs(spec)[0]!;
  const store = () => readStoreIn(state, training);
  const job = (id: number) => trainingJobs.get(store(), id)!;
  const round = (jobId: number, r: number) => trainingRounds.get(store(), [jobId, r])!;
  return {
    ...g,
    goto,
    call,
    refusal,
    gov,
    grantJob,
    grantJobs,
    store,
    job,
    round,
    beaconAt,
    height: () => cur,
  };
}
