// A developer's side of the inference market through a real wallet: module calls to the tasks
// module signed and sent with ethers (deposit, API key authorization), like any dapp would.
import { JsonRpcProvider, Wallet } from "ethers";
import OpenAI from "openai";
import { authorizeKeyArgs, ENVELOPE_VERSION, envelopeCodec, taskAmountArgs } from "../../contracts/index.ts";
import { privateKeyToAddress, randomPrivateKey } from "../../src/crypto/index.ts";
import { type Codec, encode } from "../../src/encoding/index.ts";
import { TASKS_MODULE_ADDRESS } from "../../src/params/index.ts";
import { toHex } from "../../src/types/index.ts";
import { devKeys } from "./chain.ts";
import { waitFor } from "./process.ts";

export function envelope<A>(method: string, codec: Codec<A>, args: A): string {
  return toHex(encode(envelopeCodec, { version: ENVELOPE_VERSION, method, args: encode(codec, args) }));
}

/** Send a tasks-module call from `key` and wait for its receipt; returns the receipt status. */
export async function tasksCall<A>(
  url: string,
  key: Uint8Array,
  method: string,
  codec: Codec<A>,
  args: A,
  gasLimit?: bigint,
): Promise<number> {
  const provider = new JsonRpcProvider(url, undefined, { staticNetwork: true, pollingInterval: 200 });
  try {
    const wallet = new Wallet(toHex(key), provider);
    const tx = await wallet.sendTransaction({
      to: toHex(TASKS_MODULE_ADDRESS),
      data: envelope(method, codec, args),
      ...(gasLimit ? { gasLimit } : {}),
    });
    try {
      const r = await tx.wait(1, 30_000);
      return r?.status ?? 0;
    } catch (e) {
      // ethers throws for an included transaction with status 0.
      const receipt = (e as { code?: string; receipt?: { status: number } }).receipt;
      if ((e as { code?: string }).code === "CALL_EXCEPTION" && receipt) return receipt.status;
      throw e;
    }
  } finally {
    provider.destroy();
  }
}

/** Wait until a node routes requests: executors are drawn from beacon output (cycle 1 on). */
export async function waitForRouting(client: OpenAI, model: string, timeoutMs: number): Promise<void> {
  await waitFor(
    "a first routed request (executors are drawn from beacon output)",
    async () => {
      try {
        await client.completions.create({ model, prompt: "hi", max_tokens: 1 });
        return true;
      } catch (e) {
        if (e instanceof OpenAI.APIError && e.status === 503) return false;
        throw e;
      }
    },
    timeoutMs,
  );
}

/**
 * A developer ready to call a node's API: dev account 7 deposits 1,000 RACE and authorizes a fresh
 * API key with that limit; returns the official client, once the node routes requests.
 */
export async function fundedClient(url: string, model: string, timeoutMs: number): Promise<OpenAI> {
  const apiKey = randomPrivateKey();
  await tasksCall(url, devKeys[7]!, "deposit", taskAmountArgs, { amount: 10n ** 21n });
  await tasksCall(url, devKeys[7]!, "authorizeKey", authorizeKeyArgs, {
    key: privateKeyToAddress(apiKey),
    limit: 10n ** 21n,
  });
  const client = new OpenAI({
    baseURL: `${url}/v1`,
    apiKey: `rk_${Buffer.from(apiKey).toString("hex")}`,
    maxRetries: 0,
    timeout: timeoutMs,
  });
  await waitForRouting(client, model, 180_000);
  return client;
}
