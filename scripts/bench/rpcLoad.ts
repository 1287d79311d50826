// Load generator for bench:rpc (runs as its own process). Open loop: requests are issued on a
// fixed schedule and latency is measured from the scheduled time, so queueing shows up in the
// figures (no coordinated omission). Closed loop (--rate 0): N workers back to back, for max req/s.
import { Agent, request } from "node:http";
import { parseArgs } from "node:util";

const { values } = parseArgs({
  options: {
    url: { type: "string" },
    rate: { type: "string", default: "1000" },
    seconds: { type: "string", default: "10" },
    concurrency: { type: "string", default: "16" },
    address: { type: "string" },
  },
});
const url = new URL(values.url!);
const rate = Number(values.rate);
const seconds = Number(values.seconds);
const agent = new Agent({ keepAlive: true, maxSockets: 128 });
const bodies = [
  JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_getBalance", params: [values.address, "latest"] }),
  JSON.stringify({ jsonrpc: "2.0", id: 2, method: "eth_getBlockByNumber", params: ["latest", false] }),
];

function send(body: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request(
      {
        host: url.hostname,
        port: url.port,
        method: "POST",
        path: "/",
        agent,
        headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body) },
      },
      (res) => {
        let text = "";
        res.on("data", (d) => {
          text += d;
        });
        res.on("end", () => resolve(res.statusCode === 200 && text.includes('"result"')));
      },
    );
    req.on("error", () => resolve(false));
    req.end(body);
  });
}

const latencies: number[] = [];
let errors = 0;
let i = 0;
const start = performance.now();
const end = start + seconds * 1000;

if (rate > 0) {
  const inflight: Promise<void>[] = [];
  let issued = 0;
  await new Promise<void>((done) => {
    const tick = () => {
      const now = performance.now();
      const due = Math.min(Math.floor(((now - start) / 1000) * rate), Math.floor(seconds * rate));
      while (issued < due) {
        const scheduled = start + (issued / rate) * 1000;
        issued++;
        inflight.push(
          send(bodies[i++ % 2]!).then((ok) => {
            if (ok) latencies.push(performance.now() - scheduled);
            else errors++;
          }),
        );
      }
      if (now < end) setTimeout(tick, 1);
      else done();
    };
    tick();
  });
  await Promise.all(inflight);
} else {
  const worker = async () => {
    while (performance.now() < end) {
      const t = performance.now();
      if (await send(bodies[i++ % 2]!)) latencies.push(performance.now() - t);
      else errors++;
    }
  };
  await Promise.all(Array.from({ length: Number(values.concurrency) }, worker));
}
const elapsed = (performance.now() - start) / 1000;
latencies.sort((a, b) => a - b);
const pct = (p: number) =>
  +(latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] ?? NaN).toFixed(2);
process.stdout.write(
  `${JSON.stringify({ mode: rate > 0 ? `open ${rate}/s` : `closed x${values.concurrency}`, requests: latencies.length, errors, achievedPerSec: Math.round(latencies.length / elapsed), p50ms: pct(50), p99ms: pct(99), maxms: pct(100) })}\n`,
);
agent.destroy();
