// bench:beacon — DKG cost per node and bytes on chain, and beacon round costs, for committees of
// 4, 16 and 64 (t = ⌊n/2⌋ + 1). The ceiling beside them is this machine's G1 scalar-multiply and
// BLS-verify rates measured in the same run, and the DKG's unavoidable n·t multiplications.
// Minimal-preset budget: a DKG must fit in one cycle (60 blocks × 500 ms = 30 s).
// Then, on a real 4-validator devnet, round latency in blocks and seconds (skip with --devnet false).
// Ratio per committee: the multiplication floor at the measured rate ÷ the DKG work per node.
// Usage: npm run bench:beacon -- [--sizes 4,16,64] [--devnet false]
import { parseArgs } from "node:util";
import { bls12_381 } from "@noble/curves/bls12-381.js";
import {
  type Committee,
  combinePartials,
  combineShares,
  finalizeDkg,
  makeDealing,
  partialSign,
  receiveShare,
  roundOutput,
  thresholdFor,
  verifyPartial,
  verifyRound,
} from "../../src/beacon/index.ts";
import { blsSign, blsVerify, deriveBlsKeys, TEST_MNEMONIC } from "../../src/crypto/index.ts";
import { ratioOf, report } from "./report.ts";

const { values } = parseArgs({
  options: { sizes: { type: "string", default: "4,16,64" }, devnet: { type: "string", default: "true" } },
});
const sizes = values.sizes.split(",").map(Number);
const ms = (t0: number) => performance.now() - t0;

// Ceilings: G1 scalar multiplication and one BLS verification, here and now.
const G1 = bls12_381.G1.Point;
let t0 = performance.now();
for (let i = 0; i < 200; i++) G1.BASE.multiply(0x1234567890abcdefn * BigInt(i + 1));
const g1MulMs = ms(t0) / 200;
const [probe] = deriveBlsKeys(TEST_MNEMONIC, 1);
const sig = blsSign(probe!.secretKey, "beacon", new Uint8Array(8));
t0 = performance.now();
for (let i = 0; i < 200; i++) blsVerify(probe!.publicKey, "beacon", new Uint8Array(8), sig);
const verifyMs = ms(t0) / 200;

const rows = [];
for (const n of sizes) {
  const keys = deriveBlsKeys(TEST_MNEMONIC, n);
  const c: Committee = {
    members: keys.map((k, i) => ({ index: i + 1, blsKey: k.publicKey })),
    threshold: thresholdFor(n),
  };
  const t = c.threshold;
  process.stdout.write(`n = ${n}, t = ${t}: dealing… `);
  t0 = performance.now();
  const dealings = c.members.map((m) => makeDealing(c, m.index));
  const dealMs = ms(t0) / n;
  process.stdout.write("receiving… ");
  // One member's work: decrypt and check its share in every dealing.
  t0 = performance.now();
  const mine = new Map<number, bigint>();
  for (const d of dealings) {
    const r = receiveShare(c, d, c.members[0]!, keys[0]!.secretKey);
    if (!("share" in r)) throw new Error("honest dealing refused");
    mine.set(d.dealer, r.share);
  }
  const receiveMs = ms(t0);
  process.stdout.write("finalizing… ");
  t0 = performance.now();
  const result = finalizeDkg(c, dealings, []);
  const finalizeMs = ms(t0);
  // Every member's share, for the round benchmark (setup, not timed as per-node work).
  const shares = c.members.map((m, k) => {
    if (k === 0) return combineShares(mine, result.qualified);
    const got = new Map<number, bigint>();
    for (const d of dealings) {
      const r = receiveShare(c, d, m, keys[k]!.secretKey);
      if ("share" in r) got.set(d.dealer, r.share);
    }
    return combineShares(got, result.qualified);
  });
  process.stdout.write("round…\n");
  const prev = new Uint8Array(32);
  t0 = performance.now();
  const partials = shares.map((x, k) => ({ index: k + 1, signature: partialSign(x, 72270n, 1, prev) }));
  const signMs = ms(t0) / n;
  t0 = performance.now();
  for (const [k, p] of partials.entries())
    if (!verifyPartial(result.publicShares[k]!, 72270n, 1, prev, p.signature))
      throw new Error("partial refused");
  const verifyPartialMs = ms(t0) / n;
  t0 = performance.now();
  const signature = combinePartials(partials.slice(0, t), t);
  const combineMs = ms(t0);
  t0 = performance.now();
  if (!verifyRound(result.groupKey, 72270n, 1, prev, signature)) throw new Error("round refused");
  const verifyOutputMs = ms(t0);
  void roundOutput(signature);
  const dealingBytes = t * 48 + n * (48 + 32) + 8;
  const perNodeMs = dealMs + receiveMs + finalizeMs;
  rows.push({
    committee: n,
    threshold: t,
    dkgPerNodeMs: Math.round(perNodeMs),
    dealMs: Math.round(dealMs),
    receiveAllMs: Math.round(receiveMs),
    finalizeMs: Math.round(finalizeMs),
    floorMulsPerNode: n * t + n * (t + 2),
    floorMsAtMeasuredMulRate: Math.round((n * t + n * (t + 2)) * g1MulMs),
    bytesOnChainPerDealing: dealingBytes,
    bytesOnChainTotal: n * dealingBytes,
    round: {
      partialSignMs: +signMs.toFixed(2),
      partialVerifyMs: +verifyPartialMs.toFixed(2),
      combineMs: Math.round(combineMs),
      verifyOutputMs: +verifyOutputMs.toFixed(2),
      latencyFloorMs: Math.round(signMs + t * verifyPartialMs + combineMs + verifyOutputMs),
    },
    fitsMinimalCycle30s: perNodeMs < 30_000,
  });
}
// Round latency on a real 4-validator devnet (minimal preset, 500 ms blocks): from the block at
// which a round opens to the block that carries its output.
async function devnetRoundLatency(rounds: number) {
  const { startNetwork } = await import("../../test/helpers/network.ts");
  const { rpc, waitFor } = await import("../../test/helpers/process.ts");
  process.stdout.write(`devnet: 4 nodes, waiting for a DKG and ${rounds} scheduled rounds…\n`);
  const net = await startNetwork(
    [0, 1, 2, 3].map((validator) => ({ validator })),
    { blockTimeMs: 500 },
  );
  try {
    const url = net.nodes[0]!.url;
    const latest = async () => (await rpc<{ round: number } | null>(url, "beacon_getLatest"))?.round ?? 0;
    // Rounds opened before the first key existed complete back to back; measure those after.
    await waitFor("first outputs", async () => (await latest()) >= 1, 120_000);
    const first = (await rpc<{ height: number }>(url, "beacon_getRound", [1])).height;
    const firstScheduled = Math.ceil(first / 10) + 1;
    await waitFor("scheduled rounds", async () => (await latest()) >= firstScheduled + rounds, 180_000);
    const time = async (h: number) =>
      Number.parseInt(
        (await rpc<{ timestamp: string }>(url, "eth_getBlockByNumber", [`0x${h.toString(16)}`, false]))
          .timestamp,
        16,
      );
    const blocks: number[] = [];
    const seconds: number[] = [];
    for (let r = firstScheduled; r < firstScheduled + rounds; r++) {
      const rec = await rpc<{ height: number }>(url, "beacon_getRound", [r]);
      const prev = await rpc<{ height: number }>(url, "beacon_getRound", [r - 1]);
      const opened = Math.max(r * 10, prev.height + 1);
      blocks.push(rec.height - opened);
      seconds.push((await time(rec.height)) - (await time(opened)));
    }
    const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);
    return {
      rounds,
      blocksFromOpenToOutput: { p50: sorted(blocks)[Math.floor(rounds / 2)], max: Math.max(...blocks) },
      secondsFromOpenToOutput: {
        p50: sorted(seconds)[Math.floor(rounds / 2)],
        max: Math.max(...seconds),
        resolution: "1 s block timestamps",
      },
    };
  } finally {
    await net.stop();
  }
}

const devnet = values.devnet === "false" ? undefined : await devnetRoundLatency(6);
report({
  bench: "beacon",
  rows,
  devnet4: devnet ?? null,
  ceiling: { g1MulMs: +g1MulMs.toFixed(3), blsVerifyMs: +verifyMs.toFixed(3) },
  ratio: Object.fromEntries(
    rows.map((r) => [`n${r.committee}`, ratioOf(r.floorMsAtMeasuredMulRate, r.dkgPerNodeMs, 2)]),
  ),
  target: "a DKG's work per node fits one minimal cycle (30 s)",
});
