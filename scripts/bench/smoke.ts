// bench:smoke — every `bench:*` npm script, each for a few seconds with tiny parameters, so a
// benchmark that no longer starts or no longer prints its figures fails CI instead of the next
// person who runs it. The scripts come from package.json: a new benchmark is run as soon as it is
// added, and fails here until SMOKE below says how to run it small. Each must exit 0 within its
// timeout and end with its `bench-result` line (report.ts) naming itself and carrying ceiling,
// ratio and target. The figures of a smoke run mean nothing; scripts/bench/results.md holds full runs.
// Usage: npm run bench:smoke -- [bench:NAME …]   (default: all)
import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { RESULT_PREFIX } from "./report.ts";

interface SmokeRun {
  /** Arguments after `--`: the smallest run that still goes through every step the bench reports. */
  args: string[];
  /** Whole-process limit, startup included; a run over it is killed with everything it started. */
  timeoutS: number;
}

const SMOKE: Record<string, SmokeRun> = {
  "bench:import": { args: ["--blocks", "2", "--txs", "200"], timeoutS: 60 },
  "bench:rpc": { args: ["--rate", "200", "--seconds", "1", "--saturation-seconds", "1"], timeoutS: 60 },
  "bench:race": { args: ["--preset", "minimal", "--seconds", "1"], timeoutS: 60 },
  // mainnet parameters but no mainnet weights: this bench is arithmetic and VRFs only.
  "bench:cycle": { args: ["--miners", "8", "--trials", "200"], timeoutS: 60 },
  "bench:race-cycle": { args: ["--preset", "minimal", "--seconds", "1"], timeoutS: 60 },
  // The first race is in cycle 1 and settles at height 120: the shortest run with a weight in it.
  "bench:throttle": { args: ["--cycles", "1", "--block-time-ms", "100"], timeoutS: 150 },
  "bench:ws": { args: ["--subscribers", "20", "--seconds", "2"], timeoutS: 60 },
  // Routing starts with cycle 1's beacon output: faster blocks get there sooner.
  "bench:inference": {
    args: ["--tokens", "4", "--requests", "1", "--streams", "2,4", "--block-time-ms", "100"],
    timeoutS: 120,
  },
  "bench:tasks-race": {
    args: ["--cycles", "0", "--concurrency", "2", "--seconds", "5", "--block-time-ms", "100"],
    timeoutS: 120,
  },
  "bench:sync": { args: ["--blocks", "200", "--tx-blocks", "4", "--txs", "50"], timeoutS: 90 },
  "bench:devnet": { args: ["--seconds", "2", "--max-rate", "0"], timeoutS: 90 },
  // The devnet part waits for a DKG and six rounds (minutes); the committee arithmetic runs.
  "bench:beacon": { args: ["--sizes", "4", "--devnet", "false"], timeoutS: 60 },
  "bench:beacon-storage": { args: ["--members", "4"], timeoutS: 60 },
  "bench:gas": { args: ["--repeat", "1", "--random", "1"], timeoutS: 60 },
  "bench:settle": { args: ["--tasks", "2000", "--redrawn", "500", "--racers", "1000"], timeoutS: 60 },
  "bench:training": { args: ["--rounds", "1"], timeoutS: 60 },
  "bench:tasks-store": { args: ["--tasks", "10000", "--per-cycle", "100", "--repeat", "1"], timeoutS: 90 },
};

const SELF = "bench:smoke";
const scripts = Object.keys(
  (JSON.parse(readFileSync("package.json", "utf8")) as { scripts: Record<string, string> }).scripts,
).filter((s) => s.startsWith("bench:") && s !== SELF);

const problems: string[] = [];
for (const s of scripts)
  if (!SMOKE[s]) problems.push(`${s} has no smoke parameters: add it to SMOKE in scripts/bench/smoke.ts`);
for (const s of Object.keys(SMOKE))
  if (!scripts.includes(s)) problems.push(`SMOKE lists ${s}, which package.json no longer has`);
const wanted = process.argv.slice(2);
for (const w of wanted) if (!scripts.includes(w)) problems.push(`no npm script ${w}`);
if (problems.length > 0) {
  for (const p of problems) process.stderr.write(`bench:smoke: ${p}\n`);
  process.exit(1);
}

interface Outcome {
  code: number | null;
  signal: NodeJS.Signals | null;
  output: string;
  timedOut: boolean;
}

/** Kill the whole process group: benches start node processes that must not outlive them. */
function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    process.kill(-child.pid!, signal);
  } catch {} // already gone
}

// Detached children miss the terminal's Ctrl-C: pass it on to the running one.
let current: ChildProcess | undefined;
for (const signal of ["SIGINT", "SIGTERM"] as const)
  process.once(signal, () => {
    if (current) killGroup(current, "SIGKILL");
    process.exit(130);
  });

function runOne(script: string, run: SmokeRun): Promise<Outcome> {
  return new Promise((resolve) => {
    const child = spawn("npm", ["run", "--silent", script, "--", ...run.args], {
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
    });
    current = child;
    let output = "";
    child.stdout!.on("data", (d) => {
      output += d;
    });
    child.stderr!.on("data", (d) => {
      output += d;
    });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup(child, "SIGTERM");
      setTimeout(() => killGroup(child, "SIGKILL"), 5000).unref();
    }, run.timeoutS * 1000);
    child.once("close", (code, signal) => {
      clearTimeout(timer);
      killGroup(child, "SIGKILL"); // anything the bench left running
      resolve({ code, signal, output, timedOut });
    });
  });
}

/** The result line's object, or why it is not acceptable. */
function checkResult(
  script: string,
  output: string,
): { result: Record<string, unknown> } | { error: string } {
  const lines = output.split("\n").filter((l) => l.startsWith(RESULT_PREFIX));
  if (lines.length !== 1)
    return { error: `expected one '${RESULT_PREFIX.trim()}' line, found ${lines.length}` };
  let result: Record<string, unknown>;
  try {
    result = JSON.parse(lines[0]!.slice(RESULT_PREFIX.length)) as Record<string, unknown>;
  } catch (e) {
    return { error: `its result line is not JSON: ${(e as Error).message}` };
  }
  const name = script.slice("bench:".length);
  if (typeof result.bench !== "string" || result.bench.split(" ")[0] !== name)
    return { error: `its result names bench ${JSON.stringify(result.bench)}, not ${name}` };
  const missing = ["ceiling", "ratio", "target"].filter((k) => !(k in result));
  if (missing.length > 0) return { error: `its result lacks ${missing.join(", ")}` };
  return { result };
}

const started = performance.now();
const failed: string[] = [];
for (const script of wanted.length > 0 ? wanted : scripts) {
  const run = SMOKE[script]!;
  const t0 = performance.now();
  const out = await runOne(script, run);
  const seconds = ((performance.now() - t0) / 1000).toFixed(1);
  const checked = checkResult(script, out.output);
  let error = "";
  if (out.timedOut) error = `timed out after ${run.timeoutS} s`;
  else if (out.code !== 0) error = `exited with ${out.code ?? out.signal}`;
  else if ("error" in checked) error = checked.error;
  if (error) {
    failed.push(script);
    const tail = out.output.trimEnd().split("\n").slice(-40).join("\n");
    process.stdout.write(
      `FAIL ${script} (${seconds} s): ${error}\n  $ npm run ${script} -- ${run.args.join(" ")}\n${tail}\n`,
    );
  } else {
    const { ratio } = (checked as { result: Record<string, unknown> }).result;
    process.stdout.write(`ok   ${script} (${seconds} s) ratio ${JSON.stringify(ratio)}\n`);
  }
}
const total = ((performance.now() - started) / 1000).toFixed(1);
process.stdout.write(
  failed.length === 0
    ? `bench:smoke: all ${wanted.length || scripts.length} benchmarks ran in ${total} s\n`
    : `bench:smoke: ${failed.length} failed (${failed.join(", ")}) in ${total} s\n`,
);
process.exit(failed.length === 0 ? 0 : 1);
