/**
 * Canonical msgpack encoding (spec/encoding.md). Every value has exactly one encoding:
 * - structs are msgpack arrays in a fixed field order (no maps, no field names on the wire);
 * - `uint` is a JS integer in [0, 2^32) written in msgpack's shortest integer form;
 * - `quantity` is a bigint in [0, 2^256) written as msgpack bin holding minimal big-endian bytes
 *   (zero is the empty bin), because msgpackr writes integers ≥ 2^32 as float64;
 * - `bytes` is msgpack bin, optionally of a fixed length; `str` is UTF-8 msgpack str.
 * Decoding rejects wrong types, out-of-range values, trailing bytes, and any input whose
 * re-encoding differs from it (which covers non-shortest integer and length forms).
 */
import { Packr, Unpackr } from "msgpackr";
import { bigintToBytes, bytesToBigint, EncodingError, equalBytes, plain } from "../types/index.ts";

const packr = new Packr({ useRecords: false, variableMapSize: true, useFloat32: 0 });
const unpackr = new Unpackr({ useRecords: false, mapsAsObjects: false, int64AsType: "bigint" });

export interface Codec<T> {
  readonly kind: string;
  /** Shape for tools that map values to JSON (module queries over RPC). */
  readonly fields?: readonly (readonly [string, Codec<unknown>])[];
  readonly item?: Codec<unknown>;
  toWire(value: T, path: string): unknown;
  fromWire(wire: unknown, path: string): T;
}

function fail(path: string, msg: string): never {
  throw new EncodingError(`${path || "value"}: ${msg}`);
}

export const uint: Codec<number> = {
  kind: "uint",
  toWire(v, path) {
    if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) fail(path, `expected uint32, got ${v}`);
    return v;
  },
  fromWire(w, path) {
    if (typeof w !== "number" || !Number.isInteger(w) || w < 0 || w > 0xffffffff)
      fail(path, "expected uint32");
    return w;
  },
};

export const quantity: Codec<bigint> = {
  kind: "quantity",
  toWire(v, path) {
    if (typeof v !== "bigint" || v < 0n || v >= 1n << 256n) fail(path, "expected a 256-bit unsigned integer");
    return bigintToBytes(v);
  },
  fromWire(w, path) {
    if (!(w instanceof Uint8Array)) fail(path, "expected quantity bytes");
    if (w.length > 32) fail(path, "quantity longer than 32 bytes");
    if (w.length > 0 && w[0] === 0) fail(path, "quantity has leading zero bytes");
    return bytesToBigint(w);
  },
};

/** A quantity with a tighter bound than 2^256 (e.g. a race nonce < 2^40), refused above it on decode and encode. */
export function quantityMax(max: bigint, what = "quantity"): Codec<bigint> {
  return {
    kind: "quantity",
    toWire(v, path) {
      if (typeof v !== "bigint" || v < 0n || v > max) fail(path, `expected a ${what} in [0, ${max}]`);
      return quantity.toWire(v, path);
    },
    fromWire(w, path) {
      const v = quantity.fromWire(w, path);
      if (v > max) fail(path, `${what} ${v} is above ${max}`);
      return v;
    },
  };
}

export function bytes(opts: { length?: number; max?: number } = {}): Codec<Uint8Array> {
  return {
    kind: opts.length !== undefined ? `bytes${opts.length}` : "bytes",
    toWire(v, path) {
      if (!(v instanceof Uint8Array)) fail(path, "expected bytes");
      if (opts.length !== undefined && v.length !== opts.length) fail(path, `expected ${opts.length} bytes`);
      if (opts.max !== undefined && v.length > opts.max) fail(path, `longer than ${opts.max} bytes`);
      return v;
    },
    fromWire(w, path) {
      if (!(w instanceof Uint8Array)) fail(path, "expected bytes");
      if (opts.length !== undefined && w.length !== opts.length) fail(path, `expected ${opts.length} bytes`);
      if (opts.max !== undefined && w.length > opts.max) fail(path, `longer than ${opts.max} bytes`);
      return plain(w);
    },
  };
}

export const hash32 = bytes({ length: 32 });
export const address20 = bytes({ length: 20 });

export function str(max: number): Codec<string> {
  return {
    kind: "str",
    toWire(v, path) {
      if (typeof v !== "string" || Buffer.byteLength(v) > max) fail(path, `expected a string ≤ ${max} bytes`);
      return v;
    },
    fromWire(w, path) {
      if (typeof w !== "string" || Buffer.byteLength(w) > max) fail(path, `expected a string ≤ ${max} bytes`);
      return w;
    },
  };
}

export function list<T>(item: Codec<T>, max: number): Codec<T[]> {
  return {
    kind: `list<${item.kind}>`,
    item: item as Codec<unknown>,
    toWire(v, path) {
      if (!Array.isArray(v) || v.length > max) fail(path, `expected a list of at most ${max}`);
      return v.map((x, i) => item.toWire(x, `${path}[${i}]`));
    },
    fromWire(w, path) {
      if (!Array.isArray(w) || w.length > max) fail(path, `expected a list of at most ${max}`);
      return w.map((x, i) => item.fromWire(x, `${path}[${i}]`));
    },
  };
}

type Fields<T> = { [K in keyof T]: Codec<T[K]> };

/** A struct: encoded as an array of its fields in the order given. */
export function struct<T extends object>(name: string, fields: Fields<T>): Codec<T> {
  const entries = Object.entries(fields) as [keyof T & string, Codec<unknown>][];
  return {
    kind: name,
    fields: entries,
    toWire(v, path) {
      if (typeof v !== "object" || v === null) fail(path, `expected ${name}`);
      return entries.map(([k, c]) => c.toWire((v as Record<string, unknown>)[k], path ? `${path}.${k}` : k));
    },
    fromWire(w, path) {
      if (!Array.isArray(w)) fail(path, `expected ${name} (an array of ${entries.length} fields)`);
      if (w.length !== entries.length) fail(path, `${name} has ${entries.length} fields, got ${w.length}`);
      const out: Record<string, unknown> = {};
      entries.forEach(([k, c], i) => {
        out[k] = c.fromWire(w[i], path ? `${path}.${k}` : k);
      });
      return out as T;
    },
  };
}

export function encode<T>(codec: Codec<T>, value: T): Uint8Array {
  // msgpackr returns a view into its shared scratch buffer: copy so callers own their bytes.
  const packed = packr.pack(codec.toWire(value, ""));
  const out = new Uint8Array(packed.byteLength);
  out.set(packed);
  return out;
}

/** Decode canonical bytes; anything that is not the one encoding of a valid value throws EncodingError. */
export function decode<T>(codec: Codec<T>, data: Uint8Array, maxBytes = 16 * 1024 * 1024): T {
  if (!(data instanceof Uint8Array)) throw new EncodingError("expected bytes");
  if (data.length === 0) throw new EncodingError("empty input");
  if (data.length > maxBytes) throw new EncodingError(`input of ${data.length} bytes exceeds ${maxBytes}`);
  let wire: unknown;
  const hadView = Object.hasOwn(data, "dataView");
  try {
    wire = unpackr.unpack(data);
  } catch (e) {
    throw new EncodingError(`malformed msgpack: ${(e as Error).message}`);
  } finally {
    // msgpackr caches a DataView on its input; leave the caller's bytes as they were.
    if (!hadView) Reflect.deleteProperty(data, "dataView");
  }
  const value = codec.fromWire(wire, "");
  if (!equalBytes(encode(codec, value), data))
    throw new EncodingError(`non-canonical ${codec.kind} encoding`);
  return value;
}
