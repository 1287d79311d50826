/**
 * `racecoin train`: training jobs on chain from the command line (spec/training.md §On chain): the
 * module's parameters and every job, one job with the round running now, or one round with its
 * commitments, scores, payouts and verifiers.
 */
import { type Command, formatEther, parse, parsePositiveInt, UsageError } from "../args.ts";
import { rpcCall } from "../rpcClient.ts";

const options = {
  job: { type: "string" },
  round: { type: "string" },
  rpc: { type: "string" },
} as const;

const help = `racecoin train — training jobs paid from the training fund (spec/training.md)

Usage:
  racecoin train status                      parameters and every job
  racecoin train status --job N              one job: its round and window now, each round's outcome,
                                             and its loss curve (from a node running with --train)
  racecoin train status --job N --round R    one round: commitments, scores, payouts, verifiers

Jobs are created by governance: racecoin gov propose training-job --help.

Options:
  --rpc URL   node to use (default: http://127.0.0.1:8545)

Example:
  racecoin train status --job 1 --round 2
`;

interface JobJson {
  id: number;
  statusName: string;
  rounds: number;
  roundsDone: number;
  innerSteps: number;
  participantsMax: number;
  budget: string;
  paid: string;
  returned: string;
  roundBudget: string;
  checkpointHash: string;
  purpose: string;
  currentRound: number;
  phase: string;
  windows: { start: number; commitStart: number; exchangeStart: number; scoreStart: number; end: number };
}
interface RoundJson {
  round: number;
  statusName: string;
  registered: number;
  committed: number;
  checkpointHash: string;
  paid: string;
  result: string;
  scoreSeed: string;
  verifiers: { address: string; weight: string; verdict: number }[];
  commitments: {
    index: number;
    participant: string;
    deltaHash: string;
    score: string;
    payout: string;
    copyOf: number;
  }[];
}

interface LossPoint {
  round: number;
  loss: number;
}

/** The validation loss after each round as a bar per round, from 0 to the curve's highest. */
export function lossChart(points: LossPoint[], width = 40): string[] {
  const hi = Math.max(...points.map((p) => p.loss), 1e-9);
  return [
    "  validation loss (nats, held-out part of the corpus; round 0: the starting checkpoint):",
    ...points.map(
      (p) =>
        `  ${String(p.round).padStart(4)} ${p.loss.toFixed(4)} ${"█".repeat(Math.max(1, Math.round((p.loss / hi) * width)))}`,
    ),
  ];
}

const VERDICTS = ["pending", "agreed", "minority", "absent", "undecided"];
const out = (s: string) => process.stdout.write(`${s}\n`);

function jobLine(j: JobJson): string {
  const now =
    j.statusName === "active" && j.currentRound > 0
      ? `round ${j.currentRound}/${j.rounds} ${j.phase} (commit ${j.windows.commitStart}, exchange ${j.windows.exchangeStart}, score ${j.windows.scoreStart}, end ${j.windows.end})`
      : `${j.roundsDone}/${j.rounds} rounds, ${formatEther(BigInt(j.returned))} RACE returned`;
  return `#${j.id} [${j.statusName}] ${j.purpose}: budget ${formatEther(BigInt(j.budget))} RACE, paid ${formatEther(BigInt(j.paid))} — ${now}`;
}

async function status(url: string, job: number | undefined, round: number | undefined): Promise<void> {
  if (job === undefined) {
    const p = await rpcCall<Record<string, string | number>>(url, "training_params", [{}]);
    out(
      `windows ${p.registerBlocks}/${p.commitBlocks}/${p.exchangeBlocks}/${p.scoreBlocks} blocks (register/commit/exchange/score), ${p.verifiers} verifiers, minority excluded ${p.exclusionCycles} cycles; ${p.active} running`,
    );
    for (let from = 0; ; ) {
      const page = await rpcCall<{ jobs: JobJson[] }>(url, "training_jobs", [{ from, limit: 100 }]);
      for (const j of page.jobs) out(jobLine(j));
      if (page.jobs.length < 100) break;
      from = page.jobs[page.jobs.length - 1]!.id + 1;
    }
    return;
  }
  const j = await rpcCall<JobJson>(url, "training_job", [{ id: job }]);
  if (j.id === 0) throw new Error(`no training job ${job}`);
  if (round === undefined) {
    out(jobLine(j));
    out(
      `  ${j.innerSteps} inner steps, ≤ ${j.participantsMax} participants, ${formatEther(BigInt(j.roundBudget))} RACE a round; checkpoint ${j.checkpointHash}`,
    );
    for (let r = 1; r <= Math.min(j.rounds, j.roundsDone + 1); r++) {
      const x = await rpcCall<RoundJson>(url, "training_round", [{ job, round: r }]);
      if (x.round === 0) continue;
      out(
        `  round ${r} [${x.statusName}] ${x.committed} committed, paid ${formatEther(BigInt(x.paid))} RACE${x.result ? ` — ${x.result}` : ""}`,
      );
    }
    // The loss curve, from a node that follows the job (--train); others answer -32601.
    const curve = await rpcCall<{ points: LossPoint[] }>(url, "training_lossCurve", [{ job }]).catch(
      () => undefined,
    );
    if (curve && curve.points.length > 0) for (const line of lossChart(curve.points)) out(line);
    return;
  }
  const x = await rpcCall<RoundJson>(url, "training_round", [{ job, round }]);
  if (x.round === 0) throw new Error(`round ${round} of training job ${job} has not opened`);
  out(
    `job ${job} round ${round} [${x.statusName}] ${x.registered} registered, ${x.committed} committed${x.result ? ` — ${x.result}` : ""}`,
  );
  if (x.statusName === "scored")
    out(`  next checkpoint ${x.checkpointHash}; paid ${formatEther(BigInt(x.paid))} RACE`);
  for (const c of x.commitments)
    out(
      `  ${c.index}. ${c.participant} delta ${c.deltaHash} score ${c.score} payout ${formatEther(BigInt(c.payout))} RACE${c.copyOf ? ` (copy of ${c.copyOf - 1})` : ""}`,
    );
  for (const v of x.verifiers)
    out(`  verifier ${v.address} (weight ${v.weight}): ${VERDICTS[v.verdict] ?? v.verdict}`);
}

export const trainCommand: Command = {
  name: "train",
  summary: "training jobs: status of jobs and rounds",
  help,
  async run(argv) {
    const { values, positionals } = parse(argv, options, "train");
    const url = values.rpc ?? "http://127.0.0.1:8545";
    if (positionals[0] !== "status")
      throw new UsageError('train: expected status\nRun "racecoin train --help".');
    await status(url, parsePositiveInt(values.job, "--job"), parsePositiveInt(values.round, "--round"));
    return 0;
  },
};
