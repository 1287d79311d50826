// The racecoin CLI as a user runs it.
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { toHex } from "../../src/types/index.ts";
import { devKeys } from "../helpers/chain.ts";
import { freePort, rpc, startNode, tempDir, waitFor } from "../helpers/process.ts";

function racecoin(args: string[]) {
  const { RACECOIN_PASSWORD: _, ...env } = process.env;
  const r = spawnSync(process.execPath, ["--import", "tsx", "src/cli/main.ts", ...args], {
    encoding: "utf8",
    env,
    timeout: 60_000,
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe("racecoin CLI", () => {
  it("explains itself", () => {
    const top = racecoin(["--help"]);
    assert.equal(top.code, 0);
    for (const c of ["devnet", "node", "keys", "tx", "chain"]) assert.match(top.out, new RegExp(`\\n  ${c}`));
    for (const c of ["node", "devnet", "keys", "tx", "chain"]) {
      const h = racecoin([c, "--help"]);
      assert.equal(h.code, 0);
      assert.match(h.out, /Usage:/);
      assert.match(h.out, /Examples?:/);
    }
  });

  it("rejects bad arguments with exit code 2 and a pointer to --help", () => {
    const unknown = racecoin(["frobnicate"]);
    assert.equal(unknown.code, 2);
    assert.match(unknown.err, /unknown command "frobnicate"/);
    const badFlag = racecoin(["node", "--rpc-prot", "1"]);
    assert.equal(badFlag.code, 2);
    assert.match(badFlag.err, /--help/);
    assert.equal(racecoin(["node", "--rpc-port", "99999"]).code, 2);
    assert.equal(racecoin(["tx", "send", "--to", "0x12", "--value", "1"]).code, 2);
    assert.equal(racecoin(["tx", "send", "--to", `0x${"11".repeat(20)}`, "--value", "1.2.3"]).code, 2);
  });

  it("tx send refuses a mistyped address, a missing amount and a negative amount before signing", () => {
    const key = ["--private-key", toHex(devKeys[0]!), "--rpc", "http://127.0.0.1:9"];
    const typo = racecoin([
      "tx",
      "send",
      "--to",
      "0x70997970C51812dc3A010C7d01b50e0d17dc79C9",
      "--value",
      "1",
      ...key,
    ]);
    assert.equal(typo.code, 2);
    assert.match(typo.err, /--to: bad address checksum/);
    const noValue = racecoin(["tx", "send", "--to", "0x70997970C51812dc3A010C7d01b50e0d17dc79C8", ...key]);
    assert.equal(noValue.code, 2);
    assert.match(noValue.err, /--value ETHER or --value-wei WEI is required/);
    const negative = racecoin([
      "tx",
      "send",
      "--to",
      "0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
      "--value",
      "-1",
      ...key,
    ]);
    assert.equal(negative.code, 2);
    assert.match(negative.err, /--value: its value is ambiguous/);
    const negative2 = racecoin([
      "tx",
      "send",
      "--to",
      "0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
      "--value=-1",
      ...key,
    ]);
    assert.equal(negative2.code, 2);
    assert.match(negative2.err, /cannot be negative/);
  });

  it("refuses a broken genesis file before creating anything", () => {
    const dir = tempDir();
    const genesis = join(dir, "genesis.json");
    writeFileSync(
      genesis,
      JSON.stringify({ name: "x", chainId: 1, preset: "minimal", validators: [], alloc: {} }),
    );
    const datadir = join(dir, "data");
    const r = racecoin(["node", "--genesis", genesis, "--datadir", datadir, "--rpc-port", "0"]);
    assert.equal(r.code, 1);
    assert.match(r.err, /invalid genesis:[\s\S]*validators/);
    assert.equal(existsSync(datadir), false);
  });

  it("keys new | list | import round-trip through keystore files", () => {
    const dir = tempDir();
    const pw = join(dir, "pw");
    writeFileSync(pw, "hunter2\n");
    const created = racecoin(["keys", "new", "--keystore", dir, "--password-file", pw, "--light"]);
    assert.equal(created.code, 0, created.err);
    const { address } = JSON.parse(created.out);
    const imported = racecoin([
      "keys",
      "import",
      toHex(devKeys[6]!),
      "--keystore",
      dir,
      "--password-file",
      pw,
      "--light",
    ]);
    assert.equal(imported.code, 0, imported.err);
    const list = racecoin(["keys", "list", "--keystore", dir]);
    assert.match(list.out, new RegExp(address));
    assert.match(list.out, /0x976EA74026E726554dB657fA54763abd0C3a0aa9/);
    const noPw = racecoin(["keys", "new", "--keystore", dir]);
    assert.equal(noPw.code, 2);
    assert.match(noPw.err, /password-file/);
  });

  it("tx send signs from a keystore and waits for the receipt; chain status reads the node", async () => {
    const node = await startNode({ blockTimeMs: 200 });
    try {
      const dir = tempDir();
      const pw = join(dir, "pw");
      writeFileSync(pw, "pw");
      racecoin(["keys", "import", toHex(devKeys[7]!), "--keystore", dir, "--password-file", pw, "--light"]);
      const to = `0x${"42".repeat(20)}`;
      const sent = racecoin([
        "tx",
        "send",
        "--to",
        to,
        "--value",
        "0.5",
        "--from",
        "0x14dC79964da2C08b23698B3D3cc7Ca32193d9955",
        "--keystore",
        dir,
        "--password-file",
        pw,
        "--rpc",
        node.url,
      ]);
      assert.equal(sent.code, 0, sent.err);
      assert.equal(JSON.parse(sent.out).status, "success");
      const legacy = racecoin([
        "tx",
        "send",
        "--to",
        to,
        "--value-wei",
        "1",
        "--legacy",
        "--private-key",
        toHex(devKeys[8]!),
        "--rpc",
        node.url,
      ]);
      assert.equal(legacy.code, 0, legacy.err);
      assert.equal(
        await rpc(node.url, "eth_getBalance", [to, "latest"]),
        `0x${(5n * 10n ** 17n + 1n).toString(16)}`,
      );
      const refused = racecoin([
        "tx",
        "send",
        "--to",
        to,
        "--value",
        "1000000",
        "--private-key",
        toHex(devKeys[8]!),
        "--rpc",
        node.url,
      ]);
      assert.equal(refused.code, 1);
      assert.match(refused.err, /insufficient funds/);
      const status = racecoin(["chain", "status", "--rpc", node.url]);
      assert.equal(JSON.parse(status.out).chainId, "72270");
      const down = racecoin(["chain", "status", "--rpc", "http://127.0.0.1:1"]);
      assert.match(down.err, /cannot reach a node/);
    } finally {
      await node.stop();
    }
  });

  it("refuses unusable inputs at once with a message that says what to do", () => {
    const dir = tempDir();
    const missing = racecoin([
      "tx",
      "send",
      "--to",
      "0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
      "--value",
      "1",
      "--private-key-file",
      join(dir, "nope.txt"),
    ]);
    assert.equal(missing.code, 2);
    assert.match(missing.err, /--private-key-file: no such file: /);
    assert.doesNotMatch(missing.err, /ENOENT/);
    const out = racecoin(["keys", "validator", "--out", join(dir, "no-such-dir", "k.json")]);
    assert.equal(out.code, 2);
    assert.match(out.err, /directory .* does not exist/);
    assert.equal(racecoin(["race", "run", "--seconds", "0"]).code, 2);
    const noKeystore = racecoin(["keys", "list", "--keystore", join(dir, "nonexistent")]);
    assert.equal(noKeystore.code, 1);
    assert.match(noKeystore.err, /no keystore directory/);
    const ks = join(dir, "ks");
    const pw = join(dir, "pw");
    writeFileSync(pw, "pw\n");
    const key = toHex(devKeys[7]!);
    assert.equal(
      racecoin(["keys", "import", key, "--keystore", ks, "--password-file", pw, "--light"]).code,
      0,
    );
    const again = racecoin(["keys", "import", key, "--keystore", ks, "--password-file", pw, "--light"]);
    assert.equal(again.code, 1);
    assert.match(again.err, /already in the keystore/);
    assert.equal(readdirSync(ks).length, 1);
    const fraud = join(dir, "fraud.json");
    writeFileSync(fraud, JSON.stringify({ seed: `0x${"00".repeat(32)}` }));
    const badFraud = racecoin(["race", "verify", "--fraud", fraud]);
    assert.equal(badFraud.code, 2);
    assert.match(badFraud.err, /--fraud: kind must be "nonce" or "order"/);
    const proofs = join(dir, "proofs.json");
    writeFileSync(
      proofs,
      JSON.stringify({
        preset: "minimal",
        nonceList: [],
        commitment: { count: 0, root: `0x${"00".repeat(32)}` },
      }),
    );
    const t0 = Date.now();
    const mismatch = racecoin([
      "race",
      "verify",
      "--preset",
      "mainnet",
      "--proofs",
      proofs,
      "--randomness",
      `0x${"11".repeat(32)}`,
    ]);
    assert.equal(mismatch.code, 2);
    assert.match(mismatch.err, /the file is for the minimal preset, not mainnet/);
    assert.ok(Date.now() - t0 < 20_000, "refused before loading any model");
  });

  it("a second devnet on the same folder or ports is refused before anything that looks like success", async () => {
    const dir = tempDir();
    const [rpcPort, p2pPort] = [await freePort(), await freePort()];
    const ports = ["--rpc-port", String(rpcPort), "--p2p-port", String(p2pPort)];
    const first = spawn(
      process.execPath,
      ["--import", "tsx", "src/cli/main.ts", "devnet", "--nodes", "1", "--dir", dir, ...ports],
      {
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    let out = "";
    first.stdout!.on("data", (d) => {
      out += d;
    });
    first.stderr!.on("data", (d) => {
      out += d;
    });
    try {
      await waitFor("the first devnet's banner", async () => out.includes("Racecoin devnet"), 60_000);
      assert.match(out, /Starting 1 validator node in /, "says what it is doing before the banner");
      const again = racecoin(["devnet", "--nodes", "1", "--dir", dir, ...ports]);
      assert.equal(again.code, 1);
      assert.match(again.err, /a devnet is already running from .* \(pid \d+\)/);
      assert.doesNotMatch(again.out, /Racecoin devnet/);
      const otherDir = racecoin(["devnet", "--nodes", "1", "--dir", tempDir(), ...ports]);
      assert.equal(otherDir.code, 1);
      assert.match(otherDir.err, new RegExp(`RPC port ${rpcPort} is in use`));
      assert.doesNotMatch(otherDir.out, /Racecoin devnet/);
    } finally {
      first.kill("SIGINT");
      await new Promise((r) => first.once("exit", r));
    }
    // Stopped: the folder is free again.
    assert.ok(!existsSync(join(dir, "devnet.pid")));
  });

  it("a node that cannot make progress says why", async () => {
    const node = await startNode({ genesis: "genesis/devnet.json", validator: -1 });
    try {
      await waitFor(
        "a warning about missing peers",
        async () => /No peers and no new block/.test(node.output()),
        25_000,
      );
      assert.match(node.output(), /--bootstrap/);
    } finally {
      await node.stop();
    }
  });

  it("everyday reads: balance, chain validators|commit|block, beacon latest, each with --json", async () => {
    const node = await startNode();
    try {
      await waitFor(
        "height 3",
        async () => Number.parseInt(await rpc<string>(node.url, "eth_blockNumber"), 16) >= 3,
      );
      const r = ["--rpc", node.url];
      const who = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";
      const bal = racecoin(["balance", who, ...r]);
      assert.equal(bal.code, 0, bal.err);
      assert.match(
        bal.out,
        /^0x70997970C51812dc3A010C7d01b50e0d17dc79C8: 10000 RACE \(10000000000000000000000 wei\), nonce 0/,
      );
      assert.deepEqual(JSON.parse(racecoin(["balance", who.toLowerCase(), "--json", ...r]).out), {
        address: who,
        balanceWei: "10000000000000000000000",
        balance: "10000",
        nonce: 0,
        block: "latest",
      });
      assert.equal(racecoin(["balance", "0x70997970C51812dc3A010C7d01b50e0d17dc79C9", ...r]).code, 2);
      const vals = racecoin(["chain", "validators", ...r]);
      assert.equal(vals.code, 0, vals.err);
      assert.match(vals.out, /validator set at height \d+/);
      assert.match(vals.out, /100\.00%/);
      assert.equal(
        JSON.parse(racecoin(["chain", "validators", "1", "--json", ...r]).out).validators.length,
        1,
      );
      const commit = racecoin(["chain", "commit", "2", ...r]);
      assert.equal(commit.code, 0, commit.err);
      assert.match(commit.out, /^block 2 0x[0-9a-f]{64} finalised in round \d+ by validators \[0\]/);
      assert.equal(JSON.parse(racecoin(["chain", "commit", "2", "--json", ...r]).out).height, 2);
      assert.equal(racecoin(["chain", "commit", "0", ...r]).code, 1);
      const block = racecoin(["chain", "block", "2", ...r]);
      assert.equal(block.code, 0, block.err);
      assert.match(block.out, /^block 2 0x[0-9a-f]{64}\n {2}parent/);
      assert.equal(JSON.parse(racecoin(["chain", "block", "2", "--json", ...r]).out).number, "0x2");
      assert.equal(racecoin(["chain", "block", "two", ...r]).code, 2);
      const beacon = racecoin(["beacon", "latest", ...r]);
      assert.equal(beacon.code, 0, beacon.err);
      assert.match(beacon.out, /no beacon round has completed yet|^round \d+ at height/);
      assert.equal(racecoin(["beacon", "latest", "--json", ...r]).code, 0);
    } finally {
      await node.stop();
    }
  });

  it("creates a validator key whose genesis entry a node validates with (--validator-key)", async () => {
    const dir = tempDir();
    const keyFile = join(dir, "validator-key.json");
    const made = racecoin([
      "keys",
      "validator",
      "--out",
      keyFile,
      "--address",
      "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266",
      "--weight",
      "7",
    ]);
    assert.equal(made.code, 0, made.err);
    const entry = JSON.parse(made.out) as {
      address: string;
      weight: string;
      blsKey: string;
      proofOfPossession: string;
    };
    assert.equal(entry.weight, "7");
    assert.equal(racecoin(["keys", "validator", "--out", keyFile]).code, 2, "never overwrites a key");
    const { devnetGenesisJson } = await import("../../src/chain/index.ts");
    const genesis = { ...devnetGenesisJson(1), validators: [entry] };
    const genesisPath = join(dir, "genesis.json");
    writeFileSync(genesisPath, JSON.stringify(genesis));
    const node = await startNode({ genesis: genesisPath, validator: -1, args: ["--validator-key", keyFile] });
    try {
      await waitFor(
        "blocks finalised with the new key",
        async () => (await rpc<{ height: number }>(node.url, "chain_getStatus")).height >= 2,
      );
    } finally {
      await node.stop();
    }
    // Another key's proof of possession makes the genesis invalid, with the path named.
    const otherPop = (devnetGenesisJson(1).validators as { proofOfPossession: string }[])[0]!
      .proofOfPossession;
    writeFileSync(
      genesisPath,
      JSON.stringify({ ...genesis, validators: [{ ...entry, proofOfPossession: otherPop }] }),
    );
    const bad = racecoin([
      "node",
      "--genesis",
      genesisPath,
      "--datadir",
      join(dir, "x"),
      "--rpc-port",
      "0",
      "--p2p-port",
      "0",
    ]);
    assert.notEqual(bad.code, 0);
    assert.match(bad.err + bad.out, /validators\[0\]\.proofOfPossession: does not verify/);
  });
});
