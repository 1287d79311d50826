import { parseAddress, toChecksumAddress } from "../../types/index.ts";
import { asUsage, type Command, formatEther, parse, UsageError } from "../args.ts";
import { rpcCall } from "../rpcClient.ts";

export const balanceCommand: Command = {
  name: "balance",
  summary: "an account's balance and nonce on a running node",
  help: `racecoin balance — an account's balance and nonce

Usage: racecoin balance ADDRESS [--block HEIGHT|latest] [--rpc URL] [--json]

ADDRESS is checked as wallets check it (a mixed-case address must carry its EIP-55 checksum).

Options:
  --block N     read the state after block N (default: latest)
  --rpc URL     node to ask (default: http://127.0.0.1:8545)
  --json        print { address, balanceWei, balance, nonce, block } as JSON

Examples:
  racecoin balance 0x70997970C51812dc3A010C7d01b50e0d17dc79C8
  racecoin balance 0x70997970c51812dc3a010c7d01b50e0d17dc79c8 --block 10 --json
`,
  async run(argv) {
    const { values, positionals } = parse(
      argv,
      { rpc: { type: "string" }, json: { type: "boolean" }, block: { type: "string" } },
      "balance",
    );
    if (!positionals[0]) throw new UsageError('balance: expected an ADDRESS\nRun "racecoin balance --help".');
    const address = asUsage(() => parseAddress(positionals[0]!, "ADDRESS"));
    const b = values.block ?? "latest";
    if (b !== "latest" && !/^\d+$/.test(b))
      throw new UsageError(`--block: expected a height or "latest", got "${b}"`);
    const tag = b === "latest" ? "latest" : `0x${Number(b).toString(16)}`;
    const rpc = values.rpc ?? "http://127.0.0.1:8545";
    const who = toChecksumAddress(address);
    const [wei, nonce] = await Promise.all([
      rpcCall<string>(rpc, "eth_getBalance", [who, tag]),
      rpcCall<string>(rpc, "eth_getTransactionCount", [who, tag]),
    ]);
    const out = {
      address: who,
      balanceWei: BigInt(wei).toString(),
      balance: formatEther(BigInt(wei)),
      nonce: Number(BigInt(nonce)),
      block: b,
    };
    process.stdout.write(
      values.json
        ? `${JSON.stringify(out, null, 2)}\n`
        : `${who}: ${out.balance} RACE (${out.balanceWei} wei), nonce ${out.nonce}\n`,
    );
    return 0;
  },
};
