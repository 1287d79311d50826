import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { EMPTY_CERTIFICATE } from "../../src/consensus/index.ts";
import { TxError, type TxErrorCode } from "../../src/tx/index.ts";
import { toHex } from "../../src/types/index.ts";
import { devAddresses, devCertifier, memoryChain, transfer } from "../helpers/chain.ts";

async function rejects(p: Promise<unknown>, code: TxErrorCode, message?: RegExp) {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof TxError, `expected TxError, got ${String(e)}`);
    assert.equal(e.code, code);
    if (message) assert.match(e.message, message);
    return true;
  });
}

describe("mempool", () => {
  it("admits valid transactions and tracks the pending nonce", async () => {
    const { mempool } = await memoryChain();
    await mempool.add(transfer(1, 0n).raw);
    await mempool.add(transfer(1, 1n).raw);
    assert.equal(mempool.size, 2);
    assert.equal(mempool.pendingNonce(devAddresses[1]!), 2n);
    await rejects(mempool.add(transfer(1, 1n).raw), "TX_KNOWN");
  });

  it("answers bad transactions in geth's words and changes nothing", async () => {
    const { mempool, chain } = await memoryChain();
    const root = toHex(chain.head.stateRoot);
    await rejects(mempool.add(transfer(1, 64n).raw), "TX_NONCE_TOO_HIGH", /nonce too high/);
    await rejects(
      mempool.add(transfer(1, 0n, { value: 10n ** 30n }).raw),
      "TX_INSUFFICIENT_FUNDS",
      /insufficient funds for gas \* price \+ value/,
    );
    await rejects(mempool.add(transfer(1, 0n, { chainId: 1n }).raw), "TX_WRONG_CHAIN", /invalid chain id/);
    await rejects(
      mempool.add(transfer(1, 0n, { gasLimit: 20_000n }).raw),
      "TX_INTRINSIC_GAS",
      /intrinsic gas too low/,
    );
    await rejects(
      mempool.add(transfer(1, 0n, { maxFeePerGas: 1n, maxPriorityFeePerGas: 1n }).raw),
      "TX_FEE_CAP_TOO_LOW",
      /less than block base fee/,
    );
    await rejects(
      mempool.add(transfer(1, 0n, { maxPriorityFeePerGas: 10n ** 12n }).raw),
      "TX_TIP_ABOVE_FEE_CAP",
    );
    await rejects(mempool.add(transfer(1, 0n, { to: null }).raw), "TX_CREATE_UNSUPPORTED");
    await rejects(
      mempool.add(transfer(1, 0n, { gasLimit: 10n ** 9n }).raw),
      "TX_GAS_LIMIT",
      /exceeds block gas limit/,
    );
    assert.equal(mempool.size, 0);
    assert.equal(toHex(chain.head.stateRoot), root);
  });

  it("replaces only with a 10% bump on both fee fields", async () => {
    const { mempool } = await memoryChain();
    const first = await mempool.add(transfer(1, 0n).raw);
    await rejects(
      mempool.add(
        transfer(1, 0n, { maxFeePerGas: 10_900_000_000n, maxPriorityFeePerGas: 1_100_000_000n }).raw,
      ),
      "TX_UNDERPRICED_REPLACEMENT",
      /replacement transaction underpriced/,
    );
    const second = await mempool.add(
      transfer(1, 0n, { maxFeePerGas: 11_000_000_000n, maxPriorityFeePerGas: 1_100_000_000n }).raw,
    );
    assert.equal(mempool.size, 1);
    assert.equal(mempool.get(first.hash), undefined);
    assert.ok(mempool.get(second.hash));
  });

  it("enforces the per-sender limit and the global limit with eviction of the cheapest", async () => {
    const { mempool } = await memoryChain(undefined, { maxPerSender: 2, maxTotal: 3 });
    await mempool.add(transfer(1, 0n).raw);
    await mempool.add(transfer(1, 1n).raw);
    await rejects(mempool.add(transfer(1, 2n).raw), "TX_SENDER_LIMIT", /account limit exceeded/);
    const cheap = await mempool.add(transfer(2, 0n, { maxPriorityFeePerGas: 100n }).raw);
    // Pool is full (3): an even cheaper one is refused, a dearer one evicts the cheapest.
    await rejects(
      mempool.add(transfer(3, 0n, { maxPriorityFeePerGas: 50n }).raw),
      "TX_POOL_FULL",
      /txpool is full/,
    );
    await mempool.add(transfer(3, 0n, { maxPriorityFeePerGas: 2_000_000_000n }).raw);
    assert.equal(mempool.size, 3);
    assert.equal(mempool.get(cheap.hash), undefined);
  });

  it("offers the highest tip first, each sender in nonce order, and prunes after a block", async () => {
    const { mempool, chain } = await memoryChain();
    await mempool.add(transfer(1, 0n, { maxPriorityFeePerGas: 1n }).raw);
    await mempool.add(transfer(1, 1n, { maxPriorityFeePerGas: 3_000_000_000n }).raw);
    await mempool.add(transfer(2, 0n, { maxPriorityFeePerGas: 2_000_000_000n }).raw);
    const index = (a: Uint8Array) => devAddresses.findIndex((d) => toHex(d) === toHex(a));
    const order = [...mempool.candidates()].map((p) => `${index(p.sender)}:${p.tx.nonce}`);
    assert.deepEqual(order, ["2:0", "1:0", "1:1"]);
    const produced = await chain.produceBlock(
      () => mempool.candidates(),
      devAddresses[0]!,
      chain.head.time + 1000n,
      devCertifier(chain),
    );
    assert.equal(produced.block.txs.length, 3);
    assert.equal(mempool.size, 0);
  });

  it("drops a sender's transactions that the new state can no longer pay for", async () => {
    const { mempool, chain } = await memoryChain();
    const balance = chain.getAccount(devAddresses[4]!).balance;
    // Pending: nonce 0 spends almost everything; nonce 1 is affordable only before it.
    await mempool.add(transfer(4, 0n, { value: balance / 2n }).raw);
    await mempool.add(transfer(4, 1n, { value: balance / 4n }).raw);
    assert.equal(mempool.size, 2);
    await chain.produceBlock(
      function* () {
        yield* [...mempool.candidates()].slice(0, 1);
      },
      devAddresses[0]!,
      chain.head.time + 1000n,
      devCertifier(chain),
    );
    assert.equal(mempool.size, 1, "nonce 0 was included, nonce 1 still fits");
  });
});

describe("chain reads", () => {
  it("do not serve a block whose batch is stored but not yet applied to memory", async () => {
    const { chain, kv } = await memoryChain();
    const { ChainDb } = await import("../../src/db/index.ts");
    const { MapAccountReader, buildBlock } = await import("../../src/state/index.ts");
    const tx = transfer(1, 0n);
    const built = buildBlock(
      {
        accounts: new MapAccountReader(new Map()),
        trie: (await import("../../src/trie/index.ts")).Trie.empty(),
        beacon: chain.beacon,
      },
      chain.head,
      [],
      { time: chain.head.time + 1000n, proposer: devAddresses[0]!, lastCommit: EMPTY_CERTIFICATE },
      chain.ctx,
    );
    // The gap: the next block's batch is in the database, memory still at the old head.
    await new ChainDb(kv).commitBlock({
      hash: built.hash,
      header: built.block.header,
      txs: [tx.raw],
      evidence: [],
      beacon: [],
      evidenceIds: [],
      txHashes: [tx.hash],
      receipts: [],
      changes: [],
      storage: [],
      addressRefs: [],
      trieNodes: [],
    });
    assert.equal(await chain.headerAt(chain.head.height + 1), undefined);
    assert.equal(await chain.headerByHash(built.hash), undefined);
    assert.equal(await chain.txLocation(tx.hash), undefined);
  });
});

describe("mempool queue (future nonces)", () => {
  it("holds out-of-order nonces in the queue and promotes them when the gap fills", async () => {
    const { mempool } = await memoryChain();
    await mempool.add(transfer(1, 2n).raw);
    await mempool.add(transfer(1, 1n).raw);
    assert.equal(mempool.pendingSize, 0);
    assert.equal(mempool.queuedSize, 2);
    assert.equal(mempool.pendingNonce(devAddresses[1]!), 0n);
    assert.deepEqual([...mempool.candidates()], []);
    await mempool.add(transfer(1, 0n).raw);
    assert.equal(mempool.pendingSize, 3);
    assert.equal(mempool.queuedSize, 0);
    assert.deepEqual(
      [...mempool.candidates()].map((p) => p.tx.nonce),
      [0n, 1n, 2n],
    );
  });

  it("keeps a transaction a block builder skipped for a fee cap below the base fee; drops and re-queues on a state failure", async () => {
    const { mempool } = await memoryChain();
    const a = await mempool.add(transfer(1, 0n).raw);
    const b = await mempool.add(transfer(1, 1n).raw);
    const c = await mempool.add(transfer(1, 2n).raw);
    const rt = (tx: typeof a) => mempool.get(tx.hash)!;
    mempool.rejected([{ rt: rt(a), error: new TxError("TX_FEE_CAP_TOO_LOW", "fee cap below base fee") }]);
    assert.equal(mempool.size, 3);
    mempool.rejected([{ rt: rt(b), error: new TxError("TX_INSUFFICIENT_FUNDS", "insufficient funds") }]);
    assert.equal(mempool.get(b.hash), undefined, "invalid against state: dropped");
    assert.ok(mempool.get(c.hash), "the next one waits in the queue for nonce 1");
    assert.equal(mempool.pendingSize, 1);
    assert.equal(mempool.queuedSize, 1);
    await mempool.add(transfer(1, 1n).raw);
    assert.equal(mempool.pendingSize, 3);
  });

  it("tells a sender whose transaction was evicted, on its next dependent submission", async () => {
    const { mempool } = await memoryChain(undefined, { maxTotal: 2 });
    const cheap = await mempool.add(transfer(2, 0n, { maxPriorityFeePerGas: 100n }).raw);
    await mempool.add(transfer(3, 0n).raw);
    await mempool.add(transfer(4, 0n).raw); // evicts the cheapest
    assert.equal(mempool.get(cheap.hash), undefined);
    await rejects(mempool.add(transfer(2, 1n).raw), "TX_EVICTED", /evicted.*resend nonce 0/);
    // Reported once; resending the evicted nonce is admitted as usual (and evicts again when dearer).
    await mempool.add(transfer(2, 0n, { maxPriorityFeePerGas: 3_000_000_000n }).raw);
    assert.ok([...mempool.candidates()].some((p) => toHex(p.sender) === toHex(devAddresses[2]!)));
  });
});
