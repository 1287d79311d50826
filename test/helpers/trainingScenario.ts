// The training module's vectors (spec/vectors/training/module.json), generator and replay: steps —
// governance and training calls with their arguments as the method's canonical msgpack, and jumps
// to a height that run every hook on the way — on the training harness; each call's outcome (its
// logs or the refusal's reason), the job and its rounds after each jump, and the final balances.
import {
  governance,
  TrainingJobStatus,
  training,
  trainingCommitments,
  trainingJobs,
  trainingRounds,
} from "../../contracts/index.ts";
import { JOB_STATUS_NAMES, ROUND_STATUS_NAMES, VERDICT_NAMES } from "../../contracts/training/index.ts";
import { decode } from "../../src/encoding/index.ts";
import { TRAINING_FUND_ADDRESS, TRAINING_MODULE_ADDRESS } from "../../src/params/index.ts";
import { fromHex, toHex } from "../../src/types/index.ts";
import { devAddresses } from "./chain.ts";
import { jsonForm } from "./governanceScenario.ts";
import { trainingHarness } from "./trainingModule.ts";

export type TrainingStep =
  | { height: number; module: "gov" | "training"; sender: string; method: string; args: string; note: string }
  | { goto: number; note: string };

function snapshot(h: ReturnType<typeof trainingHarness>) {
  const store = h.store();
  return {
    jobs: trainingJobs.keys(store).map((id) => {
      const j = trainingJobs.get(store, id)!;
      return jsonForm({ ...j, status: JOB_STATUS_NAMES[j.status] });
    }),
    rounds: trainingRounds.keys(store).map(([job, round]) => {
      const r = trainingRounds.get(store, [job, round])!;
      return jsonForm({
        ...r,
        status: ROUND_STATUS_NAMES[r.status],
        verifiers: r.verifiers.map((v) => ({ ...v, verdict: VERDICT_NAMES[v.verdict] })),
        commitments: Array.from({ length: r.committed }, (_, i) =>
          trainingCommitments.get(store, [job, round, i]),
        ),
      });
    }),
  };
}

export function runTrainingSteps(steps: TrainingStep[], fund: bigint) {
  const h = trainingHarness({ fund });
  const outcomes: unknown[] = [];
  for (const s of steps) {
    if ("goto" in s) {
      h.goto(s.goto);
      outcomes.push(snapshot(h));
      continue;
    }
    const module = s.module === "gov" ? governance : training;
    const args = decode(module.methods[s.method]!.args, fromHex(s.args));
    h.logs.length = 0;
    let reason = "";
    if (s.module === "gov") {
      try {
        h.gov(s.height, fromHex(s.sender), s.method, args);
      } catch (e) {
        reason = (e as Error).message;
      }
    } else reason = h.refusal(s.height, fromHex(s.sender), s.method, args);
    outcomes.push(
      reason
        ? { refused: reason }
        : { logs: h.logs.map((l) => ({ topics: l.topics.map(toHex), data: toHex(l.data) })) },
    );
  }
  const watched = [
    ...devAddresses.slice(0, 6).map((a, i) => [`dev${i}`, a] as const),
    ["trainingModule", TRAINING_MODULE_ADDRESS] as const,
    ["trainingFund", TRAINING_FUND_ADDRESS] as const,
  ];
  const job = trainingJobs.get(h.store(), 1);
  const final = {
    balances: Object.fromEntries(watched.map(([name, a]) => [name, h.balance(a).toString()])),
    jobFinished: job?.status === TrainingJobStatus.finished,
    supply: h.totalBalances().toString(),
  };
  return { outcomes, final };
}

/** Replay a module vector file: the same steps give the same outcomes and final state. */
export function replayTrainingModuleVectors(file: Record<string, unknown>): void {
  const steps = file.steps as TrainingStep[];
  const got = JSON.parse(JSON.stringify(runTrainingSteps(steps, BigInt(file.fund as string))));
  for (const [i, o] of (file.outcomes as unknown[]).entries())
    assertEqual(got.outcomes[i], o, `step ${i} (${steps[i]!.note})`);
  assertEqual(got.final, file.final, "final state");
}

function assertEqual(a: unknown, b: unknown, what: string): void {
  const x = JSON.stringify(a);
  const y = JSON.stringify(b);
  if (x !== y)
    throw new Error(`training module vectors, ${what}: got ${x.slice(0, 600)}, want ${y.slice(0, 600)}`);
}
