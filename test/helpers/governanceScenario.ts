// The proposal-lifecycle vectors (spec/vectors/governance/lifecycle.json), generator and replay:
// steps — calls with their arguments as the method's canonical msgpack, and cycle ends — run on
// the governance harness; each call's outcome (its logs, or the refusal's reason), the proposals
// after each cycle end, and the final balances, parameters and registry are recorded.
import {
  COIN,
  FLOAT_MODEL,
  GOV_KIND_NAMES,
  GOV_STATUS_NAMES,
  type GovProposal,
  governance,
  govProposals,
  modelList,
  models,
  rewards,
  taskParams,
  tasksModule,
} from "../../contracts/index.ts";
import { trainingShareMilli } from "../../contracts/rewards/index.ts";
import { decode } from "../../src/encoding/index.ts";
import { GOVERNANCE_MODULE_ADDRESS, TRAINING_FUND_ADDRESS } from "../../src/params/index.ts";
import { readStoreIn } from "../../src/state/index.ts";
import { fromHex, toHex } from "../../src/types/index.ts";
import { devAddresses } from "./chain.ts";
import { govHarness } from "./governanceModule.ts";

export type Step =
  | { height: number; sender: string; method: string; args: string; note: string }
  | { endCycle: number };

/** Bigints as decimal strings, bytes as 0x-hex: the vectors' JSON form. */
export function jsonForm(v: unknown): unknown {
  if (typeof v === "bigint") return v.toString();
  if (v instanceof Uint8Array) return toHex(v);
  if (Array.isArray(v)) return v.map(jsonForm);
  if (v && typeof v === "object")
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, jsonForm(x)]));
  return v;
}

function proposalJson(p: GovProposal) {
  return jsonForm({ ...p, kind: GOV_KIND_NAMES[p.kind], status: GOV_STATUS_NAMES[p.status] });
}

/** The scenario's starting state: dev 0–3 weigh 100 each; the training fund holds 1,000 RACE. */
export const FUND = 1_000n * COIN;

export function runGovernanceSteps(steps: Step[]) {
  const h = govHarness();
  h.fundTraining(FUND);
  const outcomes: unknown[] = [];
  for (const s of steps) {
    if ("endCycle" in s) {
      h.endCycle(s.endCycle);
      const store = h.store();
      outcomes.push({
        proposals: govProposals.keys(store).map((id) => proposalJson(govProposals.get(store, id)!)),
      });
      continue;
    }
    const args = decode(governance.methods[s.method]!.args, fromHex(s.args));
    h.logs.length = 0;
    const reason = h.refusal(s.height, fromHex(s.sender), s.method, args);
    outcomes.push(
      reason
        ? { refused: reason }
        : { logs: h.logs.map((l) => ({ topics: l.topics.map(toHex), data: toHex(l.data) })) },
    );
  }
  const watched = [
    ...devAddresses.slice(0, 6).map((a, i) => [`dev${i}`, a] as const),
    ["governance", GOVERNANCE_MODULE_ADDRESS] as const,
    ["trainingFund", TRAINING_FUND_ADDRESS] as const,
    ["grantee", fromHex("0x00000000000000000000000000000000000000aa")] as const,
  ];
  const final = {
    balances: Object.fromEntries(watched.map(([name, a]) => [name, h.balance(a).toString()])),
    taskParams: jsonForm(taskParams(readStoreIn(h.state, tasksModule))),
    models: modelList(readStoreIn(h.state, models)).map((m) => m.id),
    trainingShareMilli: trainingShareMilli(readStoreIn(h.state, rewards)),
    supply: h.totalBalances().toString(),
  };
  return { outcomes, final };
}

export const LIFECYCLE_MODEL = { ...FLOAT_MODEL, id: "float-governed" };

/** Replay a lifecycle vector file: the same steps give the same outcomes and final state. */
export function replayGovernanceVectors(file: Record<string, unknown>): void {
  const got = runGovernanceSteps(file.steps as Step[]);
  const want = { outcomes: file.outcomes, final: file.final };
  const json = (v: unknown) => JSON.parse(JSON.stringify(v));
  const g = json(got);
  (want.outcomes as unknown[]).forEach((o, i) => {
    const s = (file.steps as Step[])[i]!;
    assertEqual(g.outcomes[i], o, `step ${i} (${"note" in s ? s.note : `end of cycle ${s.endCycle}`})`);
  });
  assertEqual(g.final, want.final, "final state");
}

function assertEqual(a: unknown, b: unknown, what: string): void {
  const x = JSON.stringify(a);
  const y = JSON.stringify(b);
  if (x !== y)
    throw new Error(`governance vectors, ${what}: got ${x.slice(0, 400)}, want ${y.slice(0, 400)}`);
}
