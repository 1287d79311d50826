/**
 * Just enough protobuf to write an ONNX ModelProto (onnx/onnx.proto field numbers), so the race
 * graph is built in TypeScript from the seed with no model files or Python tooling.
 */
const enc = new TextEncoder();

class Writer {
  private readonly parts: Uint8Array[] = [];
  private len = 0;
  private push(b: Uint8Array) {
    this.parts.push(b);
    this.len += b.length;
  }
  varint(v: number | bigint): this {
    let n = BigInt.asUintN(64, BigInt(v));
    const out: number[] = [];
    do {
      let byte = Number(n & 0x7fn);
      n >>= 7n;
      if (n > 0n) byte |= 0x80;
      out.push(byte);
    } while (n > 0n);
    this.push(new Uint8Array(out));
    return this;
  }
  key(field: number, wire: number): this {
    return this.varint((field << 3) | wire);
  }
  int(field: number, v: number | bigint): this {
    return this.key(field, 0).varint(v);
  }
  bytes(field: number, b: Uint8Array): this {
    this.key(field, 2).varint(b.length);
    this.push(b);
    return this;
  }
  str(field: number, s: string): this {
    return this.bytes(field, enc.encode(s));
  }
  msg(field: number, w: Writer): this {
    return this.bytes(field, w.finish());
  }
  /** The message bytes; written into `into` (which must be large enough) when given. */
  finish(into?: Uint8Array): Uint8Array {
    const out = into ? into.subarray(0, this.len) : new Uint8Array(this.len);
    if (into && into.length < this.len) throw new Error("model buffer too small");
    let off = 0;
    for (const p of this.parts) {
      out.set(p, off);
      off += p.length;
    }
    return out;
  }
}

export const DType = {
  FLOAT: 1,
  UINT8: 2,
  INT8: 3,
  INT32: 6,
  INT64: 7,
  BOOL: 9,
  DOUBLE: 11,
  UINT32: 12,
} as const;
export type DTypeCode = (typeof DType)[keyof typeof DType];

export interface TensorInit {
  name: string;
  type: DTypeCode;
  dims: number[];
  /** Little-endian raw bytes. */
  raw: Uint8Array;
}

export type Attr = { name: string } & (
  | { i: number }
  | { ints: number[] }
  | { t: TensorInit }
  | { s: string }
);

export interface Node {
  op: string;
  inputs: string[];
  outputs: string[];
  attrs?: Attr[];
}

export interface ValueInfo {
  name: string;
  type: DTypeCode;
  /** number = fixed size, string = symbolic (batch). */
  dims: (number | string)[];
}

function tensorProto(t: TensorInit): Writer {
  const w = new Writer();
  for (const d of t.dims) w.int(1, d);
  w.int(2, t.type).str(8, t.name).bytes(9, t.raw);
  return w;
}

function valueInfo(v: ValueInfo): Writer {
  const shape = new Writer();
  for (const d of v.dims)
    shape.msg(1, typeof d === "number" ? new Writer().int(1, d) : new Writer().str(2, d));
  const tensorType = new Writer().int(1, v.type).msg(2, shape);
  return new Writer().str(1, v.name).msg(2, new Writer().msg(1, tensorType));
}

function nodeProto(n: Node, index: number): Writer {
  const w = new Writer();
  for (const i of n.inputs) w.str(1, i);
  for (const o of n.outputs) w.str(2, o);
  w.str(3, `${n.op}_${index}`).str(4, n.op);
  for (const a of n.attrs ?? []) {
    const aw = new Writer().str(1, a.name);
    if ("i" in a) aw.int(3, a.i).int(20, 2);
    else if ("s" in a) aw.str(4, a.s).int(20, 3);
    else if ("ints" in a) {
      for (const v of a.ints) aw.int(8, v);
      aw.int(20, 7);
    } else aw.msg(5, tensorProto(a.t)).int(20, 4);
    w.msg(5, aw);
  }
  return w;
}

export function modelProto(
  g: { nodes: Node[]; inits: TensorInit[]; inputs: ValueInfo[]; outputs: ValueInfo[] },
  opset = 17,
  into?: Uint8Array,
): Uint8Array {
  const graph = new Writer();
  g.nodes.forEach((n, i) => {
    graph.msg(1, nodeProto(n, i));
  });
  graph.str(2, "race");
  for (const t of g.inits) graph.msg(5, tensorProto(t));
  for (const v of g.inputs) graph.msg(11, valueInfo(v));
  for (const v of g.outputs) graph.msg(12, valueInfo(v));
  return new Writer()
    .int(1, 8)
    .str(2, "racecoin")
    .msg(7, graph)
    .msg(8, new Writer().str(1, "").int(2, opset))
    .finish(into);
}
