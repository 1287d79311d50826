// Crash injection (RACECOIN_CRASH_AT): a validator kills itself with SIGKILL at a named point in
// its consensus code, restarts on the same datadir, replays its WAL and goes on without ever
// signing two different messages for one (height, round, step).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { status } from "../helpers/network.ts";
import { startNode, tempDir, waitFor } from "../helpers/process.ts";

const points = [
  "after-own-vote-wal:7",
  "after-own-proposal-wal:3",
  "after-commit:4",
  "wal-before-end-height:5",
];

describe("crash injection in consensus", { timeout: 180_000 }, () => {
  for (const point of points) {
    it(`recovers from a kill at ${point}`, async () => {
      const datadir = tempDir();
      const first = await startNode({ datadir, env: { RACECOIN_CRASH_AT: point } });
      await waitFor("the injected crash", async () => first.proc.signalCode === "SIGKILL", 30_000);
      const second = await startNode({ datadir });
      try {
        const h0 = (await status(second.url)).height;
        await waitFor(
          "progress after restart",
          async () => (await status(second.url)).height >= h0 + 3,
          30_000,
        );
        const signed = new Map<string, string>();
        for (const line of (first.output() + second.output()).split("\n")) {
          if (!line.includes('"Signed vote"')) continue;
          const v = JSON.parse(line) as { height: number; round: number; type: string; block: string };
          const k = `${v.height}/${v.round}/${v.type}`;
          assert.ok(!signed.has(k) || signed.get(k) === v.block, `conflicting signatures at ${k}`);
          signed.set(k, v.block);
        }
        // Killed mid-height with its own message logged: the restart must rebuild that height from the WAL.
        if (point.startsWith("after-own")) assert.match(second.output(), /Replayed consensus WAL/);
      } finally {
        await second.stop();
      }
    });
  }
});
