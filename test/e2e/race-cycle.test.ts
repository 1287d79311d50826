// Proof-of-Work 2.0 on a real 4-process network: every node races (`--mine`); from the second
// cycle on, the validator weights are the previous cycle's race proof counts, as race_commitments
// reports them, and every node agrees.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { after, describe, it } from "node:test";
import { fromHex, toChecksumAddress } from "../../src/types/index.ts";
import { assertSameChain, rpc, startNetwork, status, type TestNetwork, waitFor } from "../helpers/network.ts";

type Commitment = { miner: string; count: number; revealed: number; fraud: string; weight: string };
type SetJson = { validators: { address: string; weight: string }[] };

describe("race cycle on a devnet", { timeout: 300_000 }, () => {
  let net: TestNetwork | undefined;
  after(async () => {
    await net?.stop();
  });

  it("weights of cycle 2 equal cycle 1's race proof counts, on every node", async () => {
    net = await startNetwork(
      [0, 1, 2, 3].map((validator) => ({ validator, args: ["--mine", "--race-duty", "0.5"] })),
      { blockTimeMs: 300 },
    );
    const urls = net.nodes.map((n) => n.url);
    await waitFor(
      "cycle 2 under way on every node",
      async () => (await Promise.all(urls.map(status))).every((s) => s.height >= 125),
      200_000,
    );
    const { commitments } = await rpc<{ commitments: Commitment[] }>(urls[0]!, "race_commitments", [
      { cycle: 1 },
    ]);
    // Normally all four commit; a node starved of CPU on a loaded box may miss the deadline.
    assert.ok(commitments.length >= 1, "nodes committed in cycle 1");
    const expected = commitments
      .filter((c) => c.revealed === 1 && c.fraud === "" && c.count > 0)
      .map((c) => [toChecksumAddress(fromHex(c.miner)), String(c.count)]);
    for (const c of commitments) assert.equal(c.weight, c.revealed && !c.fraud ? String(c.count) : "0");
    assert.ok(expected.length > 0, "some miner found proofs");
    for (const u of urls) {
      const set = await rpc<SetJson>(u, "chain_getValidators", [120]);
      assert.deepEqual(
        set.validators.map((v) => [v.address, v.weight]).sort(),
        [...expected].sort(),
        `${u}: cycle 2's weights are cycle 1's proof counts`,
      );
    }
    const genesisSet = await rpc<SetJson>(urls[0]!, "chain_getValidators", [119]);
    assert.deepEqual(
      genesisSet.validators.map((v) => v.weight),
      ["100", "100", "100", "100"],
      "cycle 1 still ran on the genesis weights",
    );
    // A miner sees where it stands with the CLI.
    const cli = spawnSync(
      process.execPath,
      [
        "--import",
        "tsx",
        "src/cli/main.ts",
        "race",
        "status",
        "--cycle",
        "1",
        "--address",
        expected[0]![0]!,
        "--rpc",
        urls[0]!,
      ],
      { encoding: "utf8" },
    );
    assert.equal(cli.status, 0, cli.stderr);
    assert.match(cli.stdout, /^cycle 1 at height \d+: phase \w+, weights settled/);
    assert.match(
      cli.stdout,
      new RegExp(`${expected[0]![0]}: committed ${expected[0]![1]}, revealed, weight ${expected[0]![1]}`),
    );
    await assertSameChain(urls);
  });
});
