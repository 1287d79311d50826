/**
 * The explorer page (spec/rpc.md §Explorer): static files shipped in src/rpc/explorer, served on
 * the RPC port at /explorer/, plus /explorer/meta.json (module addresses, event signatures and the
 * cycle schedule, so the page decodes calls and logs). The page itself reads the chain only through
 * the public JSON-RPC, over HTTP and WebSocket.
 */
import { readFileSync } from "node:fs";
import { moduleEvents } from "../../contracts/index.ts";
import { toChecksumAddress, toHex } from "../types/index.ts";
import type { RpcContext } from "./context.ts";

const dir = new URL("./explorer/", import.meta.url);
const FILES: Record<string, { file: string; type: string }> = {
  "/explorer": { file: "index.html", type: "text/html; charset=utf-8" },
  "/explorer/": { file: "index.html", type: "text/html; charset=utf-8" },
  "/explorer/app.js": { file: "app.js", type: "text/javascript; charset=utf-8" },
  "/explorer/economy.js": { file: "economy.js", type: "text/javascript; charset=utf-8" },
  "/explorer/governance.js": { file: "governance.js", type: "text/javascript; charset=utf-8" },
  "/explorer/style.css": { file: "style.css", type: "text/css; charset=utf-8" },
};
const cache = new Map<string, Buffer>();

/** The body and content type for an explorer path, or undefined if it is not one. */
export function explorerAsset(path: string, ctx: RpcContext): { body: Buffer; type: string } | undefined {
  if (path === "/explorer/meta.json") {
    const meta = {
      cycleLength: ctx.chain.preset.cycleLength,
      windows: ctx.chain.preset.windows,
      modules: ctx.chain.modules.modules.map((m) => ({
        name: m.name,
        address: toChecksumAddress(m.address),
      })),
      events: Object.fromEntries(
        moduleEvents.map((e) => [toHex(e.topic0), { name: e.signature.split("(")[0], params: e.params }]),
      ),
    };
    return { body: Buffer.from(JSON.stringify(meta)), type: "application/json" };
  }
  const f = FILES[path];
  if (!f) return undefined;
  let body = cache.get(f.file);
  if (!body) {
    body = readFileSync(new URL(f.file, dir));
    cache.set(f.file, body);
  }
  return { body, type: f.type };
}
