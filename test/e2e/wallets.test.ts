// A running node process driven by real ethers v6 and viem clients; every eth_* result in these
// flows is checked against the Ethereum OpenRPC result schemas.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Interface, JsonRpcProvider, Wallet, zeroPadValue } from "ethers";
import { createPublicClient, createWalletClient, defineChain, http, parseAbiItem } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { ENVELOPE_VERSION, envelopeCodec, transferArgs } from "../../contracts/index.ts";
import { encode } from "../../src/encoding/index.ts";
import { BANK_MODULE_ADDRESS } from "../../src/params/index.ts";
import { verifyProof } from "../../src/trie/index.ts";
import { fromHex, toChecksumAddress, toHex } from "../../src/types/index.ts";
import { devKeys } from "../helpers/chain.ts";
import { loadValidators, recordingProxy, schemaFailures } from "../helpers/openrpc.ts";
import { type NodeProcess, rpc, startNode } from "../helpers/process.ts";

describe("wallets against a running node", () => {
  let node: NodeProcess;
  let proxy: Awaited<ReturnType<typeof recordingProxy>>;
  const validators = loadValidators();

  before(async () => {
    node = await startNode({ blockTimeMs: 250 });
    proxy = await recordingProxy(node.url);
  });
  after(async () => {
    await proxy?.close();
    assert.equal(await node?.stop(), 0, "node exits cleanly on SIGTERM");
  });

  it("ethers v6: balance, EIP-1559 and legacy transfers, receipts, blocks", async () => {
    const provider = new JsonRpcProvider(proxy.url, undefined, {
      batchMaxCount: 1,
      // ethers reuses identical answers for 250 ms by default; with this test's 250 ms blocks a
      // cached pending nonce from before the last block would be stale (the node then rightly
      // answers "nonce too low").
      cacheTimeout: -1,
    });
    const network = await provider.getNetwork();
    assert.equal(network.chainId, 72270n);
    const sender = new Wallet(toHex(devKeys[1]!), provider);
    const to = Wallet.createRandom().address;
    assert.equal(await provider.getBalance(sender.address), 10_000n * 10n ** 18n);

    const tx1 = await sender.sendTransaction({ to, value: 10n ** 18n });
    assert.equal(tx1.type, 2);
    const r1 = await tx1.wait();
    assert.equal(r1?.status, 1);
    const tx2 = await sender.sendTransaction({ to, value: 2n, type: 0 });
    const r2 = await tx2.wait();
    assert.equal(r2?.status, 1);
    assert.equal(await provider.getBalance(to), 10n ** 18n + 2n);
    assert.equal(await provider.getTransactionCount(sender.address), 2);

    const block = await provider.getBlock(r1!.blockNumber, true);
    assert.ok(block?.transactions.includes(tx1.hash));
    assert.equal(block?.hash, r1!.blockHash);
    const mined = await provider.getTransaction(tx2.hash);
    assert.equal(mined?.from, sender.address);
    const fees = await provider.getFeeData();
    assert.ok(fees.maxFeePerGas && fees.maxFeePerGas > 0n);
    assert.equal(await provider.getCode(to), "0x");
    provider.destroy();
  });

  it("viem: balance, EIP-1559 and legacy transfers, receipts, blocks, proofs", async () => {
    const chain = defineChain({
      id: 72270,
      name: "racecoin-devnet",
      nativeCurrency: { name: "Race", symbol: "RACE", decimals: 18 },
      rpcUrls: { default: { http: [proxy.url] } },
    });
    const pub = createPublicClient({ chain, transport: http(proxy.url) });
    const account = privateKeyToAccount(toHex(devKeys[2]!) as `0x${string}`);
    const wallet = createWalletClient({ account, chain, transport: http(proxy.url) });
    const to = "0x000000000000000000000000000000000000dEaD" as const;
    assert.equal(await pub.getChainId(), 72270);
    assert.equal(await pub.getBalance({ address: account.address }), 10_000n * 10n ** 18n);

    const h1 = await wallet.sendTransaction({ to, value: 7n });
    const pending = await pub.getTransaction({ hash: h1 }).catch(() => undefined);
    const rc1 = await pub.waitForTransactionReceipt({ hash: h1, pollingInterval: 100 });
    assert.equal(rc1.status, "success");
    const h2 = await wallet.sendTransaction({ to, value: 8n, type: "legacy" });
    const rc2 = await pub.waitForTransactionReceipt({ hash: h2, pollingInterval: 100 });
    assert.equal(rc2.status, "success");
    assert.equal(await pub.getBalance({ address: to }), 15n);
    assert.ok(pending === undefined || pending.hash === h1);

    const block = await pub.getBlock({ blockNumber: rc2.blockNumber, includeTransactions: true });
    assert.equal(block.transactions[0]?.hash, h2);
    assert.equal(block.baseFeePerGas !== null, true);
    const history = await pub.getFeeHistory({ blockCount: 4, rewardPercentiles: [25, 75] });
    assert.equal(history.baseFeePerGas.length, 5);
    const gas = await pub.estimateGas({ account: account.address, to, value: 1n });
    assert.equal(gas, 21_000n);
    assert.equal(await pub.getTransactionCount({ address: account.address }), 2);

    // The account proof verifies against the block's state root with our own verifier.
    const latest = await pub.getBlock();
    const proof = await pub.getProof({ address: to, storageKeys: [], blockNumber: latest.number });
    const value = await verifyProof(
      fromHex(latest.stateRoot),
      fromHex(to),
      proof.accountProof.map((p) => fromHex(p)),
    );
    assert.ok(value, "proof proves the account exists");
    assert.equal(proof.balance, 15n);
  });

  it("module events are Ethereum logs: ethers and viem decode a bank Transfer, eth_getLogs filters", async () => {
    const provider = new JsonRpcProvider(proxy.url, undefined, { batchMaxCount: 1, cacheTimeout: -1 });
    const sender = new Wallet(toHex(devKeys[2]!), provider);
    const to = Wallet.createRandom().address;
    const data = toHex(
      encode(envelopeCodec, {
        version: ENVELOPE_VERSION,
        method: "transfer",
        args: encode(transferArgs, { to: fromHex(to), amount: 7n }),
      }),
    );
    const bankAddress = toChecksumAddress(BANK_MODULE_ADDRESS);
    const receipt = await (await sender.sendTransaction({ to: bankAddress, data })).wait();
    assert.equal(receipt?.status, 1);
    const abi = new Interface(["event Transfer(address indexed from, address indexed to, uint256 value)"]);
    assert.equal(receipt!.logs.length, 1);
    const parsed = abi.parseLog(receipt!.logs[0]!);
    assert.equal(parsed?.name, "Transfer");
    assert.deepEqual([parsed!.args.from, parsed!.args.to, parsed!.args.value], [sender.address, to, 7n]);
    assert.equal(receipt!.logs[0]!.address, bankAddress);
    // The bloom of the receipt and of the block contain the log's address and topics.
    const topic = abi.getEvent("Transfer")!.topicHash;
    const logs = await provider.getLogs({
      address: bankAddress,
      topics: [topic, null, zeroPadValue(to, 32)],
      fromBlock: 0,
      toBlock: "latest",
    });
    assert.equal(logs.length, 1);
    assert.equal(logs[0]!.transactionHash, receipt!.hash);
    assert.deepEqual(
      await provider.getLogs({ address: bankAddress, topics: [topic, zeroPadValue(to, 32)], fromBlock: 0 }),
      [],
      "a topic in the wrong position matches nothing",
    );
    const viemClient = createPublicClient({ transport: http(proxy.url) });
    const viemLogs = await viemClient.getLogs({
      address: bankAddress as `0x${string}`,
      event: parseAbiItem("event Transfer(address indexed from, address indexed to, uint256 value)"),
      args: { to: to as `0x${string}` },
      fromBlock: 0n,
    });
    assert.equal(viemLogs.length, 1);
    assert.equal(viemLogs[0]!.args.value, 7n);
    assert.equal(viemLogs[0]!.blockHash, receipt!.blockHash);
    await assert.rejects(
      rpc(node.url, "eth_getLogs", [{ fromBlock: "0x0", toBlock: "0x2710", address: bankAddress }]),
      /block range|exceeds/,
      "ranges over the cap are refused with a reason",
    );
    provider.destroy();
  });

  it("every eth_* result in these flows matches the OpenRPC schema", () => {
    const methods = new Set(proxy.calls.map((c) => c.method));
    for (const m of [
      "eth_chainId",
      "eth_getBalance",
      "eth_sendRawTransaction",
      "eth_getTransactionReceipt",
      "eth_getBlockByNumber",
      "eth_feeHistory",
      "eth_estimateGas",
      "eth_getProof",
      "eth_getLogs",
    ]) {
      assert.ok(methods.has(m), `flow did not exercise ${m}`);
    }
    const failures = schemaFailures(proxy.calls, validators);
    assert.deepEqual(failures, [], failures.join("\n"));
    // The check itself can fail: a non-minimal quantity and a missing field are caught.
    const bad = proxy.calls.find((c) => c.method === "eth_getBlockByNumber" && c.result)!;
    const broken = { ...(bad.result as object), number: "0x01", miner: undefined };
    assert.equal(schemaFailures([{ method: "eth_getBlockByNumber", result: broken }], validators).length, 1);
  });

  it("keeps blocks identical between the RPC views", async () => {
    const status = await rpc<{ height: number; headHash: string }>(node.url, "chain_getStatus");
    const block = await rpc<{ hash: string }>(node.url, "eth_getBlockByNumber", [
      `0x${status.height.toString(16)}`,
      false,
    ]);
    const byHash = await rpc<{ number: string }>(node.url, "eth_getBlockByHash", [block.hash, false]);
    assert.equal(Number(byHash.number), status.height);
  });
});
