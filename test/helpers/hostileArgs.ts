// Hostile arguments for a module method, generated from its own codec: every field at its
// smallest, every field at its largest that still fits a transaction, random values, or a random
// mix of the three per field. bench:gas times methods on them; the module fuzz test sends them in
// blocks. A seeded generator makes a run reproducible.
import { randomBytes } from "node:crypto";
import { type Codec, encode } from "../../src/encoding/index.ts";
import { MAX_NONCE } from "../../src/race/index.ts";

export type Mode = "zero" | "max" | "random" | "mixed";

export interface Rng {
  /** An integer in [0, n), n ≤ 2^53. */
  int(n: number): number;
  bytes(n: number): Uint8Array;
}

/** Math.random and the system's random bytes: not reproducible. */
export const systemRng: Rng = {
  int: (n) => Math.floor(Math.random() * n),
  bytes: (n) => randomBytes(n),
};

/** A reproducible generator (mulberry32): the same seed gives the same values everywhere. */
export function seededRng(seed: number): Rng {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
  return {
    int: (n) => Math.floor(((next() * 2 ** 21 + (next() >>> 11)) / 2 ** 53) * n),
    bytes: (n) => Uint8Array.from({ length: n }, () => next() & 0xff),
  };
}

/** Arguments larger than this do not fit a transaction's envelope with room to spare. */
export const MAX_ARGS_BYTES = 60 * 1024;

const QUANTITIES = [(1n << 256n) - 1n, (1n << 64n) - 1n, MAX_NONCE, 1n << 32n, 1n, 0n];

/** The first of `tries` the codec accepts. */
function firstFitting<T>(codec: Codec<unknown>, tries: T[]): T | undefined {
  for (const v of tries) {
    try {
      encode(codec, v);
      return v;
    } catch {}
  }
  return undefined;
}

/** A value of the codec's type, or undefined for a kind it does not know. */
export function valueFor(codec: Codec<unknown>, mode: Mode, rng: Rng = systemRng, depth = 0): unknown {
  if (mode === "mixed") {
    const leafMode = (["zero", "max", "random"] as const)[rng.int(3)]!;
    if (!codec.fields) return valueFor(codec, leafMode, rng, depth);
  }
  const kind = codec.kind;
  if (codec.fields) {
    const out: Record<string, unknown> = {};
    for (const [name, c] of codec.fields) out[name] = valueFor(c, mode, rng, depth + 1);
    return out;
  }
  if (kind === "uint") return mode === "zero" ? 0 : mode === "max" ? 0xffffffff : rng.int(2 ** 32);
  if (kind === "quantity") {
    const tries = mode === "zero" ? [0n] : mode === "max" ? QUANTITIES : [BigInt(rng.int(1e15)), 0n];
    return firstFitting(codec, tries) ?? 0n;
  }
  if (kind.startsWith("bytes")) {
    const fixed = Number(kind.slice(5));
    if (fixed > 0) return mode === "zero" ? new Uint8Array(fixed) : rng.bytes(fixed);
    const lengths =
      mode === "zero" ? [0] : mode === "max" ? [65536, 16384, 4096, 1024, 64, 0] : [rng.int(256), 0];
    return firstFitting(
      codec,
      lengths.map((n) => (mode === "zero" ? new Uint8Array(n) : rng.bytes(n))),
    );
  }
  if (kind === "str") {
    const lengths = mode === "zero" ? [0] : mode === "max" ? [4096, 1024, 512, 256, 64, 0] : [rng.int(64), 0];
    return firstFitting(
      codec,
      lengths.map((n) => "x".repeat(n)),
    );
  }
  if (kind.startsWith("list<") && codec.item) {
    const lengths =
      mode === "zero"
        ? [0]
        : mode === "max"
          ? [8192, 4096, 2048, 1024, 512, 256, 128, 64, 32, 16, 8, 1, 0]
          : [rng.int(8), 0];
    for (const n of lengths) {
      if (depth > 2 && n > 16) continue;
      const items = Array.from({ length: n }, () => valueFor(codec.item!, mode, rng, depth + 1));
      try {
        if (encode(codec, items).length <= MAX_ARGS_BYTES) return items;
      } catch {}
    }
    return [];
  }
  return undefined;
}
