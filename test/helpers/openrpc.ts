// Validates recorded eth_* results against ../shared/vendor/ethereum-execution-apis/openrpc.json.
import { existsSync, readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { Ajv, type ValidateFunction } from "ajv";

const CANDIDATES = [
  process.env.RACECOIN_OPENRPC,
  "../shared/vendor/ethereum-execution-apis/openrpc.json",
  "/work/shared/vendor/ethereum-execution-apis/openrpc.json",
].filter((p): p is string => !!p);

export function loadValidators(): Map<string, ValidateFunction> {
  const path = CANDIDATES.find((p) => existsSync(p));
  if (!path)
    throw new Error(`openrpc.json not found (looked in ${CANDIDATES.join(", ")}); set RACECOIN_OPENRPC`);
  const doc = JSON.parse(readFileSync(path, "utf8")) as {
    methods: { name: string; result: { schema: object } }[];
  };
  const ajv = new Ajv({ strict: false, allErrors: true });
  return new Map(doc.methods.map((m) => [m.name, ajv.compile(m.result.schema)]));
}

/**
 * Where the schema is stricter than what wallets need (each entry says why). A failure is
 * forgiven only if every Ajv error of that result matches an entry for its method.
 */
const ALLOW: { method: string; when: (result: unknown) => boolean; why: string }[] = [
  {
    method: "eth_getTransactionByHash",
    when: (r) => (r as { blockHash?: unknown })?.blockHash === null,
    why: "a pending transaction has null blockHash/blockNumber/transactionIndex (geth, ethers and viem all expect this); beta.7 rejects null",
  },
  {
    method: "eth_getLogs",
    when: (r) => Array.isArray(r) && r.length === 0,
    why: "the result schema is oneOf [hashes, logs]: an empty array matches both, so no empty answer can pass oneOf",
  },
];

export interface Recorded {
  method: string;
  result: unknown;
}

/** An HTTP proxy in front of a node that records every call and its result. */
export async function recordingProxy(
  target: string,
): Promise<{ url: string; calls: Recorded[]; close(): Promise<void> }> {
  const calls: Recorded[] = [];
  const server: Server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks).toString();
    const upstream = await fetch(target, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body,
    });
    const text = await upstream.text();
    try {
      const reqJson = JSON.parse(body);
      const resJson = JSON.parse(text);
      const reqs = Array.isArray(reqJson) ? reqJson : [reqJson];
      const ress = Array.isArray(resJson) ? resJson : [resJson];
      for (const r of reqs) {
        const match = ress.find((x: { id: unknown }) => x.id === r.id);
        if (match && "result" in match) calls.push({ method: r.method, result: match.result });
      }
    } catch {}
    res.writeHead(upstream.status, { "content-type": "application/json" });
    res.end(text);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}`,
    calls,
    close: () =>
      new Promise((r) => {
        server.close(() => r());
        server.closeAllConnections();
      }),
  };
}

export function schemaFailures(calls: Recorded[], validators: Map<string, ValidateFunction>): string[] {
  const failures: string[] = [];
  for (const c of calls) {
    if (!c.method.startsWith("eth_")) continue;
    const validate = validators.get(c.method);
    if (!validate) {
      failures.push(`${c.method}: no schema in openrpc.json`);
      continue;
    }
    if (validate(c.result)) continue;
    if (ALLOW.some((a) => a.method === c.method && a.when(c.result))) continue;
    failures.push(
      `${c.method}: ${JSON.stringify(validate.errors?.slice(0, 3))} for ${JSON.stringify(c.result).slice(0, 300)}`,
    );
  }
  return failures;
}
