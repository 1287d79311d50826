import { isValidPrivateKey, privateKeyToAddress } from "../../crypto/index.ts";
import { signTx } from "../../tx/index.ts";
import { fromHex, parseAddress, toChecksumAddress, toHex } from "../../types/index.ts";
import { asUsage, type Command, parse, parseEther, readInputFile, UsageError } from "../args.ts";
import { RpcCallError, rpcCall } from "../rpcClient.ts";
import { DEFAULT_KEYSTORE, readPassword, unlock } from "./keys.ts";

/** The signer flags every transaction-sending command takes (see signerKey), and --rpc. */
export const signerOptions = {
  from: { type: "string" },
  keystore: { type: "string" },
  "password-file": { type: "string" },
  "private-key-file": { type: "string" },
  "private-key": { type: "string" },
  rpc: { type: "string" },
} as const;

const options = {
  to: { type: "string" },
  value: { type: "string" },
  "value-wei": { type: "string" },
  data: { type: "string" },
  ...signerOptions,
  legacy: { type: "boolean" },
  "no-wait": { type: "boolean" },
} as const;

const help = `racecoin tx send — sign and send a native transfer (or a module call with --data)

Usage: racecoin tx send --to ADDRESS (--value ETHER | --value-wei WEI) [signer] [options]

Signer (one of):
  --from ADDRESS [--keystore DIR] [--password-file FILE]   a keystore account (see "racecoin keys")
  --private-key-file FILE                                  a file holding a 0x-hex private key
  --private-key 0xKEY                                      a raw key (visible in your shell history)

Options:
  --data 0xHEX     call data (a module envelope when --to is a module address; with --value 0)
  --legacy         send a legacy EIP-155 transaction instead of EIP-1559
  --rpc URL        node to use (default: http://127.0.0.1:8545)
  --no-wait        print the hash without waiting for the receipt

Nonce, fees and gas come from the node (pending nonce, eth_feeHistory, eth_estimateGas).

Examples:
  racecoin tx send --to 0x70997970C51812dc3A010C7d01b50e0d17dc79C8 --value 1.5 \\
    --private-key 0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80
  racecoin tx send --to 0x7099…79C8 --value 1 --from 0xYourAddress --password-file pw.txt
`;

export function signerKey(values: Record<string, string | boolean | undefined>): Uint8Array {
  const raw = values["private-key"] as string | undefined;
  const file = values["private-key-file"] as string | undefined;
  let hex: string | undefined = raw ?? (file ? readInputFile(file, "--private-key-file").trim() : undefined);
  if (hex !== undefined) {
    if (!hex.startsWith("0x")) hex = `0x${hex}`;
    const key = asUsage(() => fromHex(hex!, "private key"));
    if (!isValidPrivateKey(key))
      throw new UsageError("private key: expected 32 bytes in the secp256k1 range");
    return key;
  }
  const from = values.from as string | undefined;
  if (!from)
    throw new UsageError("tx send: choose a signer with --from, --private-key-file or --private-key");
  return unlock(
    (values.keystore as string | undefined) ?? DEFAULT_KEYSTORE,
    from,
    readPassword(values["password-file"] as string | undefined),
  );
}

/**
 * Sign and send a transaction with nonce, fees and gas from the node; with `wait`, poll for the
 * receipt (60 s). Errors say what the node refused.
 */
export async function sendTransaction(
  url: string,
  key: Uint8Array,
  t: { to: Uint8Array; value: bigint; data: Uint8Array; legacy?: boolean },
  wait = true,
): Promise<{ hash: string; status?: "success" | "failed"; block?: number; gasUsed?: number }> {
  const { to, value, data } = t;
  const from = privateKeyToAddress(key);
  const [chainIdHex, nonceHex, gasHex, tipHex, gasPriceHex] = await Promise.all([
    rpcCall<string>(url, "eth_chainId"),
    rpcCall<string>(url, "eth_getTransactionCount", [toHex(from), "pending"]),
    rpcCall<string>(url, "eth_estimateGas", [
      { from: toHex(from), to: toHex(to), value: `0x${value.toString(16)}`, data: toHex(data) },
    ]),
    rpcCall<string>(url, "eth_maxPriorityFeePerGas"),
    rpcCall<string>(url, "eth_gasPrice"),
  ]);
  const tip = BigInt(tipHex);
  const baseFee = BigInt(gasPriceHex) - tip;
  const tx = signTx(
    {
      type: t.legacy ? 0 : 2,
      chainId: BigInt(chainIdHex),
      nonce: BigInt(nonceHex),
      maxPriorityFeePerGas: t.legacy ? BigInt(gasPriceHex) : tip,
      maxFeePerGas: t.legacy ? BigInt(gasPriceHex) : 2n * baseFee + tip,
      gasLimit: BigInt(gasHex),
      to,
      value,
      data,
      accessList: [],
    },
    key,
  );
  let hash: string;
  try {
    hash = await rpcCall<string>(url, "eth_sendRawTransaction", [toHex(tx.raw)]);
  } catch (e) {
    if (e instanceof RpcCallError) throw new Error(`the node refused the transaction: ${e.message}`);
    throw e;
  }
  process.stderr.write(`sent ${hash} from ${toChecksumAddress(from)}\n`);
  if (!wait) return { hash };
  for (let i = 0; i < 120; i++) {
    const receipt = await rpcCall<{ status: string; blockNumber: string; gasUsed: string } | null>(
      url,
      "eth_getTransactionReceipt",
      [hash],
    );
    if (receipt)
      return {
        hash,
        status: receipt.status === "0x1" ? "success" : "failed",
        block: Number(receipt.blockNumber),
        gasUsed: Number(receipt.gasUsed),
      };
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`no receipt after 60 s for ${hash}; check later with eth_getTransactionReceipt`);
}

export const txCommand: Command = {
  name: "tx",
  summary: "sign and send transactions",
  help,
  async run(argv) {
    const { values, positionals } = parse(argv, options, "tx");
    if (positionals[0] !== "send")
      throw new UsageError('tx: expected the subcommand "send"\nRun "racecoin tx --help".');
    if (!values.to) throw new UsageError("tx send: --to ADDRESS is required");
    const to = asUsage(() => parseAddress(values.to!, "--to"));
    if (values.value === undefined && values["value-wei"] === undefined)
      throw new UsageError(
        "tx send: --value ETHER or --value-wei WEI is required (use --value 0 for a module call)",
      );
    if (values.value !== undefined && values["value-wei"] !== undefined)
      throw new UsageError("tx send: --value and --value-wei are alternatives; pass one");
    let value = 0n;
    if (values.value !== undefined) value = parseEther(values.value, "--value");
    if (values["value-wei"] !== undefined) {
      if (!/^\d+$/.test(values["value-wei"]))
        throw new UsageError(
          `--value-wei: expected a whole, non-negative number of wei, got "${values["value-wei"]}"`,
        );
      value = BigInt(values["value-wei"]);
    }
    let data: Uint8Array = new Uint8Array(0);
    if (values.data) {
      data = asUsage(() => fromHex(values.data!, "--data"));
    }
    const key = signerKey(values);
    const url = values.rpc ?? "http://127.0.0.1:8545";
    const out = await sendTransaction(
      url,
      key,
      { to, value, data, legacy: values.legacy === true },
      !values["no-wait"],
    );
    process.stdout.write(`${JSON.stringify(out)}\n`);
    return out.status === "failed" ? 1 : 0;
  },
};
