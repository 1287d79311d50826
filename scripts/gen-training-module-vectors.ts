// Generates spec/vectors/training/module.json (spec/training.md §On chain, Vectors): a training job
// granted by a trainingJob proposal and vote, then its two rounds on chain — four registrations,
// four commitments (one replaying another's, one the zero delta's), three drawn verifiers of whom one submits a
// minority vector, the round scored and paid by score; the second round void for want of
// commitments and the unspent budget back in the fund — with refused calls among them.
// `--check` reports a stale file instead.
import {
  COIN,
  DEFAULT_GOV_PARAMS,
  governance,
  training,
  trainingZeroCommitment,
} from "../contracts/index.ts";
import { deltaHash } from "../contracts/training/index.ts";
import { encode } from "../src/encoding/index.ts";
import { toHex } from "../src/types/index.ts";
import { devAddresses } from "../test/helpers/chain.ts";
import { JOB_SPEC, trainingHarness } from "../test/helpers/trainingModule.ts";
import { runTrainingSteps, type TrainingStep } from "../test/helpers/trainingScenario.ts";
import { vectorFiles } from "./vectorFiles.ts";

const FUND = 5_000n * COIN;
const dev = (i: number) => toHex(devAddresses[i]!);
const call = (
  height: number,
  module: "gov" | "training",
  sender: string,
  method: string,
  args: object,
  note: string,
): TrainingStep => ({
  height,
  module,
  sender,
  method,
  args: toHex(encode((module === "gov" ? governance : training).methods[method]!.args, args)),
  note,
});
const t = (height: number, sender: number, method: string, args: object, note: string) =>
  call(height, "training", dev(sender), method, args, note);
const d = (n: number) => deltaHash(new TextEncoder().encode(`delta ${n}`));
const NEXT = new Uint8Array(32).fill(0x33);
const job = { job: 1, round: 1 };

// The verifiers the draw picks: found by running the scenario up to the draw once.
function drawn(): string[] {
  const h = trainingHarness({ fund: FUND });
  h.grantJob();
  h.goto(180);
  for (const p of [0, 1, 2, 3]) h.call(181, devAddresses[p]!, "register", job);
  for (const p of [0, 1, 2, 3]) h.call(191, devAddresses[p]!, "commit", { ...job, deltaHash: d(p) });
  h.goto(251);
  return h.round(1, 1).verifiers.map((v) => toHex(v.address));
}
const seats = drawn();
const outsider = [0, 1, 2, 3].map(dev).find((a) => !seats.includes(a))!;

const steps: TrainingStep[] = [
  call(
    1,
    "gov",
    dev(4),
    "proposeTrainingJob",
    { title: "job 1", expedited: 0, deposit: DEFAULT_GOV_PARAMS.minDeposit, ...JOB_SPEC },
    "proposal 1: a training job of 1,000 RACE in 2 rounds",
  ),
  ...[0, 1, 2].map((v) => call(61, "gov", dev(v), "vote", { id: 1, option: 1 }, `dev${v} yes`)),
  { goto: 180, note: "passed at the end of cycle 2: job 1 funded, round 1 open" },
  t(181, 5, "register", job, "refused: no race weight"),
  ...[0, 1, 2, 3].map((p) => t(181, p, "register", job, `dev${p} registers`)),
  t(182, 0, "register", job, "refused: registered twice"),
  t(185, 0, "commit", { ...job, deltaHash: d(0) }, "refused: the register window"),
  t(191, 0, "commit", { ...job, deltaHash: d(0) }, "dev0 commits"),
  t(191, 1, "commit", { ...job, deltaHash: d(1) }, "dev1 commits"),
  t(
    192,
    2,
    "commit",
    { ...job, deltaHash: d(0) },
    "dev2 replays dev0's commitment (no bytes of its own bind to it)",
  ),
  t(
    193,
    3,
    "commit",
    { ...job, deltaHash: trainingZeroCommitment(devAddresses[3]!) },
    "dev3 commits the zero delta",
  ),
  t(194, 3, "commit", { ...job, deltaHash: d(3) }, "refused: committed twice"),
  t(
    240,
    0,
    "score",
    { ...job, scores: [1n, 2n, 3n, 4n], checkpointHash: NEXT },
    "refused: the exchange window",
  ),
  { goto: 251, note: "verifiers drawn at the exchange's last block" },
  call(
    251,
    "training",
    outsider,
    "score",
    { ...job, scores: [1n, 2n, 3n, 4n], checkpointHash: NEXT },
    "refused: not drawn",
  ),
  call(
    251,
    "training",
    seats[0]!,
    "score",
    { ...job, scores: [3n, 1n, 7n], checkpointHash: NEXT },
    "refused: wrong length",
  ),
  call(
    251,
    "training",
    seats[0]!,
    "score",
    { ...job, scores: [3n, 1n, 0n, 5n], checkpointHash: NEXT },
    "seat 0",
  ),
  call(
    252,
    "training",
    seats[1]!,
    "score",
    { ...job, scores: [3n, 1n, 0n, 5n], checkpointHash: NEXT },
    "seat 1",
  ),
  call(
    252,
    "training",
    seats[2]!,
    "score",
    { ...job, scores: [0n, 9n, 7n, 5n], checkpointHash: NEXT },
    "seat 2: a minority vector",
  ),
  call(
    253,
    "training",
    seats[2]!,
    "score",
    { ...job, scores: [3n, 1n, 0n, 5n], checkpointHash: NEXT },
    "refused: scored twice",
  ),
  {
    goto: 270,
    note: "round 1 scored: dev0 3/4 and dev1 1/4 of 500 RACE; the replay (scored 0) and the zero delta 0",
  },
  t(271, 0, "register", { job: 1, round: 2 }, "dev0 registers for round 2"),
  t(272, 1, "register", job, "refused: round 1 is over"),
  {
    goto: 360,
    note: "round 2 void (no commitments): the job finishes, the unpaid 500 RACE back to the fund",
  },
];

const files = vectorFiles();
const { outcomes, final } = runTrainingSteps(steps, FUND);
files.write("spec/vectors/training/module.json", {
  kind: "training-module",
  description:
    "The training module on the minimal preset (cycle length 60) with the default parameters (windows 10/40/20/20 blocks, 3 verifiers): dev accounts 0-3 are the validator set at weight 100 each, accounts hold 10^24 wei, the training fund 5,000 RACE; a beacon output every 10 blocks (SHA-256 of 'beacon <height>'). Each step is a call (module gov or training, sender, method, args as the method's canonical msgpack) or a jump to a height that runs every hook on the way; each outcome is the call's logs or the reason it was refused, or after a jump every job and round as stored. final: balances, whether job 1 finished, the sum of all balances (supply is conserved).",
  fund: FUND.toString(),
  steps,
  outcomes,
  final,
});
files.done();
