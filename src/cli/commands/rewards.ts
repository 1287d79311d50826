/**
 * `racecoin rewards status`: where issuance stands (batch, subsidy rate, minted, the pools and the
 * training fund) and, for an address, what each recent cycle earned, released and forfeited, and
 * why (spec/rewards.md).
 */
import { parseAddress, toChecksumAddress, toHex } from "../../types/index.ts";
import { asUsage, type Command, formatEther, parse, UsageError } from "../args.ts";
import { rpcCall } from "../rpcClient.ts";

const options = {
  address: { type: "string" },
  cycle: { type: "string" },
  rpc: { type: "string" },
  json: { type: "boolean" },
} as const;

const help = `racecoin rewards status — issuance, pools and an account's rewards per cycle (spec/rewards.md)

Usage: racecoin rewards status [--address ADDRESS] [--cycle N] [--rpc URL] [--json]

Without --address: the issuance batch and subsidy rate, minted so far, the training fund and pools.
With --address: its rewards in cycle N (default: the last three settled cycles), each with what it
earned executing and verifying tasks, its issuance share (by race weight), what was released or
forfeited and why. A cycle's rewards settle at the end of the cycle two later.

Options:
  --rpc URL   node to use (default: http://127.0.0.1:8545)
  --json      print the raw query results
`;

type Status = {
  issued: string;
  proportional: string;
  minimum: string;
  batch: number;
  subsidyPpm: number;
  trainingFund: string;
  liquidityPool: string;
  hpPool: string;
  foundersVesting: string;
  unminted: string;
};
type Account = {
  execution: string;
  verification: string;
  issuance: string;
  released: string;
  forfeited: string;
  tasksDone: number;
  fairMilli: number;
  checksDrawn: number;
  checksDone: number;
  reason: string;
  hp: string;
};

const race = (wei: string) => `${formatEther(BigInt(wei))} RACE`;

export const rewardsCommand: Command = {
  name: "rewards",
  summary: "issuance, pools and rewards per cycle",
  help,
  async run(argv) {
    const { values, positionals } = parse(argv, options, "rewards");
    if (positionals[0] !== "status")
      throw new UsageError('rewards: expected the subcommand "status"\nRun "racecoin rewards --help".');
    const url = values.rpc ?? "http://127.0.0.1:8545";
    const status = await rpcCall<Status>(url, "rewards_status", [{}]);
    if (!values.address) {
      if (values.json) process.stdout.write(`${JSON.stringify(status)}\n`);
      else
        process.stdout.write(
          `${[
            `issuance: batch ${status.batch} of 12, subsidy ${(status.subsidyPpm / 10_000).toFixed(2)}%`,
            `minted: ${race(status.issued)} (proportional ${race(status.proportional)}, minimum ${race(status.minimum)}); unminted ${race(status.unminted)}`,
            `training fund: ${race(status.trainingFund)}`,
            `pools: liquidity ${race(status.liquidityPool)}, additional hardware-provider reward ${race(status.hpPool)}, founders' vesting ${race(status.foundersVesting)}`,
          ].join("\n")}\n`,
        );
      return 0;
    }
    const address = asUsage(() => parseAddress(values.address!, "--address"));
    const head = await rpcCall<{ cycle: number }>(url, "chain_getStatus");
    if (values.cycle !== undefined && !/^\d+$/.test(values.cycle))
      throw new UsageError(`--cycle: a cycle number (0, 1, …), got "${values.cycle}"`);
    const cycles =
      values.cycle !== undefined
        ? [Number(values.cycle)]
        : [head.cycle - 4, head.cycle - 3, head.cycle - 2].filter((c) => c >= 0);
    for (const cycle of cycles) {
      const a = await rpcCall<Account>(url, "rewards_account", [{ address: toHex(address), cycle }]);
      if (values.json) {
        process.stdout.write(`${JSON.stringify({ cycle, ...a })}\n`);
        continue;
      }
      const earned = BigInt(a.execution) + BigInt(a.verification) + BigInt(a.issuance);
      process.stdout.write(
        `${toChecksumAddress(address)} cycle ${cycle}: earned ${race(earned.toString())} (tasks ${race(a.execution)}, checks ${race(a.verification)}, issuance ${race(a.issuance)}); released ${race(a.released)}, forfeited ${race(a.forfeited)}${a.reason ? ` (${a.reason})` : ""}; ${a.tasksDone} tasks of a fair ${(a.fairMilli / 1000).toFixed(1)}, ${a.checksDone}/${a.checksDrawn} checks${BigInt(a.hp) > 0n ? `; additional reward ${race(a.hp)}` : ""}\n`,
      );
    }
    return 0;
  },
};
