/** Parameter parsers: each throws -32602 "invalid argument i: …" in geth's wording. */
import { type Address, fromHex } from "../types/index.ts";
import { invalidParam } from "./errors.ts";

export type BlockTag =
  | "latest"
  | "pending"
  | "safe"
  | "finalized"
  | "earliest"
  | number
  | { hash: Uint8Array };

const QUANTITY_RE = /^0x(0|[1-9a-fA-F][0-9a-fA-F]*)$/;

export function quantityParam(v: unknown, i: number, max = (1n << 256n) - 1n): bigint {
  if (typeof v !== "string") throw invalidParam(i, "json: cannot unmarshal non-string into hexutil.Big");
  if (!v.startsWith("0x")) throw invalidParam(i, "hex string without 0x prefix");
  if (v === "0x") throw invalidParam(i, 'hex string "0x"');
  if (!QUANTITY_RE.test(v))
    throw invalidParam(i, v.startsWith("0x0") ? "hex number with leading zero digits" : "invalid hex string");
  const n = BigInt(v);
  if (n > max) throw invalidParam(i, "hex number > 256 bits");
  return n;
}

export function numberParam(v: unknown, i: number): number {
  if (typeof v === "number" && Number.isSafeInteger(v) && v >= 0) return v;
  return Number(quantityParam(v, i, BigInt(Number.MAX_SAFE_INTEGER)));
}

export function dataParam(v: unknown, i: number, maxBytes = 1024 * 1024): Uint8Array {
  if (typeof v !== "string") throw invalidParam(i, "json: cannot unmarshal non-string into hexutil.Bytes");
  let b: Uint8Array;
  try {
    b = fromHex(v, "");
  } catch (e) {
    throw invalidParam(i, (e as Error).message.replace(/^: /, ""));
  }
  if (b.length > maxBytes) throw invalidParam(i, `data longer than ${maxBytes} bytes`);
  return b;
}

export function addressParam(v: unknown, i: number): Address {
  const b = dataParam(v, i);
  if (b.length !== 20)
    throw invalidParam(i, `hex string has length ${b.length * 2}, want 40 for common.Address`);
  return b;
}

export function hashParam(v: unknown, i: number): Uint8Array {
  const b = dataParam(v, i);
  if (b.length !== 32)
    throw invalidParam(i, `hex string has length ${b.length * 2}, want 64 for common.Hash`);
  return b;
}

export function boolParam(v: unknown, i: number): boolean {
  if (typeof v !== "boolean") throw invalidParam(i, "json: cannot unmarshal into bool");
  return v;
}

export function blockTagParam(v: unknown, i: number, dflt: BlockTag = "latest"): BlockTag {
  if (v === undefined || v === null) return dflt;
  if (v === "latest" || v === "pending" || v === "safe" || v === "finalized" || v === "earliest") return v;
  if (typeof v === "object" && !Array.isArray(v)) {
    const o = v as Record<string, unknown>;
    if (o.blockHash !== undefined) return { hash: hashParam(o.blockHash, i) };
    if (o.blockNumber !== undefined) return blockTagParam(o.blockNumber, i);
    throw invalidParam(i, "block selector needs blockHash or blockNumber");
  }
  // A bare 32-byte hex string is a block hash, as geth reads it (ethers sends hashes this way).
  if (typeof v === "string" && /^0x[0-9a-fA-F]{64}$/.test(v)) return { hash: hashParam(v, i) };
  if (typeof v === "string" && v.startsWith("0x")) return numberParam(v, i);
  throw invalidParam(i, `invalid block number or tag ${JSON.stringify(v)?.slice(0, 40)}`);
}

export interface CallObject {
  from?: Address;
  to: Address | null;
  gas?: bigint;
  value: bigint;
  data: Uint8Array;
}

export function callParam(v: unknown, i: number): CallObject {
  if (typeof v !== "object" || v === null || Array.isArray(v))
    throw invalidParam(i, "expected a call object");
  const o = v as Record<string, unknown>;
  const input = o.input ?? o.data;
  if (o.input !== undefined && o.data !== undefined && o.input !== o.data) {
    throw invalidParam(i, 'both "data" and "input" are set and not equal');
  }
  return {
    from: o.from === undefined || o.from === null ? undefined : addressParam(o.from, i),
    to: o.to === undefined || o.to === null ? null : addressParam(o.to, i),
    gas: o.gas === undefined || o.gas === null ? undefined : quantityParam(o.gas, i, (1n << 64n) - 1n),
    value: o.value === undefined || o.value === null ? 0n : quantityParam(o.value, i),
    data: input === undefined || input === null ? new Uint8Array(0) : dataParam(input, i),
  };
}
