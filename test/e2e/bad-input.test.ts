// Bad input changes nothing and answers clearly: malformed JSON-RPC, wrong types, unknown
// methods, oversize bodies, bad transactions — and a few thousand random or mutated payloads.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { toHex } from "../../src/types/index.ts";
import { devAddresses, transfer } from "../helpers/chain.ts";
import { type NodeProcess, rpc, startNode } from "../helpers/process.ts";

async function post(url: string, body: string | Uint8Array, headers: Record<string, string> = {}) {
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body,
  });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : undefined };
}

const call = (method: string, params: unknown[] = [], id: unknown = 1) =>
  JSON.stringify({ jsonrpc: "2.0", id, method, params });

describe("bad input over RPC", () => {
  let node: NodeProcess;
  let snapshot: () => Promise<string>;

  before(async () => {
    // Slow blocks so "nothing changed" compares a stable head.
    node = await startNode({ blockTimeMs: 60_000 });
    snapshot = async () => {
      const balances = await Promise.all(
        devAddresses.map((a) => rpc<string>(node.url, "eth_getBalance", [toHex(a), "latest"])),
      );
      const nonces = await Promise.all(
        devAddresses.map((a) => rpc<string>(node.url, "eth_getTransactionCount", [toHex(a), "pending"])),
      );
      const pool = await rpc(node.url, "txpool_status");
      return JSON.stringify({ balances, nonces, pool });
    };
  });
  after(async () => {
    await node?.stop();
  });

  it("uses the standard JSON-RPC error codes", async () => {
    assert.equal((await post(node.url, "{not json")).json.error.code, -32700);
    assert.equal(
      (await post(node.url, JSON.stringify({ id: 1, method: "eth_chainId" }))).json.error.code,
      -32600,
    );
    assert.equal(
      (await post(node.url, JSON.stringify({ jsonrpc: "2.0", id: 1, method: 5 }))).json.error.code,
      -32600,
    );
    assert.equal((await post(node.url, "[]")).json.error.code, -32600);
    const unknown = (await post(node.url, call("eth_mine"))).json.error;
    assert.equal(unknown.code, -32601);
    assert.match(unknown.message, /does not exist/);
    const badParam = (await post(node.url, call("eth_getBalance", ["0x12", "latest"]))).json.error;
    assert.equal(badParam.code, -32602);
    assert.match(badParam.message, /invalid argument 0/);
    assert.equal((await post(node.url, call("eth_getBalance", [12]))).json.error.code, -32602);
    assert.equal(
      (
        await post(
          node.url,
          JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_chainId", params: { a: 1 } }),
        )
      ).json.error.code,
      -32602,
    );
  });

  it("answers batches in order and enforces the batch limit", async () => {
    const batch = await post(
      node.url,
      `[${call("eth_chainId", [], 1)},${call("nope", [], 2)},${call("net_version", [], 3)}]`,
    );
    assert.deepEqual(
      batch.json.map((r: { id: number }) => r.id),
      [1, 2, 3],
    );
    assert.equal(batch.json[0].result, "0x11a4e");
    assert.equal(batch.json[1].error.code, -32601);
    assert.equal(batch.json[2].result, "72270");
    const big = await post(
      node.url,
      `[${Array.from({ length: 101 }, (_, i) => call("eth_chainId", [], i)).join(",")}]`,
    );
    assert.match(big.json.error.message, /batch too large/);
  });

  it("refuses oversize bodies before reading them", async () => {
    const res = await post(node.url, call("eth_sendRawTransaction", [`0x${"00".repeat(600_000)}`]));
    assert.equal(res.status, 413);
    assert.match(res.json.error.message, /too large/);
  });

  it("answers wallet-relevant transaction failures in geth's words and changes nothing", async () => {
    const before = await snapshot();
    const send = async (raw: Uint8Array) =>
      (await post(node.url, call("eth_sendRawTransaction", [toHex(raw)]))).json.error?.message as string;
    assert.match(await send(transfer(1, 64n).raw), /nonce too high/);
    assert.match(
      await send(transfer(1, 0n, { value: 10n ** 30n }).raw),
      /insufficient funds for gas \* price \+ value/,
    );
    assert.match(await send(transfer(1, 0n, { chainId: 1n }).raw), /invalid chain id/);
    const good = transfer(3, 0n);
    const bad = good.raw.slice();
    bad[bad.length - 5]! ^= 0xff; // corrupt s
    const badSig = await send(bad);
    assert.ok(badSig, "a corrupted signature is refused");
    assert.match(await send(new Uint8Array([0xde, 0xad, 0xbe, 0xef])), /rlp|type/);
    assert.equal(before, await snapshot());
    // nonce too low / underpriced replacement need an accepted transaction first.
    assert.equal(
      (await post(node.url, call("eth_sendRawTransaction", [toHex(good.raw)]))).json.result,
      toHex(good.hash),
    );
    assert.match(await send(transfer(3, 0n, { value: 1001n }).raw), /replacement transaction underpriced/);
  });

  it("survives thousands of random and mutated payloads without a crash or a state change", async () => {
    const before = await snapshot();
    let seed = 12345;
    const rand = () => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed;
    };
    const methods = [
      "eth_sendRawTransaction",
      "eth_getBalance",
      "eth_call",
      "eth_estimateGas",
      "eth_getBlockByNumber",
      "eth_feeHistory",
      "eth_getProof",
      "eth_getTransactionByHash",
      "chain_getStatus",
      "eth_getTransactionCount",
    ];
    const base = transfer(5, 0n).raw;
    const junk = (): unknown => {
      switch (rand() % 9) {
        case 0:
          return rand();
        case 1:
          return -rand();
        case 2:
          return `0x${rand().toString(16)}`;
        case 3:
          return null;
        case 4:
          return { to: `0x${"ab".repeat(20)}`, data: `0x${"ff".repeat(rand() % 40)}`, value: "0x-1" };
        case 5:
          return [junk()];
        case 6:
          return "latest";
        case 7:
          return `0x${"zz".repeat(rand() % 5)}`;
        default:
          return "x".repeat(rand() % 100);
      }
    };
    let requests = 0;
    for (let round = 0; round < 60; round++) {
      const batch: string[] = [];
      for (let i = 0; i < 50; i++) {
        const kind = rand() % 4;
        if (kind === 0) {
          const b = base.slice();
          for (let f = 0; f <= rand() % 4; f++) b[rand() % b.length] = rand() & 0xff;
          // A mutation must change something: the untouched transaction is valid and would be accepted.
          if (Buffer.from(b).equals(Buffer.from(base))) b[rand() % b.length]! ^= 1 << (rand() % 8);
          batch.push(
            call(
              "eth_sendRawTransaction",
              [toHex(rand() % 5 === 0 ? b.subarray(0, rand() % b.length) : b)],
              i,
            ),
          );
        } else if (kind === 1) {
          batch.push(call(methods[rand() % methods.length]!, [junk(), junk(), junk()], i));
        } else if (kind === 2) {
          batch.push(
            JSON.stringify({
              jsonrpc: rand() % 2 ? "2.0" : "1.0",
              id: junk(),
              method: junk(),
              params: junk(),
            }),
          );
        } else {
          const s = call(methods[rand() % methods.length]!, [junk()], i);
          batch.push(s.slice(0, rand() % s.length));
        }
      }
      // Half as one batch, half as single requests (many of them invalid JSON).
      const res = await post(node.url, `[${batch.slice(0, 25).join(",")}]`);
      assert.ok(res.status === 200, `batch answered ${res.status}`);
      for (const single of batch.slice(25)) {
        const r = await fetch(node.url, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: single,
        });
        assert.ok(r.status === 200 || r.status === 204, `answered ${r.status}`);
        await r.text();
      }
      requests += batch.length;
    }
    assert.ok(requests >= 3000);
    assert.equal(node.proc.exitCode, null, "node still running");
    assert.equal(before, await snapshot(), "no balance, nonce or pool change");
    assert.doesNotMatch(node.output(), /RPC handler crashed|"level":50/, "no internal errors logged");
  });
});
