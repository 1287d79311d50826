import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Transaction, Wallet } from "ethers";
import { parseTransaction } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { rsBytes } from "../../src/chain/index.ts";
import { recoverAddress } from "../../src/crypto/index.ts";
import { decodeTx, intrinsicGas, signTx, TxError } from "../../src/tx/index.ts";
import { fromHex, toHex } from "../../src/types/index.ts";
import { devKeys, transfer } from "../helpers/chain.ts";

const key = toHex(devKeys[0]!);

describe("transactions", () => {
  it("decodes what ethers signs (EIP-1559 and legacy EIP-155) and recovers the sender", async () => {
    const w = new Wallet(key);
    for (const type of [0, 2]) {
      const raw = await w.signTransaction({
        type,
        chainId: 72270,
        nonce: 3,
        gasLimit: 30_000,
        to: w.address,
        value: 5n,
        data: "0x0102",
        ...(type === 2
          ? { maxFeePerGas: 5n * 10n ** 9n, maxPriorityFeePerGas: 10n ** 9n }
          : { gasPrice: 2n * 10n ** 9n }),
      });
      const tx = decodeTx(fromHex(raw));
      assert.equal(toHex(tx.hash), Transaction.from(raw).hash);
      assert.equal(tx.chainId, 72270n);
      assert.equal(
        toHex(recoverAddress(tx.signingHash, rsBytes(tx.r, tx.s), tx.recovery)!),
        w.address.toLowerCase(),
      );
    }
  });

  it("produces bytes that viem parses back to the same fields", async () => {
    const tx = transfer(0, 7n);
    const parsed = parseTransaction(toHex(tx.raw) as `0x${string}`);
    assert.equal(parsed.nonce, 7);
    assert.equal(parsed.chainId, 72270);
    assert.equal(parsed.value, 1000n);
    const account = privateKeyToAccount(key as `0x${string}`);
    const { r: _r, s: _s, v: _v, yParity: _y, ...unsigned } = parsed;
    const signed = await account.signTransaction({ ...unsigned, type: "eip1559" } as Parameters<
      typeof account.signTransaction
    >[0]);
    assert.equal(
      signed,
      toHex(tx.raw),
      "RFC 6979 signatures are deterministic: viem and we must agree byte for byte",
    );
  });

  it("charges intrinsic gas for calldata and access lists", () => {
    assert.equal(intrinsicGas({ data: new Uint8Array(0), accessList: [] }), 21_000n);
    assert.equal(intrinsicGas({ data: new Uint8Array([0, 1]), accessList: [] }), 21_020n);
    assert.equal(
      intrinsicGas({
        data: new Uint8Array(0),
        accessList: [{ address: new Uint8Array(20), storageKeys: [new Uint8Array(32)] }],
      }),
      25_300n,
    );
  });

  it("rejects every mutation of a signed transaction with a TxError, never anything else", () => {
    const raw = transfer(0, 1n).raw;
    let seed = 7;
    const rand = () => {
      seed = (seed * 1664525 + 1013904223) >>> 0;
      return seed;
    };
    let decoded = 0;
    for (let i = 0; i < 4000; i++) {
      const b = raw.slice();
      for (let f = 0; f <= rand() % 3; f++) b[rand() % b.length] = rand() & 0xff;
      const input = i % 4 === 0 ? b.subarray(0, rand() % b.length) : b;
      try {
        decodeTx(input);
        decoded++;
      } catch (e) {
        assert.ok(
          e instanceof TxError,
          `unexpected ${(e as Error).constructor.name}: ${(e as Error).message}`,
        );
      }
    }
    // Mutations inside value fields still decode (the signature then names another sender).
    assert.ok(decoded < 4000);
  });

  it("refuses oversized input before parsing", () => {
    assert.throws(
      () => decodeTx(new Uint8Array(200_000).fill(0xc0)),
      (e: unknown) => e instanceof TxError && e.code === "TX_OVERSIZED",
    );
  });

  it("round-trips signTx → decodeTx for both types", () => {
    for (const type of [0, 2] as const) {
      const tx = transfer(1, 9n, { type });
      const again = decodeTx(tx.raw);
      assert.equal(toHex(again.hash), toHex(tx.hash));
      assert.equal(toHex(signTx(again, devKeys[1]!).raw), toHex(tx.raw));
    }
  });
});
