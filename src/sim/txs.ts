/** Real signed EIP-1559 transfers for simulated blocks (their bytes are what blocks carry). */
import { signTx } from "../tx/index.ts";
import type { Rng } from "./rng.ts";

export function transfers(count: number, rng: Rng, chainId: bigint): Uint8Array[] {
  const key = rng.bytes(32);
  key[0] = 0x01; // below the curve order
  const to = rng.bytes(20);
  return Array.from(
    { length: count },
    (_, i) =>
      signTx(
        {
          type: 2,
          chainId,
          nonce: BigInt(i),
          maxPriorityFeePerGas: 1_000_000_000n,
          maxFeePerGas: 10_000_000_000n,
          gasLimit: 21_000n,
          to,
          value: 1000n,
          data: new Uint8Array(0),
          accessList: [],
        },
        key,
      ).raw,
  );
}
