/** racecoin: the command-line entry point. Usage errors exit 2, failures exit 1. */
import { ChainStartError, GenesisError } from "../chain/index.ts";
import { NodeStartError } from "../node/index.ts";
import { type Command, UsageError } from "./args.ts";
import { beaconCommand } from "./commands/beacon.ts";
import { chainCommand } from "./commands/chain.ts";
import { devnetCommand } from "./commands/devnet.ts";
import { keysCommand } from "./commands/keys.ts";
import { nodeCommand } from "./commands/node.ts";
import { raceCommand } from "./commands/race.ts";
import { txCommand } from "./commands/tx.ts";

const commands: Command[] = [
  devnetCommand,
  nodeCommand,
  keysCommand,
  txCommand,
  chainCommand,
  beaconCommand,
  raceCommand,
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
  const command = commands.find((c) => c.name === name);
  if (!command) {
    process.stderr.write(`racecoin: unknown command "${name}"\n\n${usage()}`);
    return 2;
  }
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
    if (e instanceof GenesisError || e instanceof ChainStartError || e instanceof NodeStartError) {
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
