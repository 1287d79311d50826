// Liveness without a race seed: two of four beacon members keep their partials back for all of
// cycle 1, so no beacon round completes and cycle 1 has no race seed. The cycle runs no race,
// cycle 2 keeps cycle 1's weights, the chain keeps finalizing throughout, and the race resumes in
// cycle 2 once the beacon is back.
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { assertSameChain, rpc, startNetwork, status, type TestNetwork, waitFor } from "../helpers/network.ts";

type RaceStatus = { seeds: string[]; settled: number; commitments: number };
type SetJson = { validators: { address: string; weight: string }[] };

describe("race liveness with a silenced beacon", { timeout: 240_000 }, () => {
  let net: TestNetwork | undefined;
  after(async () => {
    await net?.stop();
  });

  it("a cycle without a race seed keeps the previous weights and the chain keeps finalizing", async () => {
    const silent = { RACECOIN_BEACON_SILENT: "1" };
    net = await startNetwork(
      [
        { validator: 0, args: ["--mine"], env: silent },
        { validator: 1, args: ["--mine"], env: silent },
        { validator: 2, args: ["--mine"] },
        { validator: 3, args: ["--mine"] },
      ],
      { blockTimeMs: 300 },
    );
    const urls = net.nodes.map((n) => n.url);
    await waitFor(
      "cycle 2's race window on every node",
      async () => (await Promise.all(urls.map(status))).every((s) => s.height >= 135),
      200_000,
    );
    const cycle1 = await rpc<RaceStatus>(urls[0]!, "race_status", [{ cycle: 1 }]);
    assert.deepEqual(cycle1.seeds, [], "no beacon round completed in cycle 1, so it has no race seed");
    assert.equal(cycle1.commitments, 0, "nobody could commit to a race without a seed");
    assert.equal(cycle1.settled, 0);
    for (const u of urls) {
      const before = await rpc<SetJson>(u, "chain_getValidators", [119]);
      const after = await rpc<SetJson>(u, "chain_getValidators", [120]);
      const weights = (s: SetJson) => s.validators.map((v) => [v.address, v.weight]);
      assert.deepEqual(
        weights(after),
        weights(before),
        `${u}: cycle 2 keeps cycle 1's validators and weights`,
      );
    }
    // Every height was finalized with a certificate, silenced cycle included.
    for (const h of [61, 90, 119, 130]) {
      const c = await rpc<{ height: number } | null>(urls[0]!, "chain_getCommit", [h]);
      assert.ok(c, `height ${h} has a commit certificate`);
    }
    // The beacon is back: it completes the rounds it missed one after another, and a race takes its
    // seed only from a round that opened in its window (race-cycle.md §Seeds). On minimal (six
    // rounds a cycle, raceStart 10) the catch-up can outlast cycle 2's window on a loaded box, so
    // the race returns in cycle 2 or, at the latest, cycle 3.
    await waitFor(
      "a race seed in cycle 2 or 3",
      async () => {
        const [c2, c3] = await Promise.all(
          [2, 3].map((cycle) => rpc<RaceStatus>(urls[2]!, "race_status", [{ cycle }])),
        );
        return c2!.seeds.length === 1 || c3!.seeds.length === 1;
      },
      120_000,
    );
    await assertSameChain(urls);
  });
});
