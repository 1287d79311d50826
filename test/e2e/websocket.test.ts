// Live chain data for Ethereum tools: WebSocket subscriptions (ethers v6 WebSocketProvider, viem's
// webSocket transport, raw frames) and HTTP polling filters (viem's watchBlocks/watchEvent over
// http), against a node process; module events arrive as filtered logs. Bad input over WebSocket
// gets errors or a closed connection, a slow consumer is dropped, and the node keeps serving.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { connect } from "node:net";
import { after, before, describe, it } from "node:test";
import { Interface, JsonRpcProvider, Wallet, WebSocketProvider } from "ethers";
import { createPublicClient, http, parseAbiItem, webSocket } from "viem";
import WebSocket from "ws";
import { ENVELOPE_VERSION, envelopeCodec, transferArgs } from "../../contracts/index.ts";
import { encode } from "../../src/encoding/index.ts";
import { BANK_MODULE_ADDRESS } from "../../src/params/index.ts";
import { fromHex, toChecksumAddress, toHex } from "../../src/types/index.ts";
import { devKeys } from "../helpers/chain.ts";
import { loadValidators, schemaFailures } from "../helpers/openrpc.ts";
import { type NodeProcess, rpc, startNode, waitFor } from "../helpers/process.ts";

const TRANSFER = "event Transfer(address indexed from, address indexed to, uint256 value)";
const bank = toChecksumAddress(BANK_MODULE_ADDRESS) as `0x${string}`;

function until<T>(what: string, ms: number, f: (resolve: (v: T) => void) => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms);
    f((v) => {
      clearTimeout(t);
      resolve(v);
    });
  });
}

/** A raw WebSocket client: send frames, read parsed messages. */
async function raw(url: string) {
  const ws = new WebSocket(url.replace("http", "ws"));
  await new Promise((r, j) => {
    ws.once("open", r);
    ws.once("error", j);
  });
  const inbox: unknown[] = [];
  const waiters: (() => void)[] = [];
  ws.on("message", (d) => {
    inbox.push(JSON.parse(d.toString()));
    for (const w of waiters.splice(0)) w();
  });
  const next = async <T>(pred: (m: T) => boolean, ms = 10_000): Promise<T> => {
    const deadline = Date.now() + ms;
    for (;;) {
      const i = inbox.findIndex((m) => pred(m as T));
      if (i >= 0) return inbox.splice(i, 1)[0] as T;
      if (Date.now() > deadline) throw new Error("no matching message");
      await new Promise<void>((r) => {
        waiters.push(r);
        setTimeout(r, 200);
      });
    }
  };
  return { ws, next, send: (o: unknown) => ws.send(typeof o === "string" ? o : JSON.stringify(o)) };
}

/**
 * A WebSocket client that completes the handshake over a plain TCP socket, sends masked text
 * frames, and then never reads: the node's answers pile up unsent.
 */
async function stalledClient(url: string) {
  const { hostname, port } = new URL(url);
  const socket = connect(Number(port), hostname);
  await new Promise((r) => socket.once("connect", r));
  socket.write(
    `GET / HTTP/1.1\r\nHost: ${hostname}:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
      `Sec-WebSocket-Key: ${randomBytes(16).toString("base64")}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
  );
  await new Promise<void>((resolve) => {
    let head = "";
    const onData = (d: Buffer) => {
      head += d.toString("latin1");
      if (head.includes("\r\n\r\n")) {
        socket.off("data", onData);
        socket.pause();
        resolve();
      }
    };
    socket.on("data", onData);
  });
  const send = (o: unknown) => {
    const payload = Buffer.from(JSON.stringify(o));
    const mask = randomBytes(4);
    const len = payload.length;
    const header =
      len < 126
        ? Buffer.from([0x81, 0x80 | len])
        : len < 65536
          ? Buffer.from([0x81, 0x80 | 126, len >> 8, len & 255])
          : Buffer.concat([
              Buffer.from([0x81, 0x80 | 127]),
              Buffer.from(new BigUint64Array([BigInt(len)]).buffer).reverse(),
            ]);
    const body = Buffer.from(payload.map((b, i) => b ^ mask[i & 3]!));
    socket.write(Buffer.concat([header, mask, body]));
  };
  return { socket, send };
}

describe("live subscriptions and filters", { timeout: 120_000 }, () => {
  let node: NodeProcess;
  let sender: Wallet;
  let provider: JsonRpcProvider;
  const transfer = async (to: string, amount: bigint) => {
    const data = toHex(
      encode(envelopeCodec, {
        version: ENVELOPE_VERSION,
        method: "transfer",
        args: encode(transferArgs, { to: fromHex(to), amount }),
      }),
    );
    return (await sender.sendTransaction({ to: bank, data })).wait();
  };

  before(async () => {
    // A small backlog bound, so the slow consumer below is dropped within seconds.
    node = await startNode({ blockTimeMs: 250, args: ["--rpc-ws-backlog", "262144"] });
    provider = new JsonRpcProvider(node.url, undefined, { batchMaxCount: 1, cacheTimeout: -1 });
    sender = new Wallet(toHex(devKeys[3]!), provider);
  });
  after(async () => {
    provider?.destroy();
    assert.equal(await node?.stop(), 0, "node exits cleanly with WebSocket clients connected");
  });

  it("ethers WebSocketProvider: new blocks and a filtered Transfer log", async () => {
    const ws = new WebSocketProvider(node.url.replace("http", "ws"));
    const abi = new Interface([TRANSFER]);
    const to = Wallet.createRandom().address;
    const blocks = until<number[]>("three blocks", 15_000, (done) => {
      const seen: number[] = [];
      void ws.on("block", (n: number) => {
        seen.push(n);
        if (seen.length === 3) done(seen);
      });
    });
    const log = until<{ to: string; value: bigint }>("the Transfer log", 20_000, (done) => {
      void ws.on({ address: bank, topics: [abi.getEvent("Transfer")!.topicHash, null, null] }, (l) => {
        const p = abi.parseLog(l)!;
        if (p.args.to === to) done({ to: p.args.to, value: p.args.value });
      });
    });
    const seen = await blocks;
    assert.ok(seen[2]! > seen[0]!, "heights increase");
    await new Promise((r) => setTimeout(r, 300)); // the log subscription is in place
    await transfer(to, 5n);
    assert.deepEqual(await log, { to, value: 5n });
    await ws.destroy();
  });

  it("viem: webSocket watchBlocks/watchEvent, and over http the polling filters", async () => {
    const to = Wallet.createRandom().address as `0x${string}`;
    const event = parseAbiItem(TRANSFER);
    const results: string[] = [];
    for (const transport of [webSocket(node.url.replace("http", "ws")), http(node.url)]) {
      const client = createPublicClient({ transport, pollingInterval: 200 });
      const blocks = until<bigint>("a block", 15_000, (done) => {
        const stop = client.watchBlocks({ onBlock: (b) => (stop(), done(b.number!)) });
      });
      const logs = until<bigint>("the log", 20_000, (done) => {
        const stop = client.watchEvent({
          address: bank,
          event,
          args: { to },
          onLogs: (ls) => (stop(), done(ls[0]!.args.value!)),
        });
      });
      assert.ok((await blocks) > 0n);
      await new Promise((r) => setTimeout(r, 500));
      await transfer(to, 9n);
      assert.equal(await logs, 9n);
      results.push(transport.name ?? "");
      // viem keeps its socket open for reuse: close it so the test process can end.
      const t = client.transport as { getRpcClient?: () => Promise<{ close(): void }> };
      if (t.getRpcClient) (await t.getRpcClient()).close();
    }
    assert.equal(results.length, 2);
  });

  it("raw frames: newPendingTransactions, unsubscribe, and filter results against the OpenRPC schema", async () => {
    const c = await raw(node.url);
    c.send({ jsonrpc: "2.0", id: 1, method: "eth_subscribe", params: ["newPendingTransactions"] });
    const { result: sub } = await c.next<{ id: number; result: string }>((m) => m.id === 1);
    const tx = await sender.sendTransaction({ to: Wallet.createRandom().address, value: 1n });
    const note = await c.next<{ params: { subscription: string; result: string } }>(
      (m) => (m as { params?: { result?: string } }).params?.result === tx.hash,
    );
    assert.equal(note.params.subscription, sub);
    c.send({ jsonrpc: "2.0", id: 2, method: "eth_unsubscribe", params: [sub] });
    assert.equal((await c.next<{ id: number; result: boolean }>((m) => m.id === 2)).result, true);
    c.send({ jsonrpc: "2.0", id: 3, method: "eth_unsubscribe", params: ["0xdead"] });
    assert.equal((await c.next<{ id: number; result: boolean }>((m) => m.id === 3)).result, false);
    c.ws.close();
    // Polling filters: changes since the last poll, then the filter is gone once uninstalled.
    const f = await rpc<string>(node.url, "eth_newBlockFilter");
    await new Promise((r) => setTimeout(r, 800));
    const hashes = await rpc<string[]>(node.url, "eth_getFilterChanges", [f]);
    assert.ok(hashes.length >= 1 && hashes.every((h) => /^0x[0-9a-f]{64}$/.test(h)));
    assert.equal(await rpc(node.url, "eth_uninstallFilter", [f]), true);
    await assert.rejects(rpc(node.url, "eth_getFilterChanges", [f]), /filter not found/);
    const lf = await rpc<string>(node.url, "eth_newFilter", [{ address: bank, fromBlock: "0x0" }]);
    const all = await rpc<unknown[]>(node.url, "eth_getFilterLogs", [lf]);
    assert.ok(all.length >= 2, "the Transfer logs of the earlier tests");
    const validators = loadValidators();
    assert.deepEqual(
      schemaFailures(
        [
          { method: "eth_getFilterChanges", result: hashes },
          { method: "eth_getFilterLogs", result: all },
          { method: "eth_newFilter", result: lf },
          { method: "eth_newBlockFilter", result: f },
        ],
        validators,
      ),
      [],
    );
  });

  it("bad input: garbage, binary and oversized frames, floods; a slow consumer is dropped, others are served", async () => {
    const c = await raw(node.url);
    c.send("{not json");
    assert.equal(
      (await c.next<{ error: { code: number } }>((m) => "error" in (m as object))).error.code,
      -32700,
    );
    c.ws.send(Buffer.from([1, 2, 3]), { binary: true });
    assert.equal(
      (await c.next<{ error: { code: number } }>((m) => "error" in (m as object))).error.code,
      -32600,
    );
    c.send({ jsonrpc: "2.0", id: 7, method: "eth_subscribe", params: ["everything"] });
    assert.match(
      (await c.next<{ id: number; error: { message: string } }>((m) => m.id === 7)).error.message,
      /newHeads/,
    );
    // A flood of requests is answered in order and the connection stays usable.
    for (let i = 0; i < 500; i++) c.send({ jsonrpc: "2.0", id: 1000 + i, method: "eth_blockNumber" });
    await c.next((m) => (m as { id?: number }).id === 1499);
    // A frame over the 1 MiB limit closes the connection (1009).
    const closed = until<number>("close", 10_000, (done) => c.ws.once("close", (code) => done(code)));
    c.send(`{"jsonrpc":"2.0","id":1,"method":"eth_blockNumber","params":["${"x".repeat(1_100_000)}"]}`);
    assert.equal(await closed, 1009);

    // A consumer that never reads while asking for large answers is dropped; another one keeps
    // receiving heads.
    const watcher = await raw(node.url);
    watcher.send({ jsonrpc: "2.0", id: 1, method: "eth_subscribe", params: ["newHeads"] });
    await watcher.next((m) => (m as { id?: number }).id === 1);
    const slow = await stalledClient(node.url);
    // 128 newHeads subscriptions and floods of requests, and never a byte read back.
    for (let i = 0; i < 128; i++)
      slow.send({ jsonrpc: "2.0", id: i, method: "eth_subscribe", params: ["newHeads"] });
    const flood = Array.from({ length: 100 }, (_, i) => ({ jsonrpc: "2.0", id: i, method: "eth_chainId" }));
    for (let i = 0; i < 200; i++) slow.send(flood);
    // (A paused socket never sees the close, so the node's log tells.)
    await waitFor(
      "the slow consumer dropped",
      async () => /Dropping a slow WebSocket consumer/.test(node.output()),
      30_000,
    );
    slow.socket.destroy();
    const head = await watcher.next<{ params?: { result?: { number?: string } } }>(
      (m) => !!(m as { params?: unknown }).params,
    );
    assert.match(head.params!.result!.number!, /^0x[0-9a-f]+$/);
    watcher.ws.close();
    assert.ok(Number(await rpc<string>(node.url, "eth_blockNumber")) > 0, "the node keeps serving HTTP");
  });
});
