/**
 * `racecoin serve-model`: the built-in models behind a plain OpenAI-compatible HTTP server
 * (models, completions and chat completions, streamed or not, logprobs), with no chain and no API
 * keys: what vLLM or llama.cpp's server is to a GPU miner. An executor forwards its tasks to such
 * a server with `racecoin node --inference-upstream URL` (spec/tasks.md §Upstream servers).
 */
import { createServer } from "node:http";
import { DEFAULT_MODELS } from "../../../contracts/index.ts";
import { DEFAULT_MODELS_DIR, loadRegisteredModels } from "../../models/index.ts";
import { handleModelServer } from "../../rpc/index.ts";
import { toHex } from "../../types/index.ts";
import { type Command, parse, parsePort, UsageError } from "../args.ts";

const options = {
  host: { type: "string" },
  port: { type: "string" },
  "models-dir": { type: "string" },
} as const;

const help = `racecoin serve-model — serve the built-in models over an OpenAI-compatible HTTP API

Usage: racecoin serve-model [--host HOST] [--port PORT] [--models-dir DIR]

  --host HOST       interface to listen on (default: 127.0.0.1)
  --port PORT       port (default: 8000; 0 picks a free one, printed at start)
  --models-dir DIR  where racecoin-float-tiny's files are (default: genesis/models); without
                    them only racecoin-exact-tiny is served

Endpoints: GET /v1/models, POST /v1/completions and /v1/chat/completions (stream, logprobs,
top logprobs, and vLLM's return_tokens_as_token_ids).
No chain, no keys: point an executor at it with
  racecoin node --serve-tasks --inference-upstream http://127.0.0.1:8000/v1 …
`;

const MAX_BODY = 1 << 20;

export const serveModelCommand: Command = {
  name: "serve-model",
  summary: "serve the built-in model over an OpenAI-compatible HTTP API (an upstream for executors)",
  help,
  async run(argv) {
    const { values, positionals } = parse(argv, options, "serve-model");
    if (positionals.length > 0) throw new UsageError(`serve-model: unexpected argument ${positionals[0]}`);
    const host = values.host ?? "127.0.0.1";
    const local = await loadRegisteredModels(
      values["models-dir"] ?? DEFAULT_MODELS_DIR,
      DEFAULT_MODELS.map((m) => ({
        id: m.id,
        files: m.files.map((f) => ({ name: f.name, sha256: toHex(f.sha256) })),
      })),
    );
    for (const [id, why] of local.refused) process.stderr.write(`serve-model: not serving ${id}: ${why}\n`);
    const port = parsePort(values.port, "--port", 8000);
    const server = createServer((req, res) => {
      const readBody = () =>
        new Promise<Buffer | undefined>((resolve, reject) => {
          const chunks: Buffer[] = [];
          let size = 0;
          req.on("data", (c: Buffer) => {
            size += c.length;
            if (size > MAX_BODY) {
              resolve(undefined);
              req.destroy();
            } else chunks.push(c);
          });
          req.on("end", () => resolve(Buffer.concat(chunks)));
          req.on("error", reject);
        });
      process.stderr.write(`serve-model: ${req.method} ${req.url}\n`);
      handleModelServer(req, res, readBody, local)
        .then((handled) => {
          if (!handled) {
            res.writeHead(404, { "content-type": "application/json" });
            res.end(
              JSON.stringify({
                error: { message: "only /v1/* is served here", type: "invalid_request_error" },
              }),
            );
          }
        })
        .catch((e) => {
          process.stderr.write(`serve-model: ${(e as Error).message}\n`);
          if (!res.headersSent) res.writeHead(500);
          res.end();
        });
    });
    await new Promise<void>((resolve, reject) => {
      server.once("error", (e: NodeJS.ErrnoException) =>
        reject(e.code === "EADDRINUSE" ? new UsageError(`--port: ${host}:${port} is already in use`) : e),
      );
      server.listen(port, host, resolve);
    });
    const bound = (server.address() as { port: number }).port;
    const ids = ["racecoin-exact-tiny", ...local.loaded.keys()].join(",");
    process.stdout.write(`serving ${ids} at http://${host}:${bound}/v1\n`);
    await new Promise<void>((resolve) => {
      for (const sig of ["SIGINT", "SIGTERM"] as const) process.once(sig, () => resolve());
    });
    server.close();
    return 0;
  },
};
