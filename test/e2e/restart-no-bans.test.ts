// Restarting a devnet (every validator at once, several times) must never make honest validators
// penalise or ban each other. After restarts heights often need several rounds, and a round's
// proposer then re-proposes a block another validator built: that used to be rejected as invalid
// gossip, and the honest proposer was penalised and banned.
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { assertSameChain, startNetwork, status, type TestNetwork, waitFor } from "../helpers/network.ts";

describe("devnet restarts", { timeout: 300_000 }, () => {
  let net: TestNetwork | undefined;
  after(async () => {
    await net?.stop();
  });

  it("no honest peer is ever penalised or banned across repeated restarts", async () => {
    net = await startNetwork(
      [0, 1, 2, 3].map((validator) => ({ validator })),
      { blockTimeMs: 200 },
    );
    const urls = () => net!.nodes.map((n) => n.url);
    const logs: string[] = [];
    let target = 5;
    for (let restart = 0; restart <= 3; restart++) {
      await waitFor(
        `height ${target} everywhere (after restart ${restart})`,
        async () => (await Promise.all(urls().map(status))).every((s) => s.height >= target),
        60_000,
      );
      const metrics = await Promise.all(urls().map(async (u) => (await fetch(`${u}/metrics`)).text()));
      for (const [i, m] of metrics.entries()) {
        const penalties = m.split("\n").filter((l) => l.startsWith("racecoin_p2p_penalties_total{"));
        assert.deepEqual(penalties, [], `node ${i} penalised a peer: ${penalties.join("; ")}`);
      }
      if (restart === 3) break;
      logs.push(...net.nodes.map((n) => n.output()));
      await Promise.all(net.nodes.map((n) => n.stop()));
      await Promise.all(net.nodes.map((_, i) => net!.start(i)));
      target = Math.max(...(await Promise.all(urls().map(async (u) => (await status(u)).height)))) + 5;
    }
    logs.push(...net.nodes.map((n) => n.output()));
    for (const log of logs) {
      assert.doesNotMatch(log, /"Peer banned"/);
      assert.doesNotMatch(log, /"Peer penalised"/);
    }
    await assertSameChain(urls());
  });
});
