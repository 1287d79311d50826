// racecoin race hash | run | verify, as a miner or validator runs them.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { buildTree, multiproof, rootOf } from "../../src/race/index.ts";
import { toHex } from "../../src/types/index.ts";
import { tempDir } from "../helpers/process.ts";

function race(args: string[]) {
  const r = spawnSync(process.execPath, ["--import", "tsx", "src/cli/main.ts", "race", ...args], {
    encoding: "utf8",
    timeout: 120_000,
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const vectors = JSON.parse(readFileSync("spec/vectors/race/minimal.json", "utf8"));

describe("racecoin race", () => {
  it("hash reproduces a spec vector on both CPU backends", () => {
    const r0 = vectors.races[1];
    const c = r0.cases.find((x: { success: boolean }) => x.success);
    for (const backend of ["reference", "onnx"]) {
      const r = race([
        "hash",
        "--preset",
        "minimal",
        "--backend",
        backend,
        "--seed",
        r0.seed,
        "--miner",
        c.miner,
        "--nonce",
        c.nonce,
        "--json",
      ]);
      assert.equal(r.code, 0, r.err);
      assert.deepEqual(JSON.parse(r.out), {
        outputHash: c.outputHash,
        distance: c.distance,
        threshold: r0.calibration.threshold,
        success: true,
      });
    }
  });

  it("hash exits 1 for a nonce that is not a proof, as its help says", () => {
    const r0 = vectors.races[1];
    const c = r0.cases.find((x: { success: boolean }) => !x.success);
    const r = race([
      "hash",
      "--preset",
      "minimal",
      "--seed",
      r0.seed,
      "--miner",
      c.miner,
      "--nonce",
      c.nonce,
      "--json",
    ]);
    assert.equal(r.code, 1, r.err);
    assert.equal(JSON.parse(r.out).success, false);
  });

  it("refuses bad input with exit code 2 and a clear message", () => {
    const seed = `0x${"11".repeat(32)}`;
    const miner = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";
    const cases: [string[], RegExp][] = [
      [["hash", "--seed", "0x1234", "--miner", miner, "--nonce", "1"], /expected 32 bytes/],
      [["hash", "--seed", "0xzz", "--miner", miner, "--nonce", "1"], /hex/],
      [["hash", "--seed", seed, "--miner", "0x12", "--nonce", "1"], /20 bytes/],
      [["hash", "--seed", seed, "--miner", miner, "--nonce", "-1"], /whole number|ambiguous/],
      [["hash", "--seed", seed, "--miner", miner, "--nonce=-1"], /whole number/],
      [["hash", "--seed", seed, "--miner", miner, "--nonce", String(2n ** 40n)], /out of range/],
      [["hash", "--preset", "huge", "--seed", seed, "--miner", miner, "--nonce", "1"], /unknown preset/],
      [
        ["hash", "--backend", "tfjs", "--seed", seed, "--miner", miner, "--nonce", "1"],
        /unknown race backend/,
      ],
      [["run"], /--seconds/],
      [["dance"], /expected hash \| run \| verify/],
    ];
    for (const [args, why] of cases) {
      const r = race(args);
      assert.equal(r.code, 2, `${args.join(" ")}: ${r.err}`);
      assert.match(r.err, why);
    }
  });

  it("run mines with a commitment; verify accepts the honest sample and judges fraud proofs", () => {
    const dir = tempDir();
    const out = join(dir, "proofs.json");
    const run = race([
      "run",
      "--preset",
      "minimal",
      "--backend",
      "onnx",
      "--seconds",
      "3",
      "--seed",
      `0x${"22".repeat(32)}`,
      "--miner",
      "0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
      "--out",
      out,
    ]);
    assert.equal(run.code, 0, run.err);
    const summary = JSON.parse(run.out);
    assert.ok(summary.nonces > 1000 && summary.proofs > 0, run.out);
    const file = JSON.parse(readFileSync(out, "utf8"));
    assert.equal(file.nonceList.length, summary.proofs);
    const ok = race([
      "verify",
      "--preset",
      "minimal",
      "--proofs",
      out,
      "--randomness",
      `0x${"ab".repeat(32)}`,
    ]);
    assert.equal(ok.code, 0, ok.out + ok.err);
    assert.equal(JSON.parse(ok.out).valid, true);

    // Slip a non-proof (nonce 0 is not one for this miner unless unlucky) into the committed set.
    const proofs = file.nonceList.map((n: string) => BigInt(n));
    const fake = 1n;
    const cheat = [...new Set([fake, ...proofs])].sort((a, b) => (a < b ? -1 : 1));
    const tree = buildTree(cheat);
    const root = toHex(rootOf(tree));
    const index = cheat.indexOf(fake);
    const fraudFile = join(dir, "fraud.json");
    writeFileSync(
      fraudFile,
      JSON.stringify({
        kind: "nonce",
        seed: file.seed,
        miner: file.miner,
        commitment: { count: cheat.length, root },
        index,
        nonce: String(fake),
        proof: multiproof(tree, [index]).map(toHex),
      }),
    );
    const fraud = race(["verify", "--preset", "minimal", "--fraud", fraudFile]);
    const verdict = JSON.parse(fraud.out);
    if (proofs.includes(fake)) assert.equal(verdict.fraud, false);
    else {
      assert.equal(fraud.code, 0, fraud.out);
      assert.equal(verdict.fraud, true);
      assert.match(verdict.reason, /not a proof/);
    }
  });
});
