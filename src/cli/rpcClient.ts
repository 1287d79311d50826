/** Minimal JSON-RPC client for CLI commands. */
export class RpcCallError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

export async function rpcCall<T = unknown>(url: string, method: string, params: unknown[] = []): Promise<T> {
  let res: Response;
  try {
    res = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }),
    });
  } catch {
    throw new Error(
      `cannot reach a node at ${url}: is it running? (start one with "npm start", or pass --rpc URL)`,
    );
  }
  const body = (await res.json()) as { result?: T; error?: { code: number; message: string } };
  if (body.error) throw new RpcCallError(body.error.code, body.error.message);
  return body.result as T;
}
