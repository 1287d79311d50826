import { homedir } from "node:os";
import { join } from "node:path";
import { createLogger } from "../../logger/index.ts";
import { defaultNodeOptions, type NodeOptions, RacecoinNode } from "../../node/index.ts";
import { type Command, parse, parseHostPort, parsePort, parsePositiveInt, UsageError } from "../args.ts";
import { runUntilSignal } from "../lifecycle.ts";

const options = {
  genesis: { type: "string" },
  datadir: { type: "string" },
  "rpc-addr": { type: "string" },
  "rpc-port": { type: "string" },
  preset: { type: "string" },
  "block-time-ms": { type: "string" },
  proposer: { type: "string" },
  "recovery-workers": { type: "string" },
  "no-fsync": { type: "boolean" },
  "log-level": { type: "string" },
  "log-format": { type: "string" },
} as const;

export function nodeOptionsFrom(
  values: ReturnType<typeof parse<typeof options>>["values"],
  dflt: { genesis: string; datadir: string },
): NodeOptions {
  const rpc = parseHostPort(values["rpc-addr"], defaultNodeOptions.rpc.host, defaultNodeOptions.rpc.port);
  if (values["rpc-port"] !== undefined) rpc.port = parsePort(values["rpc-port"], "--rpc-port", rpc.port);
  const logFormat = values["log-format"];
  if (logFormat !== undefined && logFormat !== "pretty" && logFormat !== "json")
    throw new UsageError('--log-format: expected "pretty" or "json"');
  const workers =
    values["recovery-workers"] === undefined
      ? defaultNodeOptions.recoveryWorkers
      : Number(values["recovery-workers"]);
  if (!Number.isInteger(workers) || workers < 0 || workers > 64)
    throw new UsageError("--recovery-workers: expected an integer 0-64");
  return {
    ...defaultNodeOptions,
    genesisPath: values.genesis ?? dflt.genesis,
    datadir: values.datadir ?? dflt.datadir,
    preset: values.preset,
    rpc: { ...defaultNodeOptions.rpc, ...rpc },
    blockTimeMs: parsePositiveInt(values["block-time-ms"], "--block-time-ms"),
    proposer: values.proposer,
    recoveryWorkers: workers,
    dbSync: !values["no-fsync"],
    logLevel: values["log-level"] ?? "info",
    logFormat,
  };
}

export const nodeCommand: Command = {
  name: "node",
  summary: "run a node (single-node block production until the BFT engine lands)",
  help: `racecoin node — run a node

Usage: racecoin node [options]

Options:
  --genesis FILE          genesis file (default: genesis/devnet.json)
  --datadir DIR           where the chain database lives (default: ~/.racecoin/<genesis name>)
  --rpc-addr HOST[:PORT]  JSON-RPC listen address (default: 127.0.0.1:8545)
  --rpc-port PORT         JSON-RPC port (overrides the port in --rpc-addr)
  --preset NAME           minimal | mainnet (default: the genesis file's preset)
  --block-time-ms N       block interval override in milliseconds
  --proposer ADDRESS      proposer address (default: the first genesis validator)
  --recovery-workers N    signature-recovery worker threads (default: 2; 0 = main thread)
  --no-fsync              do not fsync block batches (faster; still safe against process kills)
  --log-level LEVEL       trace | debug | info | warn | error (default: info)
  --log-format FORMAT     pretty | json (default: pretty on a terminal, json otherwise)

Examples:
  racecoin node
  racecoin node --genesis genesis/devnet.json --datadir /tmp/rc --rpc-port 9545
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
