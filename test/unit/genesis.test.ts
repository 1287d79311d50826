import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { GenesisError, loadGenesisFile, parseGenesis } from "../../src/chain/index.ts";

const devnet = JSON.parse(readFileSync("genesis/devnet.json", "utf8"));

describe("genesis", () => {
  it("loads every shipped genesis file", () => {
    for (const name of ["devnet", "testnet", "mainnet"]) {
      const g = loadGenesisFile(`genesis/${name}.json`);
      assert.equal(g.name, name);
      assert.ok(g.validators.length > 0);
    }
  });

  it("reports every problem with its path in one error", () => {
    const bad = {
      ...devnet,
      chainId: -1,
      preset: "huge",
      typo: 1,
      validators: [
        { address: "0x1234", weight: "1" },
        { address: devnet.validators[0].address, weight: "0" },
      ],
      alloc: { "0xzz": { balance: "1" }, [devnet.validators[0].address]: { balance: "-5" } },
    };
    try {
      parseGenesis(bad);
      assert.fail("must throw");
    } catch (e) {
      assert.ok(e instanceof GenesisError);
      const text = e.problems.join("\n");
      for (const needle of [
        "typo: unknown field",
        "chainId",
        'unknown preset "huge"',
        "validators[0].address",
        "validators[1].weight: must be positive",
        'alloc["0xzz"]',
        ".balance",
      ]) {
        assert.ok(text.includes(needle), `missing "${needle}" in:\n${text}`);
      }
    }
  });

  it("says clearly when the file is missing or not JSON", () => {
    assert.throws(
      () => loadGenesisFile("/nonexistent/genesis.json"),
      /cannot read \/nonexistent\/genesis.json: ENOENT/,
    );
    const path = join(tmpdir(), `genesis-${process.pid}.json`);
    writeFileSync(path, "{ not json");
    assert.throws(() => loadGenesisFile(path), /is not valid JSON/);
  });
});
