/**
 * `racecoin devnet --nodes N`: a local network of N validator processes on loopback, each with
 * its own datadir, P2P port and RPC port, logs in the devnet folder. What `npm start` runs.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { devnetGenesisJson } from "../../chain/index.ts";
import { deriveKeys, privateKeyToAddress, TEST_MNEMONIC } from "../../crypto/index.ts";
import { toChecksumAddress, toHex } from "../../types/index.ts";
import { type Command, formatEther, parse, parsePort, parsePositiveInt, UsageError } from "../args.ts";
import { rpcCall } from "../rpcClient.ts";

const options = {
  nodes: { type: "string" },
  reset: { type: "boolean" },
  dir: { type: "string" },
  datadir: { type: "string" },
  "rpc-port": { type: "string" },
  "p2p-port": { type: "string" },
  "block-time-ms": { type: "string" },
  "no-fsync": { type: "boolean" },
  "log-level": { type: "string" },
} as const;

const MAIN = join(dirname(fileURLToPath(import.meta.url)), "..", "main.ts");

export const devnetCommand: Command = {
  name: "devnet",
  summary: "run a local network of validator processes with funded dev accounts (what `npm start` runs)",
  help: `racecoin devnet — a local development network

Starts N validator node processes on loopback (default 4) on a devnet genesis (minimal preset):
node i listens for JSON-RPC on 127.0.0.1:(8545 + i) and for peers on 127.0.0.1:(26656 + i), keeps
its database in <dir>/node<i>, and logs to <dir>/node<i>/node.log. Validators are dev accounts
0..N-1 with BLS keys derived from the standard test mnemonic ("test test … junk"); the ten dev
accounts are funded — the same accounts Hardhat and Anvil fund, so any wallet can import them.
The network continues across restarts; --reset starts it over. Ctrl-C stops every node.

Usage: racecoin devnet [options]

Options:
  --nodes N               validator processes (default: 4; 1 gives a single-validator chain)
  --reset                 delete the devnet folder first
  --dir DIR               devnet folder (default: ./.devnet; --datadir is an alias)
  --rpc-port PORT         RPC port of node 0; node i uses PORT + i (default: 8545)
  --p2p-port PORT         P2P port of node 0; node i uses PORT + i (default: 26656)
  --block-time-ms N       pause after each commit (default: the preset's, 500 ms)
  --no-fsync              do not fsync block batches
  --log-level LEVEL       node log level (default: info)

Examples:
  npm start
  npx racecoin devnet --nodes 1 --reset --rpc-port 9545
  tail -f .devnet/node0/node.log
`,
  async run(argv) {
    const { values } = parse(argv, options, "devnet");
    const n = parsePositiveInt(values.nodes, "--nodes") ?? 4;
    if (n > 64) throw new UsageError("--nodes: at most 64 on one machine");
    const dir = resolve(values.dir ?? values.datadir ?? ".devnet");
    const rpcPort = parsePort(values["rpc-port"], "--rpc-port", 8545);
    const p2pPort = parsePort(values["p2p-port"], "--p2p-port", 26656);
    if (rpcPort + n > 65536 || p2pPort + n > 65536) throw new UsageError("ports run past 65535");
    parsePositiveInt(values["block-time-ms"], "--block-time-ms");
    if (values.reset) rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });

    const genesisPath = join(dir, "genesis.json");
    const genesisText = `${JSON.stringify(devnetGenesisJson(n), null, 2)}\n`;
    if (existsSync(genesisPath) && readFileSync(genesisPath, "utf8") !== genesisText)
      throw new UsageError(
        `${dir} holds a devnet with a different number of nodes; pass --reset to start over or --dir for another folder`,
      );
    writeFileSync(genesisPath, genesisText);

    const children: ChildProcess[] = [];
    const rpcUrls: string[] = [];
    let stopping = false;
    for (let i = 0; i < n; i++) {
      const datadir = join(dir, `node${i}`);
      mkdirSync(datadir, { recursive: true });
      const log = openSync(join(datadir, "node.log"), "a");
      const peers = Array.from({ length: n }, (_, j) => j)
        .filter((j) => j !== i)
        .map((j) => `/ip4/127.0.0.1/tcp/${p2pPort + j}`);
      const args = [
        "--import",
        "tsx",
        MAIN,
        "node",
        "--genesis",
        genesisPath,
        "--datadir",
        datadir,
        "--rpc-port",
        String(rpcPort + i),
        "--p2p-port",
        String(p2pPort + i),
        "--dev-validator",
        String(i),
        "--log-format",
        "json",
        "--log-level",
        values["log-level"] ?? "info",
        ...(peers.length > 0 ? ["--bootstrap", peers.join(",")] : []),
        ...(values["block-time-ms"] ? ["--block-time-ms", values["block-time-ms"]] : []),
        ...(values["no-fsync"] ? ["--no-fsync"] : []),
      ];
      const child = spawn(process.execPath, args, { stdio: ["ignore", log, log] });
      child.on("exit", (code, signal) => {
        if (!stopping)
          process.stderr.write(
            `node ${i} exited (${signal ?? `code ${code}`}); see ${join(datadir, "node.log")}\n`,
          );
      });
      children.push(child);
      rpcUrls.push(`http://127.0.0.1:${rpcPort + i}`);
    }

    const stopAll = async () => {
      stopping = true;
      await Promise.all(
        children.map(
          (c) =>
            new Promise<void>((res) => {
              if (c.exitCode !== null || c.signalCode !== null) return res();
              c.once("exit", () => res());
              c.kill("SIGTERM");
              setTimeout(() => c.kill("SIGKILL"), 10_000).unref();
            }),
        ),
      );
    };

    const ready = await waitForRpc(rpcUrls, children, 60_000);
    if (!ready) {
      await stopAll();
      process.stderr.write(`devnet did not start; see the logs in ${dir}/node*/node.log\n`);
      return 1;
    }
    const keys = deriveKeys(TEST_MNEMONIC, 10);
    const balances = await Promise.all(
      keys.map((k) =>
        rpcCall<string>(rpcUrls[0]!, "eth_getBalance", [toHex(privateKeyToAddress(k)), "latest"]),
      ),
    );
    const lines = [
      "",
      "Racecoin devnet",
      "===============",
      `Chain id        72270 (minimal preset), ${n} validator${n === 1 ? "" : "s"}`,
      ...rpcUrls.map(
        (u, i) =>
          `Node ${i}          JSON-RPC ${u}   P2P /ip4/127.0.0.1/tcp/${p2pPort + i}   log ${join(dir, `node${i}`, "node.log")}`,
      ),
      `Metrics         ${rpcUrls[0]}/metrics`,
      `Genesis         ${genesisPath}`,
      "",
      "Available accounts",
      "==================",
      ...keys.map(
        (k, i) =>
          `(${i}) ${toChecksumAddress(privateKeyToAddress(k))} (${formatEther(BigInt(balances[i]!))} RACE)`,
      ),
      "",
      "Private keys",
      "==================",
      ...keys.map((k, i) => `(${i}) ${toHex(k)}`),
      "",
      `Mnemonic        ${TEST_MNEMONIC}`,
      "Derivation path m/44'/60'/0'/0/",
      "These keys are public knowledge: never send real funds to them.",
      "Press Ctrl-C to stop every node.",
      "",
    ];
    process.stdout.write(`${lines.join("\n")}\n`);

    return new Promise((resolveExit) => {
      const stop = () => {
        if (stopping) return;
        process.stdout.write("Stopping the devnet…\n");
        void stopAll().then(() => resolveExit(0));
      };
      process.once("SIGINT", stop);
      process.once("SIGTERM", stop);
      // If every node dies on its own, there is nothing left to run.
      let alive = children.length;
      for (const c of children)
        c.once("exit", () => {
          if (--alive === 0 && !stopping) resolveExit(1);
        });
    });
  },
};

async function waitForRpc(urls: string[], children: ChildProcess[], timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  const pending = new Set(urls);
  while (pending.size > 0 && Date.now() < deadline) {
    if (children.some((c) => c.exitCode !== null)) return false;
    for (const u of [...pending]) {
      try {
        await rpcCall(u, "eth_blockNumber");
        pending.delete(u);
      } catch {}
    }
    if (pending.size > 0) await new Promise((r) => setTimeout(r, 200));
  }
  return pending.size === 0;
}
