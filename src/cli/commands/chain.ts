import { type Command, parse, UsageError } from "../args.ts";
import { rpcCall } from "../rpcClient.ts";

const DEFAULT_RPC = "http://127.0.0.1:8545";

interface ValidatorsJson {
  height: number;
  totalWeight: string;
  hash: string;
  validators: { index: number; address: string; weight: string; blsKey: string }[];
}

function heightArg(values: { height?: string }, positional: string | undefined): number | "latest" {
  const v = values.height ?? positional;
  if (v === undefined || v === "latest") return "latest";
  if (!/^\d+$/.test(v)) throw new UsageError(`expected a block height or "latest", got "${v}"`);
  return Number(v);
}

function print(json: boolean, value: unknown, human: () => string): void {
  process.stdout.write(json ? `${JSON.stringify(value, null, 2)}\n` : `${human()}\n`);
}

export const chainCommand: Command = {
  name: "chain",
  summary: "read a running node: status, validators, commit certificates, blocks",
  help: `racecoin chain — read a running node

Usage:
  racecoin chain status                        chain_getStatus as JSON (height, finalized, peers, …)
  racecoin chain validators [HEIGHT|latest]    the validator set of a height, with weights and shares
  racecoin chain commit [HEIGHT|latest]        the certificate that finalised a block
  racecoin chain block [HEIGHT|latest]         a block's header fields and transaction count

Options:
  --rpc URL     node to ask (default: ${DEFAULT_RPC})
  --json        print the node's JSON answer instead of the summary

Examples:
  racecoin chain status
  racecoin chain validators 120 --json
  racecoin chain commit --rpc http://127.0.0.1:8546
  racecoin chain block 42
`,
  async run(argv) {
    const { values, positionals } = parse(
      argv,
      { rpc: { type: "string" }, json: { type: "boolean" }, height: { type: "string" } },
      "chain",
    );
    const rpc = values.rpc ?? DEFAULT_RPC;
    const json = values.json === true;
    const [sub, arg] = positionals;
    if (sub === "status") {
      const status = await rpcCall(rpc, "chain_getStatus");
      process.stdout.write(`${JSON.stringify(status, null, 2)}\n`);
      return 0;
    }
    if (sub === "validators") {
      const h = heightArg(values, arg);
      const v = await rpcCall<ValidatorsJson>(rpc, "chain_getValidators", h === "latest" ? [] : [h]);
      const total = BigInt(v.totalWeight);
      print(json, v, () =>
        [
          `validator set at height ${v.height} (hash ${v.hash}), total weight ${v.totalWeight}`,
          ...v.validators.map(
            (x) =>
              `  ${String(x.index).padStart(3)}  ${x.address}  weight ${x.weight.padStart(8)}  ${((Number((BigInt(x.weight) * 10000n) / total) / 100).toFixed(2)).padStart(6)}%`,
          ),
        ].join("\n"),
      );
      return 0;
    }
    if (sub === "commit") {
      const h = heightArg(values, arg);
      const c = await rpcCall<{
        height: number;
        blockHash: string;
        round: number;
        signers: string;
        signature: string;
      } | null>(rpc, "chain_getCommit", h === "latest" ? [] : [h]);
      if (!c) {
        process.stderr.write(
          `no certificate for height ${h} on this node (genesis has none; is the height final yet?)\n`,
        );
        return 1;
      }
      const bits = [...Buffer.from(c.signers.slice(2), "hex")].flatMap((byte, i) =>
        [0, 1, 2, 3, 4, 5, 6, 7].filter((b) => (byte >> b) & 1).map((b) => i * 8 + b),
      );
      print(
        json,
        c,
        () =>
          `block ${c.height} ${c.blockHash} finalised in round ${c.round} by validators [${bits.join(", ")}] (aggregate signature ${c.signature.slice(0, 18)}…)`,
      );
      return 0;
    }
    if (sub === "block") {
      const h = heightArg(values, arg);
      const tag = h === "latest" ? "latest" : `0x${h.toString(16)}`;
      const b = await rpcCall<Record<string, unknown> | null>(rpc, "eth_getBlockByNumber", [tag, false]);
      if (!b) {
        process.stderr.write(`no block ${h} on this node yet\n`);
        return 1;
      }
      print(json, b, () =>
        [
          `block ${Number.parseInt(b.number as string, 16)} ${b.hash}`,
          `  parent     ${b.parentHash}`,
          `  time       ${new Date(Number.parseInt(b.timestamp as string, 16) * 1000).toISOString()}`,
          `  proposer   ${b.miner}`,
          `  txs        ${(b.transactions as unknown[]).length}`,
          `  gas used   ${Number.parseInt(b.gasUsed as string, 16)} of ${Number.parseInt(b.gasLimit as string, 16)}`,
          `  base fee   ${BigInt(b.baseFeePerGas as string)} wei`,
          `  state root ${b.stateRoot}`,
        ].join("\n"),
      );
      return 0;
    }
    throw new UsageError(
      'chain: expected a subcommand: status, validators, commit or block\nRun "racecoin chain --help".',
    );
  },
};
