// npm run testnet:netns -- [--nodes 8] [--seconds 120] [--seed racecoin]
// A real testnet in network namespaces, the simulator's calibration (spec/scale.md). Each node
// process runs in its own namespace, joined to the root namespace by a veth pair and nothing else
// (no bridge, no route between namespaces): the only way from node i to node j is a TCP relay in
// the root namespace that delays every chunk by the one-way latency of their regions (RTT/2 from
// the simulator's WAN model, the same region per node as the simulator gives that seed). This
// kernel has no netem, so the latency is injected here, in user space. Finality is read over RPC
// (every node's finalized height, polled every 20 ms) and printed next to the simulator's
// prediction for the same topology. Every namespace, relay and process is removed on exit;
// without root or `ip` the script says so and exits 0.
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createConnection, createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { devnetGenesisJson } from "../src/chain/index.ts";
import { REGIONS, regionRtt, runScenario, validatorLinks } from "../src/sim/index.ts";

const { values } = parseArgs({
  options: {
    nodes: { type: "string", default: "8" },
    seconds: { type: "string", default: "120" },
    seed: { type: "string", default: "racecoin" },
  },
});
const n = Number(values.nodes);
const seconds = Number(values.seconds);
const seed = values.seed!;
const P2P_PORT = 26656;
const RPC_PORT = 8545;
const RELAY_BASE = 30000;
const COMMIT_MS = 500; // the minimal preset's pause after a commit
const log = (s: string) => process.stderr.write(`${s}\n`);

function skip(reason: string): never {
  console.log(JSON.stringify({ scenario: "testnet-netns", skipped: reason }));
  process.exit(0);
}
if (process.getuid?.() !== 0) skip("needs root (ip netns)");
try {
  execFileSync("ip", ["netns", "list"], { stdio: "ignore" });
} catch {
  skip("`ip netns` is not available");
}

const ns = (i: number) => `rcnet${i}`;
const hostIp = (i: number) => `10.77.${i + 1}.1`;
const nodeIp = (i: number) => `10.77.${i + 1}.2`;
const ip = (...args: string[]) => execFileSync("ip", args, { stdio: ["ignore", "ignore", "pipe"] });

const regions = validatorLinks(seed, n, 1, 1).map((l) => l.region);
/** 0 while the nodes' own per-height work is measured, 1 at WAN latency. */
let latencyScale = 0;
const oneWayMs = (a: number, b: number) => (latencyScale * regionRtt(regions[a]!, regions[b]!)) / 2;

const procs: ChildProcess[] = [];
const servers: Server[] = [];
const sockets = new Set<Socket>();
let cleaned = false;
const dir = mkdtempSync(join(tmpdir(), "racecoin-netns-"));

function cleanup(): void {
  if (cleaned) return;
  cleaned = true;
  for (const p of procs) if (p.exitCode === null && p.pid) p.kill("SIGKILL");
  for (const s of sockets) s.destroy();
  for (const s of servers) s.close();
  for (let i = 0; i < n; i++) {
    try {
      ip("netns", "del", ns(i));
    } catch {}
    try {
      ip("link", "del", `rcv${i}`);
    } catch {}
  }
  rmSync(dir, { recursive: true, force: true });
}
process.on("exit", cleanup);
for (const sig of ["SIGINT", "SIGTERM"] as const)
  process.on(sig, () => {
    cleanup();
    process.exit(130);
  });

function setUpNamespaces(): void {
  for (let i = 0; i < n; i++) {
    try {
      ip("netns", "del", ns(i)); // left over from a killed run
    } catch {}
    try {
      ip("link", "del", `rcv${i}`);
    } catch {}
    ip("netns", "add", ns(i));
    ip("link", "add", `rcv${i}`, "type", "veth", "peer", "name", `rcp${i}`);
    ip("link", "set", `rcp${i}`, "netns", ns(i));
    ip("addr", "add", `${hostIp(i)}/24`, "dev", `rcv${i}`);
    ip("link", "set", `rcv${i}`, "up");
    ip("netns", "exec", ns(i), "ip", "addr", "add", `${nodeIp(i)}/24`, "dev", `rcp${i}`);
    ip("netns", "exec", ns(i), "ip", "link", "set", `rcp${i}`, "up");
    ip("netns", "exec", ns(i), "ip", "link", "set", "lo", "up");
  }
}

/** Forward `from` → `to`, each chunk `delayMs` later, in order. */
function delayedPipe(from: Socket, to: Socket, delayMs: () => number): void {
  let lastAt = 0;
  from.on("data", (chunk) => {
    const at = Math.max(performance.now() + delayMs(), lastAt);
    lastAt = at;
    setTimeout(() => to.writable && to.write(chunk), at - performance.now());
  });
  from.on("end", () => setTimeout(() => to.end(), Math.max(0, lastAt - performance.now())));
  from.on("error", () => to.destroy());
}

/** Node i reaches node j at hostIp(i):RELAY_BASE+j; the relay delays both directions. */
async function startRelays(): Promise<void> {
  for (let i = 0; i < n; i++)
    for (let j = 0; j < n; j++) {
      if (i === j) continue;
      const d = () => oneWayMs(i, j);
      const server = createServer((inbound) => {
        sockets.add(inbound);
        const outbound = createConnection({ host: nodeIp(j), port: P2P_PORT });
        sockets.add(outbound);
        delayedPipe(inbound, outbound, d);
        delayedPipe(outbound, inbound, d);
        const close = () => {
          inbound.destroy();
          outbound.destroy();
          sockets.delete(inbound);
          sockets.delete(outbound);
        };
        inbound.on("close", close);
        outbound.on("close", close);
        outbound.on("error", close);
      });
      servers.push(server);
      await new Promise<void>((res) => server.listen(RELAY_BASE + j, hostIp(i), res));
    }
}

function startNodes(genesis: string): void {
  for (let i = 0; i < n; i++) {
    const bootstrap = [...Array(n).keys()]
      .filter((j) => j !== i)
      .map((j) => `/ip4/${hostIp(i)}/tcp/${RELAY_BASE + j}`);
    const args = [
      "netns",
      "exec",
      ns(i),
      process.execPath,
      "--import",
      "tsx",
      "src/cli/main.ts",
      "node",
      "--genesis",
      genesis,
      "--dev-validator",
      String(i),
      "--p2p-addr",
      `0.0.0.0:${P2P_PORT}`,
      "--bootstrap",
      bootstrap.join(","),
      "--datadir",
      join(dir, `node${i}`),
      "--rpc-addr",
      `${nodeIp(i)}:${RPC_PORT}`,
      "--block-time-ms",
      String(COMMIT_MS),
      "--log-format",
      "json",
      "--log-level",
      "warn",
      "--no-fsync",
    ];
    const p = spawn("ip", args, { stdio: ["ignore", "ignore", "ignore"] });
    procs.push(p);
  }
}

async function status(i: number): Promise<{ finalizedHeight: number; peers: number } | undefined> {
  try {
    const res = await fetch(`http://${nodeIp(i)}:${RPC_PORT}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "chain_getStatus", params: [] }),
      signal: AbortSignal.timeout(2000),
    });
    return ((await res.json()) as { result: { finalizedHeight: number; peers: number } }).result;
  } catch {
    return undefined;
  }
}

function percentile(xs: number[], p: number): number {
  if (xs.length === 0) return 0;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.max(1, Math.ceil((p / 100) * s.length)) - 1]!;
}

async function main(): Promise<void> {
  setUpNamespaces();
  await startRelays();
  const genesis = join(dir, "genesis.json");
  writeFileSync(genesis, JSON.stringify(devnetGenesisJson(n)));
  startNodes(genesis);
  log(`${n} nodes in namespaces ${ns(0)}…${ns(n - 1)}; regions ${regions.map((r) => REGIONS[r]).join(", ")}`);

  // Wait until every node is up and has found its peers, then measure.
  const ready = performance.now();
  for (;;) {
    const ss = await Promise.all([...Array(n).keys()].map(status));
    if (ss.every((s) => s && s.peers >= n - 1 && s.finalizedHeight >= 3)) break;
    if (performance.now() - ready > 120_000) throw new Error(`network not ready: ${JSON.stringify(ss)}`);
    await new Promise((r) => setTimeout(r, 500));
  }
  // Zero-latency and WAN phases alternate (4 of each), so that a change in the machine's load
  // during the run falls on both alike.
  const zeroIntervals: number[] = [];
  const wanIntervals: number[] = [];
  for (let k = 0; k < 8; k++) {
    latencyScale = k % 2;
    log(`measuring at ${latencyScale === 0 ? "zero" : "WAN"} latency (${k + 1}/8)`);
    await new Promise((r) => setTimeout(r, 3000)); // let the heights in flight finish
    (latencyScale === 0 ? zeroIntervals : wanIntervals).push(...(await measure(seconds / 8)));
  }
  cleanup();
  const zero = summarise(zeroIntervals);
  const wan = summarise(wanIntervals);

  const simAt = (scale: number, overheadMs: number) =>
    (
      runScenario("finality", {
        validators: String(n),
        preset: "minimal",
        "block-time-ms": String(COMMIT_MS),
        txs: "0",
        heights: "40",
        seed,
        "latency-scale": String(scale),
        "height-overhead-ms": String(overheadMs),
      }) as { decideIntervalPerNodeSeconds: { p50: number; p99: number } }
    ).decideIntervalPerNodeSeconds;
  const finality = (x: { p50: number; p99: number }) => ({
    p50: +(x.p50 - COMMIT_MS / 1000).toFixed(3),
    p99: +(x.p99 - COMMIT_MS / 1000).toFixed(3),
  });
  // The node's own per-height work: what the testnet takes at zero latency beyond the simulator.
  const overheadMs = Math.max(0, Math.round((zero.p50 - simAt(0, 0).p50) * 1000));
  const plain = finality(simAt(1, 0));
  const calibrated = finality(simAt(1, overheadMs));
  const measured = finality(wan);
  console.log(
    JSON.stringify(
      {
        scenario: "testnet-netns",
        nodes: n,
        seed,
        regions: regions.map((r) => REGIONS[r]),
        preset: "minimal",
        commitPauseSeconds: COMMIT_MS / 1000,
        measuredSeconds: { zeroLatency: seconds / 2, wan: seconds / 2, alternating: 8 },
        testnet: { zeroLatency: finality(zero), wan: measured },
        nodeHeightOverheadMs: overheadMs,
        simulator: { plain, calibrated },
        finalityP50SimOverTestnet: {
          plain: +(plain.p50 / measured.p50).toFixed(3),
          calibrated: +(calibrated.p50 / measured.p50).toFixed(3),
        },
        note: "finality = decide-to-decide interval at each node minus the commit pause (height start → decision); calibrated: the simulator charges each height the node work measured at zero latency",
      },
      null,
      1,
    ),
  );
}

function summarise(intervalsMs: number[]): { p50: number; p99: number } {
  return { p50: percentile(intervalsMs, 50) / 1000, p99: percentile(intervalsMs, 99) / 1000 };
}

/** Per node, decide-to-decide intervals (ms) of consecutive heights seen over `secs`. */
async function measure(secs: number): Promise<number[]> {
  const seen: Map<number, number>[] = Array.from({ length: n }, () => new Map());
  const end = performance.now() + secs * 1000;
  while (performance.now() < end) {
    const t = performance.now();
    const ss = await Promise.all([...Array(n).keys()].map(status));
    ss.forEach((s, i) => {
      if (s && !seen[i]!.has(s.finalizedHeight)) seen[i]!.set(s.finalizedHeight, t);
    });
    await new Promise((r) => setTimeout(r, Math.max(0, 20 - (performance.now() - t))));
  }
  const intervals: number[] = [];
  for (const m of seen) {
    const hs = [...m.keys()].sort((a, b) => a - b).slice(1);
    for (const h of hs) if (m.has(h - 1)) intervals.push(m.get(h)! - m.get(h - 1)!);
  }
  return intervals;
}

main().catch((e) => {
  log(String(e?.stack ?? e));
  cleanup();
  process.exit(1);
});
