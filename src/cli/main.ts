/**
 * racecoin: the command-line entry point. Usage errors exit 2, failures exit 1.
 * A command's module (and what it imports: libp2p, LevelDB, onnxruntime, …) loads only when that
 * command runs, so `racecoin --help` and light commands start fast.
 */
import { OperatorError } from "../types/index.ts";
import { type Command, UsageError } from "./args.ts";

interface CommandEntry {
  name: string;
  summary: string;
  load(): Promise<Command>;
}

const commands: CommandEntry[] = [
  {
    name: "devnet",
    summary: "run a local network of validator processes with funded dev accounts (what `npm start` runs)",
    load: async () => (await import("./commands/devnet.ts")).devnetCommand,
  },
  {
    name: "node",
    summary: "run a node: joins the network over libp2p, follows and (with a key) validates",
    load: async () => (await import("./commands/node.ts")).nodeCommand,
  },
  {
    name: "keys",
    summary: "create, list and import account keys (encrypted keystore files)",
    load: async () => (await import("./commands/keys.ts")).keysCommand,
  },
  {
    name: "tx",
    summary: "sign and send transactions",
    load: async () => (await import("./commands/tx.ts")).txCommand,
  },
  {
    name: "balance",
    summary: "an account's balance and nonce on a running node",
    load: async () => (await import("./commands/balance.ts")).balanceCommand,
  },
  {
    name: "chain",
    summary: "read a running node: status, validators, commit certificates, blocks",
    load: async () => (await import("./commands/chain.ts")).chainCommand,
  },
  {
    name: "beacon",
    summary: "the randomness beacon: the latest output, and verify an output against the group key",
    load: async () => (await import("./commands/beacon.ts")).beaconCommand,
  },
  {
    name: "race",
    summary: "compute, mine and verify race proofs",
    load: async () => (await import("./commands/race.ts")).raceCommand,
  },
  {
    name: "tasks",
    summary: "pay for inference: task escrow and API keys",
    load: async () => (await import("./commands/tasks.ts")).tasksCommand,
  },
  {
    name: "rewards",
    summary: "issuance, pools and rewards per cycle",
    load: async () => (await import("./commands/rewards.ts")).rewardsCommand,
  },
  {
    name: "gov",
    summary: "governance: propose, deposit, vote, status",
    load: async () => (await import("./commands/gov.ts")).govCommand,
  },
  {
    name: "train",
    summary: "training jobs: status of jobs and rounds",
    load: async () => (await import("./commands/train.ts")).trainCommand,
  },
  {
    name: "serve-model",
    summary: "serve the built-in model over an OpenAI-compatible HTTP API (an upstream for executors)",
    load: async () => (await import("./commands/serveModel.ts")).serveModelCommand,
  },
];

function usage(): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return `racecoin — a Proof-of-Work 2.0 appchain node

Usage: racecoin <command> [options]

Commands:
${commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`).join("\n")}

Run "racecoin <command> --help" for a command's options and examples.
`;
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === "--help" || name === "-h" || name === "help") {
    process.stdout.write(usage());
    return name ? 0 : 2;
  }
  const entry = commands.find((c) => c.name === name);
  if (!entry) {
    process.stderr.write(`racecoin: unknown command "${name}"\n\n${usage()}`);
    return 2;
  }
  const command = await entry.load();
  if (rest.includes("--help") || rest.includes("-h")) {
    process.stdout.write(command.help);
    return 0;
  }
  try {
    return await command.run(rest);
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`racecoin ${name}: ${e.message}\n`);
      return 2;
    }
    if (e instanceof OperatorError) {
      process.stderr.write(`racecoin ${name}: ${e.message}\n`);
      return 1;
    }
    process.stderr.write(`racecoin ${name}: ${(e as Error).message ?? String(e)}\n`);
    return 1;
  }
}

main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
  // Nodes hold handles until stopped; once main resolves everything is closed.
  setTimeout(() => process.exit(code), 200).unref();
});
