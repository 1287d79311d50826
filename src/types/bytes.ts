/** Byte and hex helpers. Hex strings are 0x-prefixed lowercase unless stated otherwise. */

export function toHex(bytes: Uint8Array): string {
  return `0x${Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("hex")}`;
}

const HEX_RE = /^0x([0-9a-fA-F]{2})*$/;

/** Strict hex → bytes: 0x prefix, even length. Throws with a message naming `what`. */
export function fromHex(hex: string, what = "hex string"): Uint8Array {
  if (typeof hex !== "string") throw new Error(`${what}: expected a 0x-prefixed hex string`);
  if (!hex.startsWith("0x") && !hex.startsWith("0X"))
    throw new Error(`${what}: hex string without 0x prefix`);
  if (!HEX_RE.test(hex)) {
    throw new Error(
      hex.length % 2 === 1 ? `${what}: hex string of odd length` : `${what}: invalid hex string`,
    );
  }
  return new Uint8Array(Buffer.from(hex.slice(2), "hex"));
}

/** Minimal hex quantity (Ethereum JSON-RPC "QUANTITY"). */
export function toQuantity(n: bigint | number): string {
  return `0x${n.toString(16)}`;
}

export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  let len = 0;
  for (const p of parts) len += p.length;
  const out = new Uint8Array(len);
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

/** Big-endian minimal bytes of a non-negative integer; zero is the empty array. */
export function bigintToBytes(n: bigint): Uint8Array {
  if (n < 0n) throw new Error("negative integer has no unsigned encoding");
  if (n === 0n) return new Uint8Array(0);
  if (n < 0x1000000000000n) {
    let v = Number(n);
    const out: number[] = [];
    while (v > 0) {
      out.unshift(v % 256);
      v = Math.floor(v / 256);
    }
    return new Uint8Array(out);
  }
  let hex = n.toString(16);
  if (hex.length % 2) hex = `0${hex}`;
  return new Uint8Array(Buffer.from(hex, "hex"));
}

export function bytesToBigint(b: Uint8Array): bigint {
  if (b.length === 0) return 0n;
  if (b.length <= 6) {
    // Fits a double exactly: skip the hex string (most nonces, gas figures and fees).
    let n = 0;
    for (let i = 0; i < b.length; i++) n = n * 256 + b[i]!;
    return BigInt(n);
  }
  return BigInt(`0x${Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString("hex")}`);
}

export function u32be(n: number): Uint8Array {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, n);
  return out;
}

export function u64be(n: bigint): Uint8Array {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, n);
  return out;
}

/** Plain Uint8Array view (drops the Buffer subclass so values compare and encode uniformly). */
export function plain(b: Uint8Array): Uint8Array {
  return b.constructor === Uint8Array ? b : new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

/** Lexicographic byte order (shorter first on a common prefix). */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}
