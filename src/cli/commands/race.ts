import { writeFileSync } from "node:fs";
import { backendNames, getBackend, mine } from "../../miner/index.ts";
import { getPreset } from "../../params/index.ts";
import {
  buildTree,
  type Commitment,
  calibrate,
  checkRaceConfig,
  type FraudProof,
  type LoadedRace,
  MAX_NONCE,
  macsPerNonce,
  multiproof,
  nodeSeed,
  outputHash,
  ProofError,
  parameterCount,
  type RaceBackend,
  type RaceConfig,
  sampleIndices,
  verifyFraudProof,
  verifySample,
} from "../../race/index.ts";
import { fromHex, parseAddress, toChecksumAddress, toHex } from "../../types/index.ts";
import { asUsage, type Command, parse, readInputFile, UsageError } from "../args.ts";

const options = {
  preset: { type: "string" },
  backend: { type: "string" },
  seed: { type: "string" },
  miner: { type: "string" },
  nonce: { type: "string" },
  seconds: { type: "string" },
  workers: { type: "string" },
  out: { type: "string" },
  proofs: { type: "string" },
  randomness: { type: "string" },
  fraud: { type: "string" },
  json: { type: "boolean" },
  cycle: { type: "string" },
  address: { type: "string" },
  rpc: { type: "string" },
} as const;

type RaceStatusJson = {
  cycle: number;
  phase: string;
  raceStart: number;
  commitDeadline: number;
  revealStart: number;
  revealEnd: number;
  fraudEnd: number;
  seeds: string[];
  sampleSeeds: string[];
  commitments: number;
  settled: number;
};
type CommitmentJson = { miner: string; count: number; revealed: number; fraud: string; weight: string };

/** Where a running chain's race stands, and where one miner stands in it. */
async function raceStatus(values: {
  cycle?: string;
  address?: string;
  rpc?: string;
  json?: boolean;
}): Promise<number> {
  const rpc = values.rpc ?? "http://127.0.0.1:8545";
  const { rpcCall } = await import("../rpcClient.ts");
  const head = await rpcCall<{ height: number; cycle: number }>(rpc, "chain_getStatus");
  const cycle = values.cycle === undefined ? head.cycle : Number(values.cycle);
  if (!Number.isInteger(cycle) || cycle < 0)
    throw new UsageError(`--cycle: expected a cycle number, got "${values.cycle}"`);
  const who = values.address ? asUsage(() => parseAddress(values.address!, "--address")) : undefined;
  const status = await rpcCall<RaceStatusJson>(rpc, "race_status", [{ cycle }]);
  const { commitments } = await rpcCall<{ commitments: CommitmentJson[] }>(rpc, "race_commitments", [
    { cycle },
  ]);
  const mine = who && commitments.find((c) => c.miner.toLowerCase() === toHex(who).toLowerCase());
  if (values.json) {
    process.stdout.write(
      `${JSON.stringify({ height: head.height, ...status, commitments, miner: mine ?? null }, null, 2)}\n`,
    );
    return 0;
  }
  const lines = [
    `cycle ${cycle} at height ${head.height}: phase ${status.phase}${status.settled ? ", weights settled" : ""}`,
    `  race ${status.raceStart}–${status.commitDeadline - 1} (commit by ${status.commitDeadline - 1}), reveal ${status.revealStart}–${status.revealEnd - 1}, fraud proofs until ${status.fraudEnd - 1}`,
    `  seed ${status.seeds[0] ?? "not yet (no beacon output in the race window)"}`,
    `  sample randomness ${status.sampleSeeds[0] ?? "not yet"}`,
    `  ${commitments.length} commitment${commitments.length === 1 ? "" : "s"}: ${commitments.map((c) => `${c.miner.slice(0, 10)}… ${c.count}${c.revealed ? " revealed" : ""}${c.fraud ? " FRAUD" : ""}`).join(", ") || "none"}`,
  ];
  if (who)
    lines.push(
      mine
        ? `  ${toChecksumAddress(who)}: committed ${mine.count}, ${mine.revealed ? "revealed" : "not revealed"}${mine.fraud ? `, fraud: ${mine.fraud}` : ""}${status.settled ? `, weight ${mine.weight}` : ""}`
        : `  ${toChecksumAddress(who)}: no commitment this cycle`,
    );
  process.stdout.write(`${lines.join("\n")}\n`);
  return 0;
}

const help = `racecoin race — compute, mine and verify race proofs

Usage:
  racecoin race hash   --preset P --seed HEX32 --miner 0xADDR --nonce N [--backend B] [--json]
  racecoin race run    --preset P --seconds S [--seed HEX32] [--miner 0xADDR] [--backend B] [--workers N] [--out FILE]
  racecoin race verify --preset P --seed HEX32 --miner 0xADDR --nonce N
  racecoin race verify --preset P --proofs FILE --randomness HEX32     (a sample reveal from "race run --out")
  racecoin race verify --preset P --fraud FILE                          (a fraud proof)
  racecoin race status [--cycle N] [--address 0xADDR] [--rpc URL] [--json]  (a running chain's race)

Options:
  --preset P        minimal | mainnet (default: minimal)
  --backend B       ${backendNames().join(" | ")} (default: reference)
  --seed HEX32      the race seed, 32 bytes hex (default for run: 32 zero bytes)
  --miner 0xADDR    the miner's address (its node seed derives from it)
  --nonce N         a nonce in [0, ${MAX_NONCE}]
  --seconds S       how long to mine
  --workers N       miner worker threads, each with its own model copy (default: 1 for onnx, which
                    already uses every core; all cores for reference)
  --out FILE        write the proof set, commitment and threshold as JSON
  --json            machine-readable output

"hash" prints { outputHash, distance, threshold, success } for one nonce. The threshold comes from
the race's calibration set (spec/race.md §Difficulty), so every command first computes it.
Exit codes: 0 ok / proof valid, 1 not a proof or verification failed, 2 usage error.

Examples:
  racecoin race hash --preset minimal --seed 0x$(printf '11%.0s' {1..32}) --miner 0x70997970C51812dc3A010C7d01b50e0d17dc79C8 --nonce 7 --json
  racecoin race run --preset minimal --seconds 10 --out proofs.json
  racecoin race verify --preset minimal --proofs proofs.json --randomness 0x$(printf 'ab%.0s' {1..32})
`;

function seedArg(v: string | undefined, dflt?: Uint8Array): Uint8Array {
  if (v === undefined) {
    if (dflt) return dflt;
    throw new UsageError("--seed HEX32 is required");
  }
  const b = asUsage(() => fromHex(v.startsWith("0x") ? v : `0x${v}`, "--seed"));
  if (b.length !== 32) throw new UsageError(`--seed: expected 32 bytes, got ${b.length}`);
  return b;
}

function minerArg(v: string | undefined, dflt?: Uint8Array): Uint8Array {
  if (v === undefined) {
    if (dflt) return dflt;
    throw new UsageError("--miner 0xADDRESS is required");
  }
  return asUsage(() => parseAddress(v, "--miner"));
}

function nonceArg(v: string | undefined): bigint {
  if (v === undefined) throw new UsageError("--nonce N is required");
  if (!/^\d+$/.test(v)) throw new UsageError(`--nonce: expected a whole number, got "${v}"`);
  const n = BigInt(v);
  if (n > MAX_NONCE) throw new UsageError(`--nonce: ${n} is out of range [0, ${MAX_NONCE}]`);
  return n;
}

function setup(values: { preset?: string; backend?: string }) {
  return asUsage(() => {
    const config = getPreset(values.preset ?? "minimal").race;
    checkRaceConfig(config);
    return { config, backend: getBackend(values.backend ?? "reference") };
  });
}

// biome-ignore lint/suspicious/noExplicitAny: a user's JSON file, checked field by field below
function jsonFile(path: string, flag: string): any {
  const text = readInputFile(path, flag);
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new UsageError(`${flag}: ${path} is not JSON (${(e as Error).message})`);
  }
}

/** A proofs file names the preset it was mined on: refuse a mismatch before loading any model. */
function checkPreset(file: { preset?: unknown }, preset: string, flag: string): void {
  if (file.preset !== undefined && file.preset !== preset)
    throw new UsageError(
      `${flag}: the file is for the ${String(file.preset)} preset, not ${preset}; pass --preset ${String(file.preset)}`,
    );
}

function phaseLine(
  p: { phase: string; done?: number; total?: number; elapsedMs: number },
  weightBytes: number,
): string {
  const secs = `${Math.round(p.elapsedMs / 1000)} s`;
  if (p.done === undefined || p.total === undefined) return `${p.phase}… ${secs}`;
  const pct = `${Math.round((100 * p.done) / p.total)}%`;
  if (p.phase === "loading") {
    const mb = (b: number) => `${Math.round(b / 1e6).toLocaleString("en-US")} MB`;
    return `loading: ${p.done}/${p.total} model layers built, ${mb((weightBytes * p.done) / p.total)} of ${mb(weightBytes)} of weights (${pct}, ${secs})`;
  }
  return `${p.phase}: ${p.done}/${p.total} calibration nonces (${pct}, ${secs})`;
}

/** A one-line progress bar on stderr (a plain line every few seconds when not a terminal). */
function progressPrinter(totalMs: number, weightBytes: number) {
  const tty = process.stderr.isTTY;
  let last = 0;
  return (p: { nonces: number; proofs: number; elapsedMs: number; noncesPerSec: number; phase: string }) => {
    const now = Date.now();
    if (now - last < (tty ? 100 : 5000)) return;
    last = now;
    if (p.phase !== "mining") {
      const line = phaseLine(p, weightBytes);
      process.stderr.write(tty ? `\r${line}`.padEnd(96) : `${line}\n`);
      return;
    }
    const frac = Math.min(1, p.elapsedMs / totalMs);
    const bar = "#".repeat(Math.round(frac * 30)).padEnd(30, ".");
    const left = Math.max(0, Math.ceil((totalMs - p.elapsedMs) / 1000));
    const line = `[${bar}] ${Math.round(frac * 100)}% ${Math.round(p.noncesPerSec)} nonces/s  proofs ${p.proofs}  nonces ${p.nonces}  ${left}s left`;
    process.stderr.write(tty ? `\r${line}` : `${line}\n`);
  };
}

/**
 * Load the race, compute its threshold, run a check: prints `{ [verdict]: true, …details }` and
 * exits 0, or `{ [verdict]: false, reason }` and exits 1 when the check throws a ProofError.
 */
async function judge(
  backend: RaceBackend,
  seed: Uint8Array,
  config: RaceConfig,
  verdict: string,
  check: (race: LoadedRace, threshold: bigint) => Promise<Record<string, unknown>>,
): Promise<number> {
  const started = Date.now();
  const say = (line: string) => process.stderr.write(`${line}\n`);
  let lastSaid = 0;
  const every = (fn: () => void) => {
    if (Date.now() - lastSaid < 2000) return;
    lastSaid = Date.now();
    fn();
  };
  say(`loading the ${config.layers}-layer race model (${backend.name} backend)…`);
  const race = await backend.load(seed, config, {
    onProgress: (layer) =>
      every(() =>
        say(
          `  model layers built: ${layer + 1}/${config.layers} (${Math.round((Date.now() - started) / 1000)} s)`,
        ),
      ),
  });
  try {
    say(`calibrating the threshold over ${config.calibrationNonces} nonces…`);
    const { threshold } = await calibrate(race, (done, total) =>
      every(() =>
        say(`  calibration nonces: ${done}/${total} (${Math.round((Date.now() - started) / 1000)} s)`),
      ),
    );
    const details = await check(race, threshold);
    process.stdout.write(`${JSON.stringify({ [verdict]: true, ...details })}\n`);
    return 0;
  } catch (e) {
    if (!(e instanceof ProofError)) throw e;
    process.stdout.write(`${JSON.stringify({ [verdict]: false, reason: e.message })}\n`);
    return 1;
  } finally {
    await race.close();
  }
}

const bigintJson = (_: string, v: unknown) =>
  typeof v === "bigint" ? v.toString() : v instanceof Uint8Array ? toHex(v) : v;

export const raceCommand: Command = {
  name: "race",
  summary: "compute, mine and verify race proofs",
  help,
  async run(argv) {
    const { values, positionals } = parse(argv, options, "race");
    const sub = positionals[0];
    if (sub === "status") return raceStatus(values);
    const { config, backend } = setup(values);
    const status = await backend.available();
    if (!status.ok) throw new UsageError(`backend ${backend.name} is unavailable: ${status.reason}`);

    if (sub === "hash" || (sub === "verify" && values.nonce !== undefined)) {
      const seed = seedArg(values.seed);
      const miner = minerArg(values.miner);
      const nonce = nonceArg(values.nonce);
      const race = await backend.load(seed, config);
      const { threshold } = await calibrate(race);
      const { distances, outputs } = await race.evaluate(nodeSeed(miner), [nonce], { outputs: true });
      await race.close();
      const result = {
        outputHash: toHex(outputHash(outputs!)),
        distance: distances[0]!,
        threshold: threshold.toString(),
        success: BigInt(distances[0]!) < threshold,
      };
      process.stdout.write(
        values.json || sub === "hash"
          ? `${JSON.stringify(result)}\n`
          : `${result.success ? "proof" : "not a proof"}: distance ${result.distance}, threshold ${result.threshold}\n`,
      );
      return result.success ? 0 : 1;
    }

    if (sub === "run") {
      if (!values.seconds || !/^\d+(\.\d+)?$/.test(values.seconds) || Number(values.seconds) <= 0)
        throw new UsageError(
          `race run: --seconds S is required (a number above 0), got "${values.seconds ?? ""}"`,
        );
      const seconds = Number(values.seconds);
      const workers = values.workers === undefined ? undefined : Number(values.workers);
      if (workers !== undefined && (!Number.isInteger(workers) || workers < 1 || workers > 256))
        throw new UsageError("--workers: expected 1-256");
      const seed = seedArg(values.seed, new Uint8Array(32));
      const miner = minerArg(values.miner, new Uint8Array(20));
      const ac = new AbortController();
      process.once("SIGINT", () => ac.abort());
      const r = await mine({
        backend: backend.name,
        raceSeed: seed,
        config,
        miner,
        durationMs: seconds * 1000,
        workers,
        signal: ac.signal,
        onProgress: progressPrinter(seconds * 1000, parameterCount(config)),
      });
      process.stderr.write("\n");
      const summary = {
        preset: values.preset ?? "minimal",
        backend: backend.name,
        seed: toHex(seed),
        miner: toHex(miner),
        nonces: r.nonces,
        proofs: r.proofs.length,
        noncesPerSec: Math.round(r.noncesPerSec),
        opsPerNonce: 2 * macsPerNonce(config),
        threshold: r.threshold.toString(),
        commitment: { count: r.commitment.count, root: toHex(r.commitment.root) },
      };
      if (values.out)
        writeFileSync(values.out, `${JSON.stringify({ ...summary, nonceList: r.proofs }, bigintJson, 2)}\n`);
      process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
      return 0;
    }

    if (sub === "verify" && values.proofs) {
      if (!values.randomness)
        throw new UsageError("race verify --proofs needs --randomness HEX32 (the post-commit beacon value)");
      const randomness = seedArg(values.randomness);
      const file = jsonFile(values.proofs, "--proofs");
      checkPreset(file, values.preset ?? "minimal", "--proofs");
      const { seed, miner, nonces, commitment } = asUsage(() => {
        if (!Array.isArray(file.nonceList))
          throw new Error("--proofs: the file has no nonceList (write it with race run --out)");
        if (typeof file.commitment?.count !== "number" || typeof file.commitment?.root !== "string")
          throw new Error("--proofs: the file has no commitment { count, root }");
        return {
          seed: seedArg(file.seed),
          miner: minerArg(file.miner),
          nonces: (file.nonceList as unknown[]).map((n) => BigInt(n as string)),
          commitment: {
            count: file.commitment.count,
            root: fromHex(file.commitment.root, "commitment.root"),
          } as Commitment,
        };
      });
      // The miner's side: reveal what the randomness asks for, with a multiproof.
      const revealed = sampleIndices(randomness, miner, commitment.count, config.samples);
      const tree = buildTree(nonces);
      const reveal = {
        nonces: new Map(revealed.map((i) => [i, nonces[i]!])),
        proof: multiproof(tree, revealed),
      };
      // The verifier's side.
      return judge(backend, seed, config, "valid", async (race, threshold) => {
        await verifySample(race, threshold, miner, commitment, randomness, reveal);
        return { revealed: revealed.length, count: commitment.count };
      });
    }

    if (sub === "verify" && values.fraud) {
      const f = jsonFile(values.fraud, "--fraud");
      checkPreset(f, values.preset ?? "minimal", "--fraud");
      const { seed, fraud } = asUsage(() => {
        const shape =
          '{ kind: "nonce" | "order", seed, miner, commitment: { count, root }, index, nonce, proof: [hex…] }';
        const need = (ok: boolean, what: string) => {
          if (!ok) throw new Error(`--fraud: ${what}; a fraud proof file is ${shape}`);
        };
        need(f.kind === "nonce" || f.kind === "order", 'kind must be "nonce" or "order"');
        need(
          typeof f.commitment?.count === "number" && typeof f.commitment?.root === "string",
          "commitment { count, root } is missing",
        );
        need(Number.isInteger(f.index), "index is missing");
        need(Array.isArray(f.proof), "proof (a list of hex proof nodes) is missing");
        need(typeof f.nonce === "string" || typeof f.nonce === "number", "the nonce is missing");
        return {
          seed: seedArg(f.seed),
          fraud: {
            kind: f.kind,
            miner: minerArg(f.miner),
            commitment: { count: f.commitment.count, root: fromHex(f.commitment.root, "commitment.root") },
            index: f.index,
            nonce: BigInt(f.nonce),
            proof: (f.proof as string[]).map((h) => fromHex(h, "proof")),
          } as FraudProof,
        };
      });
      return judge(backend, seed, config, "fraud", async (race, threshold) => ({
        reason: await verifyFraudProof(race, threshold, fraud),
      }));
    }
    throw new UsageError(
      `race: expected hash | run | verify | status${sub ? `, got "${sub}"` : ""}\nRun "racecoin race --help".`,
    );
  },
};
