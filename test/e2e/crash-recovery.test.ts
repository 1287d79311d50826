// kill -9 during block production under load, restart, repeat: the node comes back at its last
// committed block (it verifies the state root against the head header on start), and every block
// and receipt it had served before the kill is still there, unchanged.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { toHex } from "../../src/types/index.ts";
import { devAddresses, transfer } from "../helpers/chain.ts";
import { addressHistory, rpc, startNode, tempDir } from "../helpers/process.ts";

describe("crash recovery", () => {
  it("survives SIGKILL at random points with nothing committed lost", async (t) => {
    const datadir = tempDir();
    const seen = new Map<number, string>(); // height → hash served before a kill
    const mined: string[] = []; // tx hashes with receipts served before a kill
    const nonces = new Map<number, bigint>();
    const initialSeed = Number(process.env.CRASH_SEED ?? Date.now() % 100000);
    let seed = initialSeed;
    const rand = () => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed;
    };
    const rounds = 5;
    for (let round = 0; round < rounds; round++) {
      // Alternate fsync on and off: a process kill must be safe either way.
      const node = await startNode({ datadir, blockTimeMs: 100, fsync: round % 2 === 0 });
      try {
        for (const [height, hash] of seen) {
          const b = await rpc<{ hash: string } | null>(node.url, "eth_getBlockByNumber", [
            `0x${height.toString(16)}`,
            false,
          ]);
          assert.equal(
            b?.hash,
            hash,
            `block ${height} changed after restart (round ${round}, CRASH_SEED=${initialSeed})`,
          );
        }
        for (const h of mined)
          assert.ok(await rpc(node.url, "eth_getTransactionReceipt", [h]), `receipt ${h} lost`);
        // Load: a few senders keep transfers flowing while we wait a random time.
        const sent: string[] = [];
        const until = Date.now() + 300 + (rand() % 1200);
        while (Date.now() < until) {
          const from = 1 + (rand() % 4);
          const next =
            nonces.get(from) ??
            BigInt(
              await rpc<string>(node.url, "eth_getTransactionCount", [toHex(devAddresses[from]!), "pending"]),
            );
          try {
            sent.push(
              await rpc<string>(node.url, "eth_sendRawTransaction", [toHex(transfer(from, next).raw)]),
            );
            nonces.set(from, next + 1n);
          } catch {
            nonces.delete(from); // re-read the pending nonce next time
          }
          await new Promise((r) => setTimeout(r, 10));
        }
        const status = await rpc<{ height: number }>(node.url, "chain_getStatus");
        for (let h = Math.max(1, status.height - 20); h <= status.height; h++) {
          const b = await rpc<{ hash: string }>(node.url, "eth_getBlockByNumber", [
            `0x${h.toString(16)}`,
            false,
          ]);
          seen.set(h, b.hash);
        }
        for (const h of sent) if (await rpc(node.url, "eth_getTransactionReceipt", [h])) mined.push(h);
      } finally {
        await node.kill9();
      }
      // Pending transactions die with the process (the mempool is not persisted).
      nonces.clear();
    }
    const final = await startNode({ datadir, blockTimeMs: 100 });
    try {
      const status = await rpc<{ height: number }>(final.url, "chain_getStatus");
      assert.ok(
        status.height >= Math.max(...seen.keys()),
        "restarted at or after every height it had served",
      );
      for (const h of mined) assert.ok(await rpc(final.url, "eth_getTransactionReceipt", [h]));
      assert.ok(mined.length > 0, "load generator got transactions mined");
      // The address index, written in each block's batch, is whole after every kill: each sender's
      // history holds exactly its nonce's worth of sent transactions, every mined one among them.
      const indexed = new Set<string>();
      for (let from = 1; from <= 4; from++) {
        const address = toHex(devAddresses[from]!);
        const sentByIt = (await addressHistory(final.url, address)).filter((r) => r.sender);
        const nonce = Number(await rpc<string>(final.url, "eth_getTransactionCount", [address, "latest"]));
        assert.equal(sentByIt.length, nonce, `address index of ${address} (CRASH_SEED=${initialSeed})`);
        for (const r of sentByIt) indexed.add(r.transactionHash);
      }
      for (const h of mined) assert.ok(indexed.has(h), `mined ${h} missing from the address index`);
      t.diagnostic(
        `rounds ${rounds}, blocks checked ${seen.size}, mined txs checked ${mined.length}, final height ${status.height}, CRASH_SEED=${initialSeed}`,
      );
      assert.match(final.output(), /state root verified/);
    } finally {
      await final.stop();
    }
  });
});
