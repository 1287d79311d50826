import { type Command, parse, UsageError } from "../args.ts";
import { rpcCall } from "../rpcClient.ts";

export const chainCommand: Command = {
  name: "chain",
  summary: "query a running node (status)",
  help: `racecoin chain — query a running node

Usage: racecoin chain status [--rpc URL]

Prints chain_getStatus as JSON: chain id, height, finalized height, peers, syncing, preset.

Examples:
  racecoin chain status
  racecoin chain status --rpc http://127.0.0.1:8546
`,
  async run(argv) {
    const { values, positionals } = parse(argv, { rpc: { type: "string" } }, "chain");
    if (positionals[0] !== "status")
      throw new UsageError('chain: expected the subcommand "status"\nRun "racecoin chain --help".');
    const status = await rpcCall(values.rpc ?? "http://127.0.0.1:8545", "chain_getStatus");
    process.stdout.write(`${JSON.stringify(status, null, 2)}\n`);
    return 0;
  },
};
