// Misbehaving peers against real node processes: a test-side libp2p peer (our Network class)
// sends malformed gossip and requests, and serves a forged chain to a syncing follower.
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { decode, encode } from "../../src/encoding/index.ts";
import { silentLogger } from "../../src/logger/index.ts";
import { Network, rawGossip } from "../../src/network/index.ts";
import { certifiedBlocksCodec, statusCodec, syncLimits, syncProtocols } from "../../src/sync/index.ts";
import { rpc, status, waitFor } from "../helpers/network.ts";
import { freePort, type NodeProcess, startNode, tempDir } from "../helpers/process.ts";

type Peers = { peers: { peer: string; score: number; banned: boolean }[] };

describe("misbehaving peers", { timeout: 120_000 }, () => {
  const cleanup: (() => Promise<unknown>)[] = [];
  after(async () => {
    for (const c of cleanup.reverse()) await c();
  });

  async function testPeer(bootstrap: string[]): Promise<Network> {
    const net = await Network.create(
      { host: "127.0.0.1", port: 0, bootstrap, maxGossipBytes: 4 << 20, reconnectMs: 500 },
      { log: silentLogger() },
    );
    cleanup.push(() => net.stop());
    return net;
  }

  async function scoreAt(
    node: NodeProcess,
    peer: string,
  ): Promise<{ score: number; banned: boolean } | undefined> {
    return (await rpc<Peers>(node.url, "chain_getPeers")).peers.find((p) => p.peer === peer);
  }

  it("malformed and oversized gossip and requests are rejected, the node keeps running, the sender's score drops", async () => {
    const p2p = await freePort();
    const node = await startNode({ p2pPort: p2p });
    cleanup.push(() => node.stop());
    const peer = await testPeer([`/ip4/127.0.0.1/tcp/${p2p}`]);
    const vote = "/racecoin/72270/vote/1";
    peer.subscribe(
      vote,
      rawGossip,
      () => "ignore",
      () => undefined,
    );
    await waitFor("gossip mesh", async () =>
      peer.libp2p.services.pubsub.getSubscribers(vote).some((p) => peer.peers().includes(p.toString())),
    );
    await peer.publish(vote, new Uint8Array([0xc1, 0x02, 0x03]));
    await waitFor(
      "penalty for garbage gossip",
      async () => ((await scoreAt(node, peer.peerId))?.score ?? 0) < 0,
    );
    const afterGossip = (await scoreAt(node, peer.peerId))!.score;

    const target = peer.peers()[0]!;
    await assert.rejects(
      peer.request(target, syncProtocols.blocksByRange, new Uint8Array(4096), {
        ...syncLimits.blocksByRange,
        timeoutMs: 5000,
      }),
    );
    await waitFor(
      "penalty for an oversized request",
      async () => (await scoreAt(node, peer.peerId))!.score < afterGossip,
    );
    // Keep misbehaving until banned: the node hangs up and refuses us.
    for (let i = 0; i < 6; i++) await peer.publish(vote, new Uint8Array([0xc1, i]));
    await waitFor("ban", async () => (await scoreAt(node, peer.peerId))?.banned === true);
    const s = await status(node.url);
    const h = s.height;
    await waitFor("node still finalizes", async () => (await status(node.url)).height > h);
  });

  it("a peer serving a forged certificate is rejected and penalised; nothing is imported", async () => {
    const p2p = await freePort();
    const honest = await startNode({ p2pPort: p2p });
    cleanup.push(() => honest.stop());
    await waitFor("honest chain at height 3", async () => (await status(honest.url)).height >= 3);

    const liar = await testPeer([`/ip4/127.0.0.1/tcp/${p2p}`]);
    await waitFor("liar connected", async () => liar.peers().length > 0);
    const honestPeer = liar.peers()[0]!;
    const realStatus = decode(
      statusCodec,
      await liar.request(
        honestPeer,
        syncProtocols.status,
        encode(statusCodec, {
          chainId: 72270n,
          genesisHash: new Uint8Array(32),
          height: 0,
          headHash: new Uint8Array(32),
        }),
        syncLimits.status,
      ),
    );
    const real = decode(
      certifiedBlocksCodec,
      await liar.request(
        honestPeer,
        syncProtocols.blocksByRange,
        encode((await import("../../src/sync/index.ts")).blocksByRangeCodec, { start: 1, count: 2 }),
        syncLimits.blocksByRange,
      ),
    );
    assert.equal(real.length, 2);
    // Forge: block 1 with block 2's certificate (valid signatures, wrong block).
    const forged = [{ block: real[0]!.block, commit: real[1]!.commit }];
    await liar.handle(syncProtocols.status, syncLimits.status, async () =>
      encode(statusCodec, { ...realStatus, height: 1000 }),
    );
    await liar.handle(syncProtocols.blocksByRange, syncLimits.blocksByRange, async () =>
      encode(certifiedBlocksCodec, forged),
    );
    const liarAddr = liar.listenAddrs[0]!;
    // A follower that only knows the liar (its own genesis: the honest node's one-validator chain).
    const follower = await startNode({ validator: -1, bootstrap: [liarAddr], datadir: tempDir() });
    cleanup.push(() => follower.stop());
    await waitFor(
      "follower penalises the liar",
      async () => ((await scoreAt(follower, liar.peerId))?.score ?? 0) <= -50,
    );
    assert.equal((await status(follower.url)).height, 0, "nothing imported from the forged chain");
    assert.match(follower.output(), /BLOCK_ERROR_LAST_COMMIT/);
  });
});
