/**
 * `racecoin devnet --nodes N`: a local network of N validator processes on loopback, each with
 * its own datadir, P2P port and RPC port, logs in the devnet folder. What `npm start` runs.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { devnetGenesisJson } from "../../chain/index.ts";
import { deriveKeys, privateKeyToAddress, TEST_MNEMONIC } from "../../crypto/index.ts";
import { OperatorError, toChecksumAddress, toHex } from "../../types/index.ts";
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
  "no-mine": { type: "boolean" },
  "race-backend": { type: "string" },
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
  --race-backend NAME     onnx (default) | reference: the miners' race backend
  --no-mine               do not race (by default every node races each cycle at half duty, and the
                          validator weights of each cycle come from the previous cycle's race)

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
    // Refuse before touching anything (--reset included) or printing anything that looks like success.
    const lock = join(dir, "devnet.pid");
    const holder = runningDevnet(lock);
    if (holder !== undefined)
      throw new OperatorError(
        `a devnet is already running from ${dir} (pid ${holder}); stop it (Ctrl-C in its terminal, or kill ${holder}) or pass --dir for another folder`,
      );
    for (let i = 0; i < n; i++) {
      if (!(await portFree(rpcPort + i)))
        throw new OperatorError(
          `RPC port ${rpcPort + i} is in use (another devnet or node?); stop it or pass --rpc-port to pick other ports`,
        );
      if (!(await portFree(p2pPort + i)))
        throw new OperatorError(
          `P2P port ${p2pPort + i} is in use (another devnet or node?); stop it or pass --p2p-port to pick other ports`,
        );
    }
    if (values.reset) rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    writeFileSync(lock, `${process.pid}\n`);
    process.once("exit", () => {
      if (runningDevnet(lock) === process.pid) rmSync(lock, { force: true });
    });
    process.stderr.write(
      `Starting ${n} validator node${n === 1 ? "" : "s"} in ${dir} (logs: ${dir}/node*/node.log)…\n`,
    );

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
        // Each node races with its validator's dev account, at half duty so consensus keeps a core,
        // on the onnx backend: 16× the reference's nonces/s, bit-identical (race.md §Backends), so
        // every miner finds enough proofs per race that luck does not decide the set.
        ...(values["no-mine"]
          ? ["--serve-tasks"]
          : [
              "--mine",
              "--race-backend",
              values["race-backend"] ?? "onnx",
              "--race-duty",
              "0.5",
              "--race-verify",
              "all",
            ]),
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

    const ready = await waitForRpc(rpcUrls, children, 60_000, (waiting, secs) =>
      process.stderr.write(`  waiting for ${waiting} of ${n} nodes to serve RPC (${secs} s)…\n`),
    );
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
      values["no-mine"]
        ? "Weights         fixed (--no-mine): the genesis weights carry forward"
        : "Weights         from the race: every node mines each cycle; a cycle's proof counts are the next cycle's votes (race_status, race_commitments)",
      ...rpcUrls.map(
        (u, i) =>
          `Node ${i}          JSON-RPC ${u}   P2P /ip4/127.0.0.1/tcp/${p2pPort + i}   log ${join(dir, `node${i}`, "node.log")}`,
      ),
      `Explorer        ${rpcUrls[0]}/explorer/`,
      `OpenAI API      ${rpcUrls[0]}/v1 — every node routes requests to another (spec/tasks.md); get an API key with`,
      `                racecoin tasks deposit --amount 10 --private-key <key 7> && racecoin tasks new-key --limit 1 --private-key <key 7>`,
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

/** The pid of a live devnet holding this lock file, if any. */
function runningDevnet(lock: string): number | undefined {
  let pid: number;
  try {
    pid = Number(readFileSync(lock, "utf8").trim());
  } catch {
    return undefined;
  }
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  try {
    process.kill(pid, 0);
    return pid;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM" ? pid : undefined;
  }
}

function portFree(port: number): Promise<boolean> {
  return new Promise((res) => {
    const srv = createServer();
    srv.once("error", () => res(false));
    srv.listen(port, "127.0.0.1", () => srv.close(() => res(true)));
  });
}

async function waitForRpc(
  urls: string[],
  children: ChildProcess[],
  timeoutMs: number,
  progress: (waiting: number, seconds: number) => void,
): Promise<boolean> {
  const started = Date.now();
  const deadline = started + timeoutMs;
  const pending = new Set(urls);
  let reported = started;
  while (pending.size > 0 && Date.now() < deadline) {
    if (Date.now() - reported >= 3000) {
      reported = Date.now();
      progress(pending.size, Math.round((reported - started) / 1000));
    }
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
