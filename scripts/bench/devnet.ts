// bench:devnet — 4 validator processes on loopback (minimal preset, fsync on) and an open-loop
// load generator sending signed transfers round-robin to all four. Prints finality latency
// (submit → seen in a finalised block) p50/p99 and finalised tx/s with no load, at 200 tx/s,
// then at rising loads (×1.5 from 300 tx/s) until p99 exceeds 2 s. Ceiling in the same run: how fast one process
// executes the same transfers (build + validate a block), the most a network whose every node
// executes every block could finalise per core.
// Targets: p50 ≤ 1 s and p99 ≤ 2 s at 200 tx/s.
// Race-on mode (`--race`): every node mines as on `npm start` (--mine --race-duty 0.5
// --race-verify all); 200 tx/s for `--seconds` (default 100: over three race windows), and
// finality p50/p99 of transactions included inside race windows (offsets raceStart … commitDeadline
// − 1, when the miners compute) next to those included outside, on the same run. Target: p99
// inside ≤ 2 s and ≤ 1.5 × outside.
// Usage: npm run bench:devnet -- [--race] [--seconds 20] [--max-rate 3200] [--block-time-ms N (default: the preset's)]
// (`--max-rate 0` skips the ramp; the no-load phase lasts min(--seconds, 10) s.)
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { keccak_256 } from "@noble/hashes/sha3.js";
import { Chain, devnetGenesisJson, parseGenesis } from "../../src/chain/index.ts";
import { inlineRecovery, privateKeyToAddress } from "../../src/crypto/index.ts";
import { ChainDb, MemoryKV } from "../../src/db/index.ts";
import { silentLogger } from "../../src/logger/index.ts";
import { applyBlock, type RecoveredTx } from "../../src/state/index.ts";
import { type SignedTx, signTx } from "../../src/tx/index.ts";
import { toChecksumAddress, toHex } from "../../src/types/index.ts";
import { startNetwork } from "../../test/helpers/network.ts";
import { rpc, tempDir } from "../../test/helpers/process.ts";
import { BENCH_SENDER_BALANCE } from "./genesis.ts";
import { ratioOf, report } from "./report.ts";

const { values } = parseArgs({
  options: {
    seconds: { type: "string" },
    "max-rate": { type: "string", default: "3200" },
    "block-time-ms": { type: "string" },
    race: { type: "boolean" },
  },
});
const raceOn = values.race ?? false;
const seconds = Number(values.seconds ?? (raceOn ? 100 : 20));
const SENDERS = 500;
const keys = Array.from({ length: SENDERS }, (_, i) =>
  keccak_256(new TextEncoder().encode(`devnet-bench-${i}`)),
);
const addrs = keys.map(privateKeyToAddress);
const json = devnetGenesisJson(4) as { alloc: Record<string, { balance: string }> };
for (const a of addrs) json.alloc[toChecksumAddress(a)] = { balance: BENCH_SENDER_BALANCE.toString() };
const genesisPath = join(tempDir("racecoin-bench-devnet-"), "genesis.json");
writeFileSync(genesisPath, JSON.stringify(json));
const genesis = parseGenesis(json);

function transfer(i: number, nonce: bigint): SignedTx {
  return signTx(
    {
      type: 2,
      chainId: genesis.chainId,
      nonce,
      maxPriorityFeePerGas: 1_000_000_000n,
      maxFeePerGas: 50_000_000_000n,
      gasLimit: 21_000n,
      to: addrs[(i + 1) % SENDERS]!,
      value: 1n,
      data: new Uint8Array(0),
      accessList: [],
    },
    keys[i]!,
  );
}

const nonces = new Array<bigint>(SENDERS).fill(0n);
let nextSender = 0;
function nextTx(): SignedTx {
  const i = nextSender++ % SENDERS;
  return transfer(i, nonces[i]!++);
}

// Ceiling: build a 1,000-transfer block, then execute it on a fresh chain, in this process.
async function executionCeiling(): Promise<number> {
  const open = () =>
    Chain.open(genesis, { db: new ChainDb(new MemoryKV()), recovery: inlineRecovery, log: silentLogger() });
  const builder = await open();
  const txs: RecoveredTx[] = addrs
    .slice(0, 500)
    .flatMap((sender, i) => [0n, 1n].map((nonce) => ({ tx: transfer(i, nonce), sender })));
  const t = performance.now();
  const built = await builder.buildProposal(
    () => txs,
    genesis.validators[0]!.address,
    builder.head.time + 1000n,
  );
  const buildMs = performance.now() - t;
  const validator = await open();
  const g = Chain.genesisBlock(genesis);
  const t2 = performance.now();
  applyBlock(
    { accounts: g.world, trie: g.world.trie, storageTries: g.world.storageTries, beacon: validator.beacon },
    validator.head,
    built.block,
    built.included,
    validator.ctx,
  );
  const applyMs = performance.now() - t2;
  return built.included.length / ((buildMs + applyMs) / 1000);
}

interface PhaseResult {
  offered: number;
  sent: number;
  finalized: number;
  p50: number;
  p99: number;
  finalizedPerSec: number;
}

const net = await startNetwork(
  [0, 1, 2, 3].map((validator) => ({
    validator,
    fsync: true,
    ...(raceOn ? { args: ["--mine", "--race-duty", "0.5", "--race-verify", "all"] } : {}),
  })),
  {
    genesis: genesisPath,
    blockTimeMs: values["block-time-ms"] ? Number(values["block-time-ms"]) : genesis.preset.blockTimeMs,
  },
);
const urls = net.nodes.map((n) => n.url);
const submitted = new Map<string, number>();
const seen = new Map<string, number>();
/** tx hash → height of the block that included it. */
const seenAt = new Map<string, number>();
/** height → when the watcher first saw it. */
const heightSeen = new Map<number, number>();
let observed = 0;
let watching = true;
const watcher = (async () => {
  while (watching) {
    try {
      const head = Number.parseInt(await rpc<string>(urls[0]!, "eth_blockNumber"), 16);
      while (observed < head) {
        observed++;
        const b = await rpc<{ transactions: string[] }>(urls[0]!, "eth_getBlockByNumber", [
          `0x${observed.toString(16)}`,
          false,
        ]);
        const now = performance.now();
        heightSeen.set(observed, now);
        for (const h of b.transactions)
          if (!seen.has(h)) {
            seen.set(h, now);
            seenAt.set(h, observed);
          }
      }
    } catch {}
    await new Promise((r) => setTimeout(r, 20));
  }
})();

function pct(xs: number[], p: number): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
}

/** Hashes of the last phase, to split its latencies by where in the cycle they landed. */
let lastHashes: string[] = [];

async function phase(rate: number, secs: number): Promise<PhaseResult> {
  const total = Math.round(rate * secs);
  process.stdout.write(`signing ${total} transfers for ${rate} tx/s… `);
  const txs = Array.from({ length: total }, nextTx);
  process.stdout.write("sending\n");
  const hashes: string[] = [];
  const errors = new Map<string, number>();
  const start = performance.now();
  let sent = 0;
  const inflight: Promise<unknown>[] = [];
  while (sent < total) {
    const due = Math.min(total, Math.floor(((performance.now() - start) / 1000) * rate) + 1);
    for (; sent < due; sent++) {
      const tx = txs[sent]!;
      const h = toHex(tx.hash);
      hashes.push(h);
      submitted.set(h, performance.now());
      inflight.push(
        rpc(urls[sent % urls.length]!, "eth_sendRawTransaction", [toHex(tx.raw)]).catch((e: Error) => {
          const k = e.message.split(":")[0]!.slice(0, 60); // the kind of error, without the address
          errors.set(k, (errors.get(k) ?? 0) + 1);
        }),
      );
    }
    await new Promise((r) => setTimeout(r, 5));
  }
  await Promise.all(inflight);
  const sendEnd = performance.now();
  // Wait for stragglers (at most 10 s).
  const deadline = performance.now() + 10_000;
  while (hashes.some((h) => !seen.has(h)) && performance.now() < deadline)
    await new Promise((r) => setTimeout(r, 100));
  lastHashes = hashes;
  const lat = hashes.filter((h) => seen.has(h)).map((h) => (seen.get(h)! - submitted.get(h)!) / 1000);
  const lastSeen = Math.max(...hashes.filter((h) => seen.has(h)).map((h) => seen.get(h)!));
  const res = {
    offered: rate,
    sent: total,
    finalized: lat.length,
    p50: +pct(lat, 50).toFixed(3),
    p99: +pct(lat, 99).toFixed(3),
    finalizedPerSec: Math.round(lat.length / ((Math.max(lastSeen, sendEnd) - start) / 1000)),
    rpcErrors: Object.fromEntries(errors),
  };
  process.stdout.write(`  ${JSON.stringify(res)}\n`);
  return res;
}

/** Latencies of the last phase split by whether the including block lies inside a race window. */
function splitByRaceWindow() {
  const { cycleLength, windows } = genesis.preset;
  const inside: number[] = [];
  const outside: number[] = [];
  for (const h of lastHashes) {
    const height = seenAt.get(h);
    if (height === undefined) continue;
    const offset = height % cycleLength;
    const lat = (seen.get(h)! - submitted.get(h)!) / 1000;
    (offset >= windows.raceStart && offset < windows.commitDeadline ? inside : outside).push(lat);
  }
  const stats = (xs: number[]) => ({
    txs: xs.length,
    p50: +pct(xs, 50).toFixed(3),
    p99: +pct(xs, 99).toFixed(3),
  });
  const i = stats(inside);
  const o = stats(outside);
  // The slowest block intervals and where in the cycle they fell.
  const gaps = [...heightSeen.entries()]
    .filter(([h]) => heightSeen.has(h - 1))
    .map(([h, t]) => ({ height: h, offset: h % cycleLength, ms: Math.round(t - heightSeen.get(h - 1)!) }))
    .sort((a, b) => b.ms - a.ms)
    .slice(0, 8);
  return {
    slowestBlocks: gaps,
    insideRaceWindows: i,
    outsideRaceWindows: o,
    p99InsideOverOutside: ratioOf(i.p99, o.p99, 2),
  };
}

async function raceBench(): Promise<void> {
  // Wait for the first race window (cycle 1: the beacon's first key is dealt in cycle 0).
  const raceOpen = genesis.preset.cycleLength + genesis.preset.windows.raceStart;
  while (Number.parseInt(await rpc<string>(urls[0]!, "eth_blockNumber"), 16) < raceOpen - 15)
    await new Promise((r) => setTimeout(r, 500));
  const at200 = await phase(200, seconds);
  const commitments = await rpc<{ commitments: { count: number }[] }>(urls[0]!, "race_commitments", [
    { cycle: 2 },
  ]);
  const split = splitByRaceWindow();
  report({
    bench: "devnet --race",
    preset: "minimal",
    nodes: 4,
    mining: "every node, --race-duty 0.5, --race-verify all (as npm start)",
    at200: { ...split, lost: at200.sent - at200.finalized },
    raceCommitmentsCycle2: commitments.commitments.map((c) => c.count),
    ceiling: { p99OutsideRaceWindowsSeconds: split.outsideRaceWindows.p99 },
    ratio: split.p99InsideOverOutside,
    target: "p99 inside race windows ≤ 2 s and ≤ 1.5 × outside",
  });
}

try {
  // Let the network settle into its rhythm.
  await new Promise((r) => setTimeout(r, 3000));
  if (raceOn) {
    await raceBench();
  } else {
    const idle = await phase(1, Math.min(seconds, 10));
    const at200 = await phase(200, seconds);
    const ramp: PhaseResult[] = [];
    for (let rate = 300; rate <= Number(values["max-rate"]); rate = Math.round(rate * 1.5)) {
      const r = await phase(rate, Math.min(seconds, 15));
      ramp.push(r);
      if (!(r.p99 <= 2) || r.finalized < r.sent) break;
    }
    const sustained = [at200, ...ramp].filter((r) => r.p99 <= 2 && r.finalized === r.sent);
    const best = sustained.sort((a, b) => b.finalizedPerSec - a.finalizedPerSec)[0];
    const ceiling = await executionCeiling();
    report({
      bench: "devnet",
      preset: "minimal",
      nodes: 4,
      blockTimeMs: values["block-time-ms"] ? Number(values["block-time-ms"]) : genesis.preset.blockTimeMs,
      noLoad: { p50: idle.p50, p99: idle.p99 },
      at200: {
        p50: at200.p50,
        p99: at200.p99,
        finalizedPerSec: at200.finalizedPerSec,
        lost: at200.sent - at200.finalized,
      },
      highestSustainedWithP99Under2s: best
        ? { offered: best.offered, finalizedPerSec: best.finalizedPerSec, p99: best.p99 }
        : null,
      ceiling: { singleProcessExecuteTxPerSec: Math.round(ceiling) },
      ratio: best ? ratioOf(best.finalizedPerSec, ceiling) : null,
      target: "p50 ≤ 1 s and p99 ≤ 2 s at 200 tx/s",
      note: "4 node processes + load generator share this machine's cores; ratio: highest sustained finalised tx/s ÷ the ceiling",
    });
  }
} finally {
  watching = false;
  await watcher;
  await net.stop();
}
