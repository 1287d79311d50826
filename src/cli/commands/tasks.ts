/**
 * `racecoin tasks`: a developer's side of the inference market from the command line: deposit
 * into task escrow, create an API key with a spend limit (printed once as rk_…), revoke it, and
 * see the escrow and keys (spec/tasks.md).
 */
import {
  authorizeKeyArgs,
  claimWithdrawalArgs,
  ENVELOPE_VERSION,
  envelopeCodec,
  taskAmountArgs,
  taskKeyArgs,
} from "../../../contracts/index.ts";
import { privateKeyToAddress, randomPrivateKey } from "../../crypto/index.ts";
import { type Codec, encode } from "../../encoding/index.ts";
import { TASKS_MODULE_ADDRESS } from "../../params/index.ts";
import { parseAddress, toChecksumAddress, toHex } from "../../types/index.ts";
import { asUsage, type Command, formatEther, parse, parseEther, UsageError } from "../args.ts";
import { rpcCall } from "../rpcClient.ts";
import { sendTransaction, signerKey, signerOptions } from "./tx.ts";

const options = {
  amount: { type: "string" },
  limit: { type: "string" },
  key: { type: "string" },
  address: { type: "string" },
  ...signerOptions,
} as const;

const help = `racecoin tasks — pay for inference: escrow and API keys (spec/tasks.md)

Usage:
  racecoin tasks deposit --amount ETHER [signer]     move ETHER from your account into task escrow
  racecoin tasks withdraw --amount ETHER [signer]    ask for it back: it unlocks at the start of the cycle
                                                     after next (receipts already signed settle first)
  racecoin tasks claim [signer]                      pay an unlocked withdrawal to your account
  racecoin tasks new-key --limit ETHER [signer]      create an API key that may spend at most ETHER
                                                     (printed once: rk_…; use it as the OpenAI apiKey)
  racecoin tasks revoke --key ADDRESS [signer]       stop a key at once
  racecoin tasks status (--address ADDRESS | signer) escrow and keys with their limits and spend

Signer (one of), as for "racecoin tx send":
  --from ADDRESS [--keystore DIR] [--password-file FILE]
  --private-key-file FILE
  --private-key 0xKEY

Options:
  --rpc URL   node to use (default: http://127.0.0.1:8545)

Example (devnet, dev account 7):
  racecoin tasks deposit --amount 10 --private-key 0x4bbbf85ce3377467afe5d46f804f221813b2bb87f24d81f60f1fcdbf7cbf4356
  racecoin tasks new-key --limit 1 --private-key 0x4bbb…4356
  then: new OpenAI({ baseURL: "http://127.0.0.1:8545/v1", apiKey: "rk_…" })
`;

function call<A>(method: string, codec: Codec<A>, args: A): Uint8Array {
  return encode(envelopeCodec, { version: ENVELOPE_VERSION, method, args: encode(codec, args) });
}

async function send(url: string, key: Uint8Array, data: Uint8Array): Promise<void> {
  const r = await sendTransaction(url, key, { to: TASKS_MODULE_ADDRESS, value: 0n, data });
  if (r.status !== "success") throw new Error(`transaction ${r.hash} failed on chain`);
}

export const tasksCommand: Command = {
  name: "tasks",
  summary: "pay for inference: task escrow and API keys",
  help,
  async run(argv) {
    const { values, positionals } = parse(argv, options, "tasks");
    const sub = positionals[0];
    const url = values.rpc ?? "http://127.0.0.1:8545";
    const amount = (flag: "amount" | "limit") => {
      const v = values[flag];
      if (v === undefined) throw new UsageError(`tasks ${sub}: --${flag} ETHER is required`);
      return parseEther(v, `--${flag}`);
    };
    switch (sub) {
      case "deposit": {
        const wei = amount("amount");
        await send(url, signerKey(values), call(sub, taskAmountArgs, { amount: wei }));
        process.stdout.write(`deposited ${formatEther(wei)} RACE\n`);
        return 0;
      }
      case "withdraw": {
        const wei = amount("amount");
        const key = signerKey(values);
        await send(url, key, call(sub, taskAmountArgs, { amount: wei }));
        const r = await rpcCall<{ withdrawing: string; unlockHeight: number }>(url, "tasks_account", [
          { address: toHex(privateKeyToAddress(key)) },
        ]);
        process.stdout.write(
          `asked to withdraw ${formatEther(BigInt(r.withdrawing))} RACE; it unlocks at height ${r.unlockHeight}: then run 'racecoin tasks claim'\n`,
        );
        return 0;
      }
      case "claim": {
        await send(url, signerKey(values), call("claimWithdrawal", claimWithdrawalArgs, {}));
        process.stdout.write("withdrawal paid to your account\n");
        return 0;
      }
      case "new-key": {
        const limit = amount("limit");
        const apiKey = randomPrivateKey();
        const key = privateKeyToAddress(apiKey);
        await send(url, signerKey(values), call("authorizeKey", authorizeKeyArgs, { key, limit }));
        process.stdout.write(
          `${JSON.stringify({ apiKey: `rk_${Buffer.from(apiKey).toString("hex")}`, key: toChecksumAddress(key), limit: formatEther(limit) })}\n`,
        );
        process.stderr.write(
          "Keep the apiKey secret: it spends from your escrow up to its limit. Revoke with 'racecoin tasks revoke'.\n",
        );
        return 0;
      }
      case "revoke": {
        if (!values.key) throw new UsageError("tasks revoke: --key ADDRESS is required");
        const key = asUsage(() => parseAddress(values.key!, "--key"));
        await send(url, signerKey(values), call("revokeKey", taskKeyArgs, { key }));
        process.stdout.write(`revoked ${toChecksumAddress(key)}\n`);
        return 0;
      }
      case "status": {
        const address = values.address
          ? asUsage(() => parseAddress(values.address!, "--address"))
          : privateKeyToAddress(signerKey(values));
        const r = await rpcCall<{
          escrow: string;
          withdrawing: string;
          unlockHeight: number;
          keys: { key: string; limit: string; spent: string; revoked: number }[];
        }>(url, "tasks_account", [{ address: toHex(address) }]);
        process.stdout.write(`${toChecksumAddress(address)}: escrow ${formatEther(BigInt(r.escrow))} RACE\n`);
        if (BigInt(r.withdrawing) > 0n)
          process.stdout.write(
            `  withdrawing ${formatEther(BigInt(r.withdrawing))} RACE, unlocks at height ${r.unlockHeight}\n`,
          );
        for (const k of r.keys)
          process.stdout.write(
            `  key ${k.key}: spent ${formatEther(BigInt(k.spent))} of ${formatEther(BigInt(k.limit))}${k.revoked ? " (revoked)" : ""}\n`,
          );
        return 0;
      }
      default:
        throw new UsageError(
          'tasks: expected deposit, withdraw, claim, new-key, revoke or status\nRun "racecoin tasks --help".',
        );
    }
  },
};
