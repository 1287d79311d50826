/**
 * Module queries over JSON-RPC: every query `q` of module `m` is served as `m_q` with one
 * parameter, its argument struct as a JSON object (bytes as 0x-hex, quantities as decimal or
 * 0x-hex strings, uints as numbers), and answers its result struct in the same form. The same
 * queries answer eth_call with msgpack envelopes (spec/modules.md §Queries).
 */
import { envelopeCodec } from "../../contracts/index.ts";
import { type Codec, decode, encode } from "../encoding/index.ts";
import { CallError, runQuery } from "../state/index.ts";
import { fromHex, toHex } from "../types/index.ts";
import type { RpcContext } from "./context.ts";
import { INVALID_PARAMS, RpcError, SERVER_ERROR } from "./errors.ts";

export function toJson(c: Codec<unknown>, v: unknown): unknown {
  if (c.fields) {
    const o = v as Record<string, unknown>;
    return Object.fromEntries(c.fields.map(([k, f]) => [k, toJson(f, o[k])]));
  }
  if (c.item) return (v as unknown[]).map((x) => toJson(c.item!, x));
  if (v instanceof Uint8Array) return toHex(v);
  if (typeof v === "bigint") return v.toString(10);
  return v;
}

function fromJson(c: Codec<unknown>, j: unknown, path: string): unknown {
  const bad = (msg: string): never => {
    throw new RpcError(INVALID_PARAMS, `invalid argument ${path || "args"}: ${msg}`);
  };
  if (c.fields) {
    if (typeof j !== "object" || j === null || Array.isArray(j)) bad("expected an object");
    const o = j as Record<string, unknown>;
    for (const k of Object.keys(o)) if (!c.fields.some(([f]) => f === k)) bad(`unknown field "${k}"`);
    return Object.fromEntries(c.fields.map(([k, f]) => [k, fromJson(f, o[k], path ? `${path}.${k}` : k)]));
  }
  if (c.item) {
    if (!Array.isArray(j)) bad("expected an array");
    return (j as unknown[]).map((x, i) => fromJson(c.item!, x, `${path}[${i}]`));
  }
  if (c.kind === "uint") {
    if (typeof j !== "number") bad("expected a number");
    return j;
  }
  if (c.kind === "quantity") {
    if (typeof j !== "string" || !/^(0x[0-9a-fA-F]+|[0-9]+)$/.test(j))
      bad("expected a decimal or 0x-hex string");
    return BigInt(j as string);
  }
  if (c.kind.startsWith("bytes")) {
    if (typeof j !== "string" || !/^0x([0-9a-fA-F]{2})*$/.test(j)) bad("expected 0x-prefixed hex bytes");
    return fromHex(j as string);
  }
  if (c.kind === "str") {
    if (typeof j !== "string") bad("expected a string");
    return j;
  }
  return bad(`unsupported field type ${c.kind}`);
}

/** Run `module_query` if such a module query exists; undefined if the name is not one. */
export function moduleQueryHandler(ctx: RpcContext, method: string): ((p: unknown[]) => unknown) | undefined {
  const m = /^([a-z][a-zA-Z0-9]*)_([a-zA-Z0-9]+)$/.exec(method);
  if (!m) return undefined;
  const module = ctx.chain.modules.named(m[1]!);
  const q = module && Object.hasOwn(module.queries, m[2]!) ? module.queries[m[2]!] : undefined;
  if (!module || !q) return undefined;
  return (p: unknown[]) => {
    const args = fromJson(q.args, p[0] ?? {}, "");
    let encodedArgs: Uint8Array;
    try {
      encodedArgs = encode(q.args, args);
    } catch (e) {
      throw new RpcError(INVALID_PARAMS, `invalid arguments: ${(e as Error).message}`);
    }
    const data = encode(envelopeCodec, { version: 1, method: m[2]!, args: encodedArgs });
    const { chain } = ctx;
    try {
      const out = runQuery(
        chain.state,
        { to: module.address, value: 0n, data },
        {
          chainId: chain.ctx.chainId,
          preset: chain.preset,
          height: chain.head.height,
          modules: chain.modules,
        },
      );
      return toJson(q.result, decode(q.result, out));
    } catch (e) {
      if (e instanceof CallError) throw new RpcError(SERVER_ERROR, e.message);
      throw e;
    }
  };
}
