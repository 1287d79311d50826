/**
 * Module events as Ethereum logs (spec/events.md). An event is declared by its Solidity-style
 * signature; topics[0] is keccak256 of the signature, indexed parameters are the next topics and
 * the others are ABI-encoded in the data, so ethers, viem and any ABI decoder read them. Only
 * static types are used (address, uintN, bytes32): each is one 32-byte word.
 */
import { keccak256 } from "../src/crypto/index.ts";
import type { Address } from "../src/types/index.ts";
import { bigintToBytes, concatBytes } from "../src/types/index.ts";
import type { CallContext } from "./module.ts";

export type EventValue = Address | bigint | number | Uint8Array;

export interface EventDef {
  signature: string;
  topic0: Uint8Array;
  /** Parameter names and types, in order, with whether each is indexed. */
  params: { name: string; type: "address" | "uint256" | "uint32" | "bytes32"; indexed: boolean }[];
}

/** `event("Transfer(address indexed from, address indexed to, uint256 value)")`. */
export function event(declaration: string): EventDef {
  const m = /^(\w+)\((.*)\)$/.exec(declaration);
  if (!m) throw new Error(`bad event declaration: ${declaration}`);
  const params = m[2]!
    .split(",")
    .map((p) => p.trim().split(/\s+/))
    .filter((p) => p[0])
    .map((p) => ({
      type: p[0] as EventDef["params"][number]["type"],
      indexed: p[1] === "indexed",
      name: p[p.length - 1]!,
    }));
  if (params.filter((p) => p.indexed).length > 3) throw new Error(`${m[1]}: at most 3 indexed parameters`);
  const signature = `${m[1]}(${params.map((p) => p.type).join(",")})`;
  return { signature, topic0: keccak256(new TextEncoder().encode(signature)), params };
}

/** One 32-byte ABI word: addresses and integers left-padded, bytes32 as is. */
function word(type: EventDef["params"][number]["type"], v: EventValue): Uint8Array {
  const out = new Uint8Array(32);
  if (type === "bytes32") {
    if (!(v instanceof Uint8Array) || v.length !== 32) throw new Error("bytes32 value must be 32 bytes");
    out.set(v);
  } else if (type === "address") {
    if (!(v instanceof Uint8Array) || v.length !== 20) throw new Error("address value must be 20 bytes");
    out.set(v, 12);
  } else {
    const b = bigintToBytes(BigInt(v as bigint | number));
    out.set(b, 32 - b.length);
  }
  return out;
}

/** Emit `def` with values in declaration order from a module call (kept only if the call succeeds). */
export function emit(ctx: CallContext, def: EventDef, ...values: EventValue[]): void {
  if (values.length !== def.params.length) throw new Error(`${def.signature}: wrong number of values`);
  const topics = [def.topic0];
  const data: Uint8Array[] = [];
  def.params.forEach((p, i) => {
    (p.indexed ? topics : data).push(word(p.type, values[i]!));
  });
  ctx.emit(topics, concatBytes(...data));
}
