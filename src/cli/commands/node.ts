import { readFileSync, statSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import {
  type BlsKeyPair,
  blsKeyFromSecret,
  deriveBlsKeys,
  deriveKeys,
  isValidPrivateKey,
  TEST_MNEMONIC,
} from "../../crypto/index.ts";
import { createLogger } from "../../logger/index.ts";
import { defaultNodeOptions, type NodeOptions, RacecoinNode } from "../../node/index.ts";
import {
  RACE_CHEATS,
  type RaceCheat,
  TASK_CHEATS,
  type TaskCheat,
  TRAINING_CHEATS,
  type TrainingCheat,
} from "../../services/index.ts";
import { fromHex } from "../../types/index.ts";
import {
  asUsage,
  type Command,
  parse,
  parseHostPort,
  parsePort,
  parsePositiveInt,
  readInputFile,
  UsageError,
} from "../args.ts";
import { runUntilSignal } from "../lifecycle.ts";

const options = {
  genesis: { type: "string" },
  datadir: { type: "string" },
  "rpc-addr": { type: "string" },
  "rpc-port": { type: "string" },
  "rpc-ws-backlog": { type: "string" },
  preset: { type: "string" },
  "block-time-ms": { type: "string" },
  "p2p-addr": { type: "string" },
  "p2p-port": { type: "string" },
  bootstrap: { type: "string", multiple: true },
  "validator-key": { type: "string" },
  "dev-validator": { type: "string" },
  "admin-rpc": { type: "boolean" },
  "recovery-workers": { type: "string" },
  "no-fsync": { type: "boolean" },
  "log-level": { type: "string" },
  "log-format": { type: "string" },
  mine: { type: "boolean" },
  "serve-tasks": { type: "boolean" },
  "miner-key-file": { type: "string" },
  "race-backend": { type: "string" },
  "race-workers": { type: "string" },
  "race-duty": { type: "string" },
  "race-verify": { type: "string" },
  "unit-price": { type: "string" },
  "inference-upstream": { type: "string" },
  "dummy-tasks": { type: "string" },
  "dummy-fund-key": { type: "string" },
  "dummy-marked": { type: "boolean" },
  "models-dir": { type: "string" },
  train: { type: "boolean" },
} as const;

/** The node's account: a key file, or dev account N with --dev-validator N. */
function accountKeyFrom(
  values: { "miner-key-file"?: string; "dev-validator"?: string },
  flag: string,
): Uint8Array {
  if (values["miner-key-file"]) {
    const hex = readInputFile(values["miner-key-file"], "--miner-key-file").trim();
    const key = asUsage(() => fromHex(hex.startsWith("0x") ? hex : `0x${hex}`, "--miner-key-file"));
    if (!isValidPrivateKey(key)) throw new UsageError("--miner-key-file: expected a secp256k1 private key");
    return key;
  }
  if (values["dev-validator"] !== undefined)
    return deriveKeys(TEST_MNEMONIC, Number(values["dev-validator"]) + 1)[Number(values["dev-validator"])]!;
  throw new UsageError(
    `${flag} needs the node's account: --miner-key-file FILE (or --dev-validator N on a devnet)`,
  );
}

/** --train: join training jobs with the node's account (the mining one when it mines). */
function trainFrom(values: {
  train?: boolean;
  "miner-key-file"?: string;
  "dev-validator"?: string;
}): Pick<NodeOptions, "train"> {
  const cheat = process.env.RACECOIN_TRAIN_CHEAT;
  if (!values.train) {
    if (cheat) throw new UsageError("RACECOIN_TRAIN_CHEAT needs --train (test-only)");
    return {};
  }
  // Test-only (test/e2e/training.test.ts); deliberately not a documented flag.
  if (cheat !== undefined && !TRAINING_CHEATS.includes(cheat as TrainingCheat))
    throw new UsageError(`RACECOIN_TRAIN_CHEAT: ${TRAINING_CHEATS.join(" | ")} (test-only)`);
  return {
    train: {
      accountKey: accountKeyFrom(values, "--train"),
      ...(cheat ? { cheat: cheat as TrainingCheat } : {}),
    },
  };
}

/** --mine: the account that commits (a key file, or dev account N with --dev-validator N). */
function minerFrom(values: {
  mine?: boolean;
  train?: boolean;
  "serve-tasks"?: boolean;
  "inference-upstream"?: string;
  "miner-key-file"?: string;
  "dev-validator"?: string;
  "race-backend"?: string;
  "race-workers"?: string;
  "race-duty"?: string;
  "race-verify"?: string;
  "unit-price"?: string;
}): NodeOptions["mine"] {
  if (!values.mine && !values["serve-tasks"]) {
    if (values["inference-upstream"] !== undefined)
      throw new UsageError("--inference-upstream needs --mine or --serve-tasks (only executors generate)");
    for (const f of [
      "miner-key-file",
      "race-backend",
      "race-workers",
      "race-duty",
      "race-verify",
      "unit-price",
    ] as const)
      if (values[f] !== undefined && !(f === "miner-key-file" && values.train))
        throw new UsageError(`--${f} needs --mine`);
    return undefined;
  }
  if (!values.mine)
    for (const f of ["race-backend", "race-workers", "race-duty", "race-verify", "unit-price"] as const)
      if (values[f] !== undefined) throw new UsageError(`--${f} needs --mine (--serve-tasks does not race)`);
  const accountKey = accountKeyFrom(values, values.mine ? "--mine" : "--serve-tasks");
  const backend = values["race-backend"] ?? "reference";
  if (backend !== "reference" && backend !== "onnx") throw new UsageError("--race-backend: reference | onnx");
  const workers = parsePositiveInt(values["race-workers"], "--race-workers") ?? 1;
  const duty = values["race-duty"] === undefined ? 1 : Number(values["race-duty"]);
  if (!(duty > 0 && duty <= 1)) throw new UsageError("--race-duty: a fraction in (0, 1], e.g. 0.5");
  const verify = values["race-verify"] ?? "chosen";
  if (verify !== "chosen" && verify !== "all")
    throw new UsageError("--race-verify: chosen (the miners your VRF picks) | all (every reveal)");
  // Test-only cheating (test/e2e/race-cycle.test.ts); deliberately not a documented flag.
  const cheats = process.env.RACECOIN_RACE_CHEAT?.split(",") as RaceCheat[] | undefined;
  if (cheats?.some((c) => !RACE_CHEATS.includes(c)))
    throw new UsageError(`RACECOIN_RACE_CHEAT: comma list of ${RACE_CHEATS.join(" | ")} (test-only)`);
  // Test-only (test/e2e/openai.test.ts): a comma list of NAME or NAME@CYCLE (from that cycle on).
  const taskCheats = (process.env.RACECOIN_TASK_CHEAT ?? "")
    .split(",")
    .filter(Boolean)
    .map((c) => {
      const [name, cycle] = c.split("@");
      if (!TASK_CHEATS.includes(name as TaskCheat) || (cycle !== undefined && !/^\d+$/.test(cycle)))
        throw new UsageError(
          `RACECOIN_TASK_CHEAT: a comma list of ${TASK_CHEATS.join(" | ")}, each optionally @CYCLE (test-only)`,
        );
      return { cheat: name as TaskCheat, fromCycle: Number(cycle ?? 0) };
    });
  const price = values["unit-price"];
  if (price !== undefined && (!/^[1-9][0-9]{0,30}$/.test(price) || BigInt(price) > 10n ** 30n))
    throw new UsageError("--unit-price: wei per unit of compute, a whole number from 1 to 10^30");
  const upstream = values["inference-upstream"];
  if (upstream !== undefined && !/^https?:\/\/[^\s]+\/v1$/.test(upstream))
    throw new UsageError(
      `--inference-upstream: an OpenAI-compatible base URL ending in /v1, e.g. http://127.0.0.1:8000/v1; got "${upstream}"`,
    );
  return {
    accountKey,
    race: values.mine === true,
    ...(upstream ? { inferenceUpstream: upstream } : {}),
    backend,
    workers,
    duty,
    verify,
    ...(price ? { unitPrice: BigInt(price) } : {}),
    ...(cheats ? { cheats } : {}),
    ...(taskCheats.length > 0 ? { taskCheats } : {}),
  };
}

/** --dummy-tasks PER_MIN --dummy-fund-key FILE [--dummy-marked] (spec/tasks.md §Dummy tasks). */
function dummyFrom(values: {
  "dummy-tasks"?: string;
  "dummy-fund-key"?: string;
  "dummy-marked"?: boolean;
}): Pick<NodeOptions, "dummy"> {
  if (values["dummy-tasks"] === undefined) {
    if (values["dummy-fund-key"] || values["dummy-marked"])
      throw new UsageError("--dummy-fund-key and --dummy-marked need --dummy-tasks PER_MIN");
    return {};
  }
  const perMinute = Number(values["dummy-tasks"]);
  if (!(perMinute > 0 && perMinute <= 6000))
    throw new UsageError("--dummy-tasks: dummy tasks per minute, a number in (0, 6000]");
  if (!values["dummy-fund-key"])
    throw new UsageError("--dummy-tasks needs --dummy-fund-key FILE: the account that pays for them");
  const hex = readInputFile(values["dummy-fund-key"], "--dummy-fund-key").trim();
  const fundKey = asUsage(() => fromHex(hex.startsWith("0x") ? hex : `0x${hex}`, "--dummy-fund-key"));
  if (!isValidPrivateKey(fundKey)) throw new UsageError("--dummy-fund-key: expected a secp256k1 private key");
  return { dummy: { perMinute, fundKey, mode: values["dummy-marked"] ? "marked" : "hidden" } };
}

/** --validator-key FILE (JSON { "blsSecretKey": "0x…" }) or --dev-validator N (public dev keys). */
function validatorKeyFrom(values: {
  "validator-key"?: string;
  "dev-validator"?: string;
}): BlsKeyPair | undefined {
  if (values["validator-key"] && values["dev-validator"])
    throw new UsageError("--validator-key and --dev-validator are alternatives; pass one");
  const dev = values["dev-validator"];
  if (dev !== undefined) {
    const i = Number(dev);
    if (!Number.isInteger(i) || i < 0 || i > 255)
      throw new UsageError("--dev-validator: expected an index 0-255");
    return deriveBlsKeys(TEST_MNEMONIC, i + 1)[i];
  }
  const file = values["validator-key"];
  if (file === undefined) return undefined;
  return asUsage(() => {
    let json: { blsSecretKey?: unknown };
    try {
      json = JSON.parse(readFileSync(file, "utf8"));
    } catch (e) {
      throw new Error(`--validator-key: cannot read ${file}: ${(e as Error).message}`);
    }
    if (typeof json.blsSecretKey !== "string")
      throw new Error(`--validator-key: ${file} must hold { "blsSecretKey": "0x<32 bytes hex>" }`);
    return blsKeyFromSecret(fromHex(json.blsSecretKey, "blsSecretKey"));
  });
}

/** --models-dir DIR: an existing directory holding `<model id>/` folders. */
function modelsDirFrom(dir: string | undefined): Pick<NodeOptions, "modelsDir"> {
  if (dir === undefined) return {};
  let ok = false;
  try {
    ok = statSync(dir).isDirectory();
  } catch {}
  if (!ok) throw new UsageError(`--models-dir: ${dir} is not a directory (it holds one folder per model id)`);
  return { modelsDir: dir };
}

export function nodeOptionsFrom(
  values: ReturnType<typeof parse<typeof options>>["values"],
  dflt: { genesis: string; datadir: string },
): NodeOptions {
  const rpc = parseHostPort(values["rpc-addr"], defaultNodeOptions.rpc.host, defaultNodeOptions.rpc.port);
  if (values["rpc-port"] !== undefined) rpc.port = parsePort(values["rpc-port"], "--rpc-port", rpc.port);
  const backlog = parsePositiveInt(values["rpc-ws-backlog"], "--rpc-ws-backlog");
  const logFormat = values["log-format"];
  if (logFormat !== undefined && logFormat !== "pretty" && logFormat !== "json")
    throw new UsageError('--log-format: expected "pretty" or "json"');
  const workers =
    values["recovery-workers"] === undefined
      ? defaultNodeOptions.recoveryWorkers
      : Number(values["recovery-workers"]);
  if (!Number.isInteger(workers) || workers < 0 || workers > 64)
    throw new UsageError("--recovery-workers: expected an integer 0-64");
  const p2p = parseHostPort(values["p2p-addr"], defaultNodeOptions.p2p.host, defaultNodeOptions.p2p.port);
  if (values["p2p-port"] !== undefined) p2p.port = parsePort(values["p2p-port"], "--p2p-port", p2p.port);
  const bootstrap = (values.bootstrap ?? []).flatMap((b) => b.split(",")).filter((b) => b.length > 0);
  for (const b of bootstrap)
    if (!/^\/(ip4|ip6|dns4|dns6|dns)\/[^/]+\/tcp\/\d+(\/p2p\/\w+)?$/.test(b))
      throw new UsageError(`--bootstrap: "${b}" is not a TCP multiaddr like /ip4/127.0.0.1/tcp/26656`);
  return {
    ...defaultNodeOptions,
    genesisPath: values.genesis ?? dflt.genesis,
    datadir: values.datadir ?? dflt.datadir,
    preset: values.preset,
    rpc: { ...defaultNodeOptions.rpc, ...rpc, ...(backlog ? { ws: { maxBacklogBytes: backlog } } : {}) },
    blockTimeMs: parsePositiveInt(values["block-time-ms"], "--block-time-ms"),
    p2p: { host: p2p.host, port: p2p.port, bootstrap },
    validatorKey: validatorKeyFrom(values),
    adminRpc: values["admin-rpc"] ?? false,
    recoveryWorkers: workers,
    dbSync: !values["no-fsync"],
    logLevel: values["log-level"] ?? "info",
    logFormat,
    // Test-only fault injection (test/e2e/network.test.ts); deliberately not a documented flag.
    byzantine: process.env.RACECOIN_BYZANTINE === "double-prevote" ? "double-prevote" : undefined,
    ...beaconSilence(),
    mine: minerFrom(values),
    ...trainFrom(values),
    ...dummyFrom(values),
    ...modelsDirFrom(values["models-dir"]),
  };
}

export const nodeCommand: Command = {
  name: "node",
  summary: "run a node: joins the network over libp2p, follows and (with a key) validates",
  help: `racecoin node — run a node

Usage: racecoin node [options]

Options:
  --genesis FILE          genesis file (default: genesis/devnet.json)
  --datadir DIR           where the chain database lives (default: ~/.racecoin/<genesis name>)
  --rpc-addr HOST[:PORT]  JSON-RPC listen address (default: 127.0.0.1:8545)
  --rpc-port PORT         JSON-RPC port (overrides the port in --rpc-addr); WebSocket on the same port
  --rpc-ws-backlog BYTES  drop a WebSocket client whose unsent backlog exceeds this (default: 8 MiB)
  --preset NAME           minimal | mainnet (default: the genesis file's preset)
  --p2p-addr HOST[:PORT]  libp2p TCP listen address (default: 127.0.0.1:26656)
  --p2p-port PORT         libp2p port (overrides the port in --p2p-addr; 0 = any free port)
  --bootstrap MULTIADDR   peer to dial and keep dialling, e.g. /ip4/127.0.0.1/tcp/26657
                          (repeat the flag or separate with commas)
  --validator-key FILE    validate with this BLS key: JSON { "blsSecretKey": "0x…" }
  --dev-validator N       validate with dev BLS key N (from the public test mnemonic; devnets only)
  --block-time-ms N       pause after each commit in milliseconds (default: the preset's)
  --admin-rpc             serve admin_banPeer / admin_unbanPeer (keep the RPC on loopback)
  --recovery-workers N    signature-recovery worker threads (default: 2; 0 = main thread)
  --no-fsync              do not fsync block batches (faster; still safe against process kills)
  --log-level LEVEL       trace | debug | info | warn | error (default: info)
  --log-format FORMAT     pretty | json (default: pretty on a terminal, json otherwise)
  --mine                  race every cycle: mine from the beacon seed, commit, reveal (spec/race-cycle.md);
                          a mining node also executes inference tasks and verifies them (spec/tasks.md)
  --serve-tasks           execute and verify inference tasks with the account, without racing
  --inference-upstream URL  generate tasks on an OpenAI-compatible server (vLLM, llama.cpp,
                          racecoin serve-model), e.g. http://127.0.0.1:8000/v1
  --miner-key-file FILE   the account that commits (0x-hex private key; devnets: --dev-validator N's account)
  --race-backend NAME     reference | onnx (default: reference)
  --race-workers N        miner worker threads (default: 1)
  --race-duty F           fraction of time the workers compute (default: 1), leaving cores to consensus
  --race-verify MODE      chosen: verify the miners your BLS-VRF picks (default) | all: every reveal;
                          a bad sample sends a fraud proof, a verified one an attestation
  --models-dir DIR        registered models' files, one folder per model id in Hugging Face ONNX layout
                          (config.json, tokenizer.json, model.onnx); files must match the registry's
                          hashes (default: genesis/models, which holds racecoin-float-tiny)
  --train                 join the training jobs governance grants from the fund with the node's
                          account (--miner-key-file or --dev-validator N): train each round, commit,
                          share pseudo-gradients with peers, score them when drawn (spec/training.md)
  --unit-price WEI        vote this price per unit of compute for inference (spec/inference.md §Price)
  --dummy-tasks PER_MIN   send dummy inference tasks shaped like the real requests this node relays,
                          paid by fresh accounts funded from --dummy-fund-key FILE (spec/tasks.md);
                          --dummy-marked flags them so executors serve real requests first

Examples:
  racecoin node
  racecoin node --genesis genesis/devnet.json --datadir /tmp/rc --rpc-port 9545 \\
    --p2p-port 26660 --bootstrap /ip4/127.0.0.1/tcp/26656
  curl -s localhost:8545 -H 'content-type: application/json' \\
    -d '{"jsonrpc":"2.0","id":1,"method":"chain_getStatus"}'
`,
  async run(argv) {
    const { values } = parse(argv, options, "node");
    const opts = nodeOptionsFrom(values, { genesis: "genesis/devnet.json", datadir: "" });
    if (!values.datadir) {
      const { loadGenesisFile } = await import("../../chain/index.ts");
      opts.datadir = join(homedir(), ".racecoin", loadGenesisFile(opts.genesisPath).name);
    }
    const log = createLogger({ level: opts.logLevel, format: opts.logFormat });
    const node = new RacecoinNode(opts, log);
    return runUntilSignal(node, log);
  },
};

export { options as nodeFlags };

/** Test-only: RACECOIN_BEACON_SILENT=1,3 keeps this node's beacon partials back in cycles 1 and 3. */
function beaconSilence(): { beaconSilentCycles?: number[] } {
  const v = process.env.RACECOIN_BEACON_SILENT;
  if (v === undefined) return {};
  const cycles = v.split(",").map(Number);
  if (cycles.some((c) => !Number.isInteger(c) || c < 0))
    throw new UsageError("RACECOIN_BEACON_SILENT: comma list of cycle numbers (test-only)");
  return { beaconSilentCycles: cycles };
}
