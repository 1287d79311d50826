/**
 * `racecoin serve-model`: the built-in exact model behind a plain OpenAI-compatible HTTP server
 * (models, completions and chat completions, streamed or not, logprobs), with no chain and no API
 * keys: what vLLM or llama.cpp's server is to a GPU miner. An executor forwards its tasks to such
 * a server with `racecoin node --inference-upstream URL` (spec/tasks.md §Upstream servers).
 */
import { createServer } from "node:http";
import { handleModelServer } from "../../rpc/index.ts";
import { type Command, parse, parsePort, UsageError } from "../args.ts";

const options = { host: { type: "string" }, port: { type: "string" } } as const;

const help = `racecoin serve-model — serve the built-in model over an OpenAI-compatible HTTP API

Usage: racecoin serve-model [--host HOST] [--port PORT]

  --host HOST   interface to listen on (default: 127.0.0.1)
  --port PORT   port (default: 8000; 0 picks a free one, printed at start)

Endpoints: GET /v1/models, POST /v1/completions and /v1/chat/completions (stream, logprobs).
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
      handleModelServer(req, res, readBody)
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
    process.stdout.write(`serving racecoin-exact-tiny at http://${host}:${bound}/v1\n`);
    await new Promise<void>((resolve) => {
      for (const sig of ["SIGINT", "SIGTERM"] as const) process.once(sig, () => resolve());
    });
    server.close();
    return 0;
  },
};
