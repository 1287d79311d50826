import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { bank, ENVELOPE_VERSION, envelopeCodec, transferArgs } from "../../contracts/index.ts";
import { initialBeaconState } from "../../src/beacon/index.ts";
import { Chain } from "../../src/chain/index.ts";
import { EMPTY_CERTIFICATE, ValidatorSet } from "../../src/consensus/index.ts";
import { encode } from "../../src/encoding/index.ts";
import { minimal } from "../../src/params/index.ts";
import {
  applyBlock,
  BlockError,
  beaconParams,
  buildBlock,
  MapAccountReader,
  nextBaseFee,
  type RecoveredTx,
} from "../../src/state/index.ts";
import type { Block, BlockHeader } from "../../src/types/index.ts";
import { devAddresses, devGenesis, transfer } from "../helpers/chain.ts";

const genesis = devGenesis();
const g = Chain.genesisBlock(genesis);
const accounts = new Map(g.changes.map((c) => [Buffer.from(c.address).toString("hex"), c.account]));
const validators = new ValidatorSet(genesis.validators);
const pre = {
  accounts: new MapAccountReader(accounts),
  trie: g.trie,
  beacon: initialBeaconState(genesis.validators, beaconParams(genesis.preset)),
};
const ctx = {
  preset: genesis.preset,
  chainId: genesis.chainId,
  validatorsAt: () => validators,
  isEvidenceCommitted: () => false,
};
const rt = (from: number, nonce: bigint, over = {}): RecoveredTx => ({
  tx: transfer(from, nonce, over),
  sender: devAddresses[from]!,
});
const bankCall = (method: string, args: Uint8Array) =>
  encode(envelopeCodec, { version: ENVELOPE_VERSION, method, args });

function build(txs: RecoveredTx[]) {
  return buildBlock(
    pre,
    g.header,
    txs,
    { time: g.header.time + 1000n, proposer: devAddresses[0]!, lastCommit: EMPTY_CERTIFICATE },
    ctx,
  );
}

describe("state transition", () => {
  it("applyBlock accepts what buildBlock builds, with the same post-state root", () => {
    const built = build([
      rt(1, 0n),
      rt(1, 1n),
      rt(2, 0n, { type: 0, maxFeePerGas: 5_000_000_000n, maxPriorityFeePerGas: 5_000_000_000n }),
    ]);
    assert.equal(built.included.length, 3);
    const post = applyBlock(pre, g.header, built.block, built.included, ctx);
    assert.deepEqual(post.trie.rootHash(), built.block.header.stateRoot);
    const sender = post.changes.get(Buffer.from(devAddresses[1]!).toString("hex"))!.account;
    assert.equal(sender.nonce, 2n);
  });

  it("burns the base fee and pays the tip to the proposer", () => {
    const built = build([rt(1, 0n)]);
    const { baseFee } = built.block.header;
    const key = (i: number) => Buffer.from(devAddresses[i]!).toString("hex");
    const before = (i: number) => accounts.get(key(i))!.balance;
    const after = (i: number) => built.changes.get(key(i))!.account.balance;
    const price = baseFee + 1_000_000_000n;
    assert.equal(before(1) - after(1), 21_000n * price + 1000n);
    assert.equal(after(0) - before(0), 21_000n * 1_000_000_000n);
    assert.equal(after(2) - before(2), 1000n);
    // Supply shrinks by exactly the burned base fee.
    const delta = after(0) + after(1) + after(2) - before(0) - before(1) - before(2);
    assert.equal(delta, -21_000n * baseFee);
  });

  it("leaves out invalid candidates when building and explains why", () => {
    const built = build([rt(1, 5n), rt(3, 0n, { chainId: 1n }), rt(4, 0n, { value: 10n ** 40n })]);
    assert.equal(built.included.length, 0);
    assert.deepEqual(
      built.rejected.map((r) => r.error.code),
      ["TX_NONCE_TOO_HIGH", "TX_WRONG_CHAIN", "TX_INSUFFICIENT_FUNDS"],
    );
  });

  it("rejects a block whose header or body was tampered with", () => {
    const built = build([rt(1, 0n)]);
    const tamper = (
      f: (h: BlockHeader) => Partial<BlockHeader>,
      txs = built.included,
    ): [Block, RecoveredTx[]] => [
      { ...built.block, header: { ...built.block.header, ...f(built.block.header) } },
      txs,
    ];
    const cases: [string, [Block, RecoveredTx[]], string][] = [
      ["state root", tamper(() => ({ stateRoot: new Uint8Array(32).fill(1) })), "BLOCK_ERROR_ROOT_MISMATCH"],
      ["tx root", tamper(() => ({ txRoot: new Uint8Array(32) })), "BLOCK_ERROR_ROOT_MISMATCH"],
      ["receipts root", tamper(() => ({ receiptsRoot: new Uint8Array(32) })), "BLOCK_ERROR_ROOT_MISMATCH"],
      ["gas used", tamper((h) => ({ gasUsed: h.gasUsed + 1n })), "BLOCK_ERROR_GAS"],
      ["base fee", tamper((h) => ({ baseFee: h.baseFee + 1n })), "BLOCK_ERROR_HEADER"],
      ["height", tamper(() => ({ height: 5 })), "BLOCK_ERROR_PARENT_MISMATCH"],
      ["parent", tamper(() => ({ parentHash: new Uint8Array(32) })), "BLOCK_ERROR_PARENT_MISMATCH"],
      ["time", tamper(() => ({ time: g.header.time })), "BLOCK_ERROR_HEADER"],
      ["proposer", tamper(() => ({ proposer: devAddresses[5]! })), "BLOCK_ERROR_HEADER"],
      ["chain id", tamper(() => ({ chainId: 1n })), "BLOCK_ERROR_HEADER"],
      ["reserved", tamper(() => ({ raceRoot: new Uint8Array(32).fill(1) })), "BLOCK_ERROR_HEADER"],
      ["beacon output", tamper(() => ({ beacon: new Uint8Array(32).fill(1) })), "BLOCK_ERROR_BEACON"],
      [
        "beacon messages root",
        tamper(() => ({ beaconMsgsRoot: new Uint8Array(32).fill(1) })),
        "BLOCK_ERROR_ROOT_MISMATCH",
      ],
      ["tx replaced", tamper(() => ({}), [rt(1, 0n, { value: 999n })]), "BLOCK_ERROR_ROOT_MISMATCH"],
    ];
    for (const [name, [block, txs], code] of cases) {
      assert.throws(
        () => applyBlock(pre, g.header, block, txs, ctx),
        (e: unknown) => e instanceof BlockError && e.code === code,
        name,
      );
    }
  });

  it("base fee follows EIP-1559 with a floor", () => {
    const full = { baseFee: 1_000_000_000n, gasUsed: minimal.blockGasLimit, gasLimit: minimal.blockGasLimit };
    assert.equal(nextBaseFee(full, minimal), 1_125_000_000n);
    assert.equal(nextBaseFee({ ...full, gasUsed: 0n }, minimal), 875_000_000n);
    assert.equal(nextBaseFee({ ...full, gasUsed: minimal.blockGasLimit / 2n }, minimal), 1_000_000_000n);
    assert.equal(
      nextBaseFee({ ...full, baseFee: minimal.minBaseFee, gasUsed: 0n }, minimal),
      minimal.minBaseFee,
    );
  });

  it("runs bank module calls; a failing call is included with status 0 and charged gas", () => {
    const ok = rt(1, 0n, {
      to: bank.address,
      value: 0n,
      gasLimit: 40_000n,
      data: bankCall("transfer", encode(transferArgs, { to: devAddresses[7]!, amount: 5n })),
    });
    const tooMuch = rt(1, 1n, {
      to: bank.address,
      value: 0n,
      gasLimit: 40_000n,
      data: bankCall("transfer", encode(transferArgs, { to: devAddresses[7]!, amount: 10n ** 30n })),
    });
    const built = build([ok, tooMuch]);
    assert.deepEqual(
      built.receipts.map((r) => r.status),
      [1, 0],
    );
    assert.match(built.receipts[1]!.error, /insufficient balance/);
    const to = built.changes.get(Buffer.from(devAddresses[7]!).toString("hex"))!.account;
    assert.equal(to.balance, 10_000n * 10n ** 18n + 5n);
    assert.ok(built.receipts[1]!.gasUsed > 21_000n);
    applyBlock(pre, g.header, built.block, built.included, ctx);
  });

  it("refuses malformed module payloads before they reach a block", () => {
    const built = build([
      rt(1, 0n, { to: bank.address, value: 0n, gasLimit: 40_000n, data: new Uint8Array([1, 2, 3]) }),
      rt(2, 0n, {
        to: bank.address,
        value: 0n,
        gasLimit: 40_000n,
        data: bankCall("mint", new Uint8Array([0x90])),
      }),
      rt(3, 0n, {
        to: bank.address,
        value: 1n,
        gasLimit: 40_000n,
        data: bankCall("memo", new Uint8Array([0x91, 0xc4, 0])),
      }),
    ]);
    assert.deepEqual(
      built.rejected.map((r) => r.error.code),
      ["TX_MODULE_PAYLOAD", "TX_MODULE_PAYLOAD", "TX_MODULE_VALUE"],
    );
  });
});

describe("header errors say what happened", () => {
  it("a block at or below the head is 'already committed or stale', never 'N does not follow N'", () => {
    const built = build([]);
    const again = { ...built.block, header: { ...built.block.header, height: 0 } };
    assert.throws(
      () => applyBlock(pre, g.header, again, [], ctx),
      (e: unknown) =>
        e instanceof BlockError &&
        e.code === "BLOCK_ERROR_PARENT_MISMATCH" &&
        /block 0 is not above the head \(0\): it is already committed or stale/.test(e.message),
    );
    const gap = { ...built.block, header: { ...built.block.header, height: 3 } };
    assert.throws(
      () => applyBlock(pre, g.header, gap, [], ctx),
      (e: unknown) => e instanceof BlockError && /blocks 1…2 are missing/.test(e.message),
    );
  });
});
