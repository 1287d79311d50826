// Generates spec/vectors/governance/lifecycle.json (spec/governance.md §Vectors): five proposals
// through deposit, votes, tally and execution — a parameter change completed by a second
// depositor, a model registration, a grant from the training fund, one below quorum, one vetoed —
// with refused calls among them. `--check` reports a stale file instead.
import { COIN, DEFAULT_GOV_PARAMS, governance } from "../contracts/index.ts";
import { encode } from "../src/encoding/index.ts";
import { minimal } from "../src/params/index.ts";
import { fromHex, toHex } from "../src/types/index.ts";
import { devAddresses } from "../test/helpers/chain.ts";
import {
  FUND,
  jsonForm,
  LIFECYCLE_MODEL,
  runGovernanceSteps,
  type Step,
} from "../test/helpers/governanceScenario.ts";
import { vectorFiles } from "./vectorFiles.ts";

const MIN = DEFAULT_GOV_PARAMS.minDeposit;
const L = minimal.cycleLength;
const dev = (i: number) => toHex(devAddresses[i]!);
const head = (title: string, deposit: bigint) => ({ title, expedited: 0, deposit });
const call = (height: number, sender: number, method: string, args: object, note: string): Step => ({
  height,
  sender: dev(sender),
  method,
  args: toHex(encode(governance.methods[method]!.args, args)),
  note,
});
const grantee = fromHex("0x00000000000000000000000000000000000000aa");
const change = { module: "tasks", param: "maxReputation", value: 12n };

const steps: Step[] = [
  call(
    5,
    4,
    "proposeParam",
    { ...head("tasks.maxReputation to 12", MIN / 4n), ...change },
    "proposal 1: a quarter of the minimum deposit",
  ),
  call(6, 5, "proposeParam", { ...head("again", MIN), ...change }, "refused: the same change is open"),
  call(7, 0, "vote", { id: 1, option: 1 }, "refused: proposal 1 is in its deposit period"),
  call(
    8,
    5,
    "deposit",
    { id: 1, amount: MIN - MIN / 4n },
    "completes the deposit: voting to the end of cycle 2",
  ),
  call(
    9,
    4,
    "proposeModel",
    { ...head("register float-governed", MIN), model: LIFECYCLE_MODEL },
    "proposal 2",
  ),
  call(
    10,
    4,
    "proposeGrant",
    { ...head("training job", MIN), recipient: grantee, amount: 300n * COIN, purpose: "job 1" },
    "proposal 3",
  ),
  call(
    11,
    5,
    "proposeRetire",
    { ...head("retire the float model", MIN), id: "racecoin-float-tiny" },
    "proposal 4",
  ),
  call(
    12,
    4,
    "proposeParam",
    { ...head("rewards.hpSlots to 20", MIN), module: "rewards", param: "hpSlots", value: 20n },
    "proposal 5",
  ),
  call(L + 1, 7, "vote", { id: 1, option: 1 }, "refused: no race weight"),
  ...[0, 1, 2].flatMap((v) =>
    [1, 2, 3].map((id) => call(L + 2 + v, v, "vote", { id, option: 1 }, `dev${v} yes on ${id}`)),
  ),
  call(L + 6, 3, "vote", { id: 1, option: 2 }, "dev3 no on 1"),
  call(L + 7, 0, "vote", { id: 4, option: 1 }, "the only vote on 4: 100 of 400, below quorum"),
  call(L + 8, 0, "vote", { id: 5, option: 4 }, "veto"),
  call(L + 8, 1, "vote", { id: 5, option: 4 }, "veto"),
  call(L + 9, 2, "vote", { id: 5, option: 1 }, "yes"),
  call(L + 10, 2, "vote", { id: 5, option: 1 }, "refused: a repeated vote"),
  { endCycle: 1 },
  { endCycle: 2 },
  call(3 * L, 3, "vote", { id: 1, option: 1 }, "refused: voting on 1 has closed"),
];

const files = vectorFiles();
const { outcomes, final } = runGovernanceSteps(steps);
files.write("spec/vectors/governance/lifecycle.json", {
  kind: "governance",
  description:
    "A proposal lifecycle on the minimal preset (cycle length 60) with the default parameters: dev accounts 0-3 are the validator set at weight 100 each (the voting weights before any race settles), accounts hold 10^24 wei, the training fund 1,000 RACE. Each step is a call (sender, method, args as the method's canonical msgpack) or a cycle end; each outcome is the call's logs or the reason it was refused, or after a cycle end every proposal as stored. final: balances, the tasks parameters, the model registry, the training share and the sum of all balances (supply is conserved).",
  fund: FUND.toString(),
  params: jsonForm(DEFAULT_GOV_PARAMS),
  steps,
  outcomes,
  final,
});
files.done();
