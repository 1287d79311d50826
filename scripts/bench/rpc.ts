// bench:rpc — eth_getBalance and eth_getBlockByNumber under load from a second process against
// a real node process (minimal preset, devnet genesis, blocks with transfers in them).
// Prints requests/s and p50/p99 latency at a fixed offered load and at saturation, and the node's
// peak RSS. Targets: p99 ≤ 10 ms at 1,000 requests/s; peak RSS ≤ 300 MB. The ceiling is the
// saturation throughput (32 closed-loop clients); the ratio is the fixed load's share of it.
// Usage: npm run bench:rpc -- [--rate 1000] [--seconds 10] [--saturation-seconds 5]
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { toHex } from "../../src/types/index.ts";
import { devAddresses, transfer } from "../../test/helpers/chain.ts";
import { rpc, startNode } from "../../test/helpers/process.ts";
import { ratioOf, report } from "./report.ts";

const { values } = parseArgs({
  options: {
    rate: { type: "string", default: "1000" },
    seconds: { type: "string", default: "10" },
    "saturation-seconds": { type: "string", default: "5" },
  },
});
const node = await startNode({ blockTimeMs: 1000, fsync: true });
const pid = node.proc.pid!;
const rssMb = (field: "VmRSS" | "VmHWM") => {
  const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Math.round(Number(m[1]) / 1024) : NaN;
};
try {
  // Some chain history with transactions in it.
  for (let n = 0; n < 50; n++)
    await rpc(node.url, "eth_sendRawTransaction", [
      toHex(transfer(1 + (n % 5), BigInt(Math.floor(n / 5))).raw),
    ]);
  await new Promise((r) => setTimeout(r, 2500));
  const load = (args: string[]) =>
    JSON.parse(
      execFileSync(
        process.execPath,
        [
          "--import",
          "tsx",
          "scripts/bench/rpcLoad.ts",
          "--url",
          node.url,
          "--address",
          toHex(devAddresses[1]!),
          ...args,
        ],
        { encoding: "utf8" },
      ),
    );
  const fixed = load(["--rate", values.rate!, "--seconds", values.seconds!]);
  const saturated = load(["--rate", "0", "--seconds", values["saturation-seconds"]!, "--concurrency", "32"]);
  const height = (await rpc<{ height: number }>(node.url, "chain_getStatus")).height;
  report({
    bench: "rpc",
    methods: ["eth_getBalance", "eth_getBlockByNumber"],
    fixedLoad: fixed,
    saturation: saturated,
    nodeRssMb: rssMb("VmRSS"),
    nodePeakRssMb: rssMb("VmHWM"),
    chainHeight: height,
    ceiling: { saturationPerSec: saturated.achievedPerSec },
    ratio: ratioOf(fixed.achievedPerSec, saturated.achievedPerSec),
    target: "p99 ≤ 10 ms at 1,000 requests/s, no errors; node peak RSS ≤ 300 MB",
    pass: fixed.p99ms <= 10 && fixed.errors === 0 && rssMb("VmHWM") <= 300,
  });
} finally {
  await node.stop();
}
