// Pending and queued transactions survive a restart (graceful and SIGKILL), as geth's journal
// keeps them: a follower node (it produces no blocks) holds them across restarts.
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { toHex } from "../../src/types/index.ts";
import { transfer } from "../helpers/chain.ts";
import { type NodeProcess, rpc, startNode, tempDir } from "../helpers/process.ts";

describe("mempool journal", { timeout: 120_000 }, () => {
  let node: NodeProcess | undefined;
  after(async () => {
    await node?.stop();
  });

  it("a node restarted with pending and queued transactions still holds them", async () => {
    const datadir = tempDir();
    const genesis = "genesis/devnet.json";
    node = await startNode({ datadir, genesis, validator: -1 });
    const sent = [transfer(1, 0n), transfer(1, 1n), transfer(2, 3n)];
    for (const t of sent)
      assert.equal(await rpc(node.url, "eth_sendRawTransaction", [toHex(t.raw)]), toHex(t.hash));
    assert.deepEqual(await rpc(node.url, "txpool_status"), { pending: "0x2", queued: "0x1" });

    await node.stop();
    node = await startNode({ datadir, genesis, validator: -1 });
    assert.deepEqual(await rpc(node.url, "txpool_status"), { pending: "0x2", queued: "0x1" });
    for (const t of sent) assert.ok(await rpc(node.url, "eth_getTransactionByHash", [toHex(t.hash)]));

    // Killed without a chance to rewrite the journal: appended entries still come back.
    const late = transfer(1, 2n);
    await rpc(node.url, "eth_sendRawTransaction", [toHex(late.raw)]);
    await node.kill9();
    node = await startNode({ datadir, genesis, validator: -1 });
    assert.deepEqual(await rpc(node.url, "txpool_status"), { pending: "0x3", queued: "0x1" });
    assert.match(node.output(), /Restored transactions from the journal/);
  });
});
