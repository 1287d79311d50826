// bench:ws — 1,000 WebSocket subscribers on one node each get every new head. Prints the delivery
// latency of each head to each subscriber, measured from its earliest sighting in this process (a
// subscriber, or a poller asking eth_blockNumber over HTTP every 5 ms), p50/p99 over all
// deliveries, missed heads, how far the first delivery beats the HTTP poller, and the node's RSS;
// next to it, the same with a single subscriber measured first in the same run (the ceiling, for
// min(--seconds, 8) s). Ratio: deliveries ÷ (heads × subscribers), 1 when none is missed.
// Usage: npm run bench:ws -- [--subscribers 1000] [--seconds 20]
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import WebSocket from "ws";
import { rpc, startNode } from "../../test/helpers/process.ts";
import { ratioOf, report } from "./report.ts";

const { values } = parseArgs({
  options: { subscribers: { type: "string", default: "1000" }, seconds: { type: "string", default: "20" } },
});
const node = await startNode({ blockTimeMs: 250 });
const wsUrl = node.url.replace("http", "ws");
const visibleAt = new Map<number, number>();
let polling = true;
const poller = (async () => {
  while (polling) {
    try {
      const h = Number(await rpc<string>(node.url, "eth_blockNumber"));
      if (!visibleAt.has(h)) visibleAt.set(h, performance.now());
    } catch {}
    await new Promise((r) => setTimeout(r, 5));
  }
})();

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? +s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!.toFixed(1) : Number.NaN;
};

async function run(n: number, seconds: number) {
  const received: { height: number; at: number }[][] = [];
  const sockets: WebSocket[] = [];
  for (let i = 0; i < n; i += 50) {
    await Promise.all(
      Array.from({ length: Math.min(50, n - i) }, async (_, j) => {
        const ws = new WebSocket(wsUrl);
        const mine: { height: number; at: number }[] = [];
        received[i + j] = mine;
        sockets.push(ws);
        await new Promise((r, rej) => {
          ws.once("open", r);
          ws.once("error", rej);
        });
        ws.on("message", (d) => {
          const m = JSON.parse(d.toString()) as { params?: { result?: { number: string } } };
          if (m.params?.result) mine.push({ height: Number(m.params.result.number), at: performance.now() });
        });
        ws.send(JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_subscribe", params: ["newHeads"] }));
      }),
    );
  }
  const startHeight = Number(await rpc<string>(node.url, "eth_blockNumber")) + 2;
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const endHeight = Number(await rpc<string>(node.url, "eth_blockNumber")) - 2;
  // Reference per head: its earliest sighting in this process, by the HTTP poller or any
  // subscriber. Latency = delivery − reference: the fan-out delay the last subscribers see.
  const got = received.map((mine) => new Map(mine.map((x) => [x.height, x.at])));
  const lat: number[] = [];
  const aheadOfHttp: number[] = [];
  let missed = 0;
  for (let h = startHeight; h <= endHeight; h++) {
    const times = got.map((g) => g.get(h));
    missed += times.filter((t) => t === undefined).length;
    const delivered = times.filter((t): t is number => t !== undefined);
    const seen = visibleAt.get(h);
    const ref = Math.min(seen ?? Number.POSITIVE_INFINITY, ...delivered);
    for (const t of delivered) lat.push(t - ref);
    if (seen !== undefined && delivered.length > 0) aheadOfHttp.push(seen - Math.min(...delivered));
  }
  const rssMb = Math.round(
    Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${node.proc.pid}/status`, "utf8"))?.[1] ?? 0) / 1024,
  );
  for (const s of sockets) s.terminate();
  return {
    subscribers: n,
    heads: endHeight - startHeight + 1,
    deliveries: lat.length,
    missed,
    latencyMs: { p50: pct(lat, 50), p99: pct(lat, 99) },
    firstDeliveryAheadOfHttpPollMs: pct(aheadOfHttp, 50),
    nodeRssMb: rssMb,
  };
}

try {
  const single = await run(1, Math.min(Number(values.seconds), 8));
  process.stderr.write(`1 subscriber: ${JSON.stringify(single)}\n`);
  const many = await run(Number(values.subscribers), Number(values.seconds));
  report({
    bench: "ws",
    blockTimeMs: 250,
    result: many,
    ceiling: { oneSubscriber: single },
    ratio: ratioOf(many.deliveries, many.heads * many.subscribers, 4),
    target: null,
    note: "latency from the head being visible over HTTP (5 ms poller) to its delivery; clients share one process; spec/rpc.md sets no target",
  });
} finally {
  polling = false;
  await poller;
  await node.stop();
}
