/**
 * One transformer layer of the race model as an ONNX graph (spec/race.md §Model). Every GEMM is a
 * QLinearMatMul (uint8 × int8 with int32 accumulation and the requantisation fused into its
 * epilogue: saturate(RNE(fp32(acc) · 2^−s) + zp), scales 1, 1, 2^s); the FFN's ReLU is its
 * saturation at zero point 0, so the 33,792-wide hidden layer needs no elementwise pass at all.
 * The small d-wide glue: floor shifts as (x + 2^30) >>> s − 2^(30−s) on uint32 (ONNX BitShift is
 * unsigned only), floor division as (a − a mod b) / b (ONNX Mod, fmod = 0: sign of the divisor),
 * and rmsnorm in float64, which is exact for these ranges (rmsNormU8).
 * Input `h` int32 [N, d] (N = batch·T, positions of a sequence contiguous); output `h_out`.
 */
import {
  ACT_MAX,
  ACT_MIN,
  EXP_TABLE,
  HIDDEN_ZERO_POINT,
  type LayerWeights,
  NORM_SCALE,
  type RaceConfig,
  RES_MAX,
  shiftsFor,
} from "../../race/index.ts";
import { DType, type DTypeCode, modelProto, type Node, type TensorInit } from "./proto.ts";

class GraphBuilder {
  readonly nodes: Node[] = [];
  readonly inits: TensorInit[] = [];
  private n = 0;
  private consts = new Map<string, string>();

  name(hint: string): string {
    return `${hint}_${this.n++}`;
  }

  init(hint: string, type: DTypeCode, dims: number[], raw: Uint8Array): string {
    const name = this.name(hint);
    this.inits.push({ name, type, dims, raw });
    return name;
  }

  scalar(type: DTypeCode, v: number, dims: number[] = []): string {
    const key = `${type}:${v}:${dims.join(",")}`;
    const hit = this.consts.get(key);
    if (hit) return hit;
    const count = dims.reduce((a, b) => a * b, 1);
    let raw: Uint8Array;
    if (type === DType.INT64) {
      const a = new BigInt64Array(count).fill(BigInt(v));
      raw = new Uint8Array(a.buffer);
    } else if (type === DType.INT32) raw = new Uint8Array(new Int32Array(count).fill(v).buffer);
    else if (type === DType.UINT32) raw = new Uint8Array(new Uint32Array(count).fill(v).buffer);
    else if (type === DType.UINT8) raw = new Uint8Array(count).fill(v);
    else if (type === DType.INT8) raw = new Uint8Array(new Int8Array(count).fill(v).buffer);
    else if (type === DType.FLOAT) raw = new Uint8Array(new Float32Array(count).fill(v).buffer);
    else if (type === DType.DOUBLE) raw = new Uint8Array(new Float64Array(count).fill(v).buffer);
    else throw new Error("unsupported constant type");
    const name = this.init("c", type, dims, raw);
    this.consts.set(key, name);
    return name;
  }

  op(op: string, inputs: string[], attrs?: Node["attrs"]): string {
    const out = this.name(op.toLowerCase());
    this.nodes.push({ op, inputs, outputs: [out], ...(attrs ? { attrs } : {}) });
    return out;
  }

  /** ⌊x / 2^s⌋ for int32 x with |x| < 2^30. */
  floorShift(x: string, s: number): string {
    if (s === 0) return x;
    const biased = this.op(
      "Cast",
      [this.op("Add", [x, this.scalar(DType.INT32, 1 << 30)])],
      [{ name: "to", i: DType.UINT32 }],
    );
    const shifted = this.op(
      "BitShift",
      [biased, this.scalar(DType.UINT32, s)],
      [{ name: "direction", s: "RIGHT" }],
    );
    return this.op("Sub", [
      this.op("Cast", [shifted], [{ name: "to", i: DType.INT32 }]),
      this.scalar(DType.INT32, 1 << (30 - s)),
    ]);
  }

  clip(x: string, lo: number, hi: number, type: DTypeCode = DType.INT32): string {
    return this.op("Clip", [x, this.scalar(type, lo), this.scalar(type, hi)]);
  }

  /** int32 values in [−128, 127] → uint8 with zero point 128. */
  toU8(x: string): string {
    return this.op(
      "Cast",
      [this.op("Add", [x, this.scalar(DType.INT32, 128)])],
      [{ name: "to", i: DType.UINT8 }],
    );
  }

  /** uint8 with zero point 128 → int32 in [−128, 127]. */
  fromU8(y: string): string {
    return this.op("Sub", [
      this.op("Cast", [y], [{ name: "to", i: DType.INT32 }]),
      this.scalar(DType.INT32, 128),
    ]);
  }

  /** uint8 activations [N, K] (zero point aZp) × int8 weights [K, M] → requantised uint8 [N, M]. */
  qgemm(a: string, aZp: number, w: Int8Array, k: number, m: number, shift: number, yZp: 0 | 128): string {
    const b = this.init("w", DType.INT8, [k, m], new Uint8Array(w.buffer, w.byteOffset, w.byteLength));
    const one = this.scalar(DType.FLOAT, 1);
    return this.op("QLinearMatMul", [
      a,
      one,
      this.scalar(DType.UINT8, aZp),
      b,
      one,
      this.scalar(DType.INT8, 0),
      this.scalar(DType.FLOAT, 2 ** shift),
      this.scalar(DType.UINT8, yZp),
    ]);
  }

  /** ⌊a / b⌋ for b > 0 (any sign of a). */
  floorDiv(a: string, b: string): string {
    return this.op("Div", [this.op("Sub", [a, this.op("Mod", [a, b], [{ name: "fmod", i: 0 }])]), b]);
  }

  /**
   * rmsnorm straight to the uint8 GEMM input, in float64. Exact (spec/race.md §Model): Σx² < 2^53;
   * ⌊Σx²/d⌋ and ⌊32x/r⌋ are floors of correctly rounded quotients of integers whose distance to the
   * next integer (≥ 1/d, ≥ 1/r) dwarfs the rounding error; ⌊√ms⌋ is exact for ms ≤ 32,767² < 2^30.
   */
  rmsNormU8(x: string, d: number): string {
    const D = DType.DOUBLE;
    const xd = this.op("Cast", [x], [{ name: "to", i: D }]);
    const ss = this.op(
      "ReduceSum",
      [this.op("Mul", [xd, xd]), this.scalar(DType.INT64, -1, [1])],
      [{ name: "keepdims", i: 1 }],
    );
    const ms = this.op("Floor", [this.op("Div", [ss, this.scalar(D, d)])]);
    const r = this.op("Max", [this.op("Floor", [this.op("Sqrt", [ms])]), this.scalar(D, 1)]);
    const y = this.op("Floor", [this.op("Div", [this.op("Mul", [xd, this.scalar(D, NORM_SCALE)]), r])]);
    const shifted = this.op("Add", [this.clip(y, ACT_MIN, ACT_MAX, D), this.scalar(D, 128)]);
    return this.op("Cast", [shifted], [{ name: "to", i: DType.UINT8 }]);
  }
}

/** Append one layer to the graph: h int32 [N, d] → h_out. */
function addLayer(g: GraphBuilder, c: RaceConfig, w: LayerWeights, h: string): string {
  const d = c.dModel;
  const T = c.seqLen;
  const H = c.heads;
  const dh = d / H;
  const s = shiftsFor(c);

  // Attention block.
  const n = g.rmsNormU8(h, d);
  const q = g.fromU8(g.qgemm(n, 128, w.wq, d, d, s.qkv, 128));
  const k = g.fromU8(g.qgemm(n, 128, w.wk, d, d, s.qkv, 128));
  const v = g.fromU8(g.qgemm(n, 128, w.wv, d, d, s.qkv, 128));
  const heads = (x: string) =>
    g.op(
      "Transpose",
      [
        g.op("Reshape", [
          x,
          g.init(
            "shape",
            DType.INT64,
            [4],
            new Uint8Array(new BigInt64Array([-1n, BigInt(T), BigInt(H), BigInt(dh)]).buffer),
          ),
        ]),
      ],
      [{ name: "perm", ints: [0, 2, 1, 3] }],
    );
  const qh = heads(q);
  const kt = g.op("Transpose", [heads(k)], [{ name: "perm", ints: [0, 1, 3, 2] }]);
  const vh = heads(v);
  const rawScores = g.op("MatMul", [qh, kt]); // [B, H, T, T] int32
  const scores = g.floorShift(rawScores, s.score);
  // Causal mask: −2^20 above the diagonal so the row max comes from allowed positions.
  const maskAdd = new Int32Array(T * T);
  const maskMul = new Int32Array(T * T);
  for (let i = 0; i < T; i++)
    for (let j = 0; j < T; j++) {
      maskAdd[i * T + j] = j <= i ? 0 : -(1 << 20);
      maskMul[i * T + j] = j <= i ? 1 : 0;
    }
  const masked = g.op("Add", [
    scores,
    g.init("mask_add", DType.INT32, [T, T], new Uint8Array(maskAdd.buffer)),
  ]);
  const rowMax = g.op(
    "ReduceMax",
    [masked],
    [
      { name: "axes", ints: [-1] },
      { name: "keepdims", i: 1 },
    ],
  );
  const steps = g.op("Min", [g.op("Sub", [rowMax, masked]), g.scalar(DType.INT32, 63)]);
  const table = g.init("exp_table", DType.INT32, [64], new Uint8Array(EXP_TABLE.slice().buffer));
  const e = g.op("Mul", [
    g.op("Gather", [table, g.op("Cast", [steps], [{ name: "to", i: DType.INT64 }])]),
    g.init("mask_mul", DType.INT32, [T, T], new Uint8Array(maskMul.buffer)),
  ]);
  const wsum = g.op("ReduceSum", [e, g.scalar(DType.INT64, -1, [1])], [{ name: "keepdims", i: 1 }]);
  const num = g.op("MatMul", [e, vh]); // [B, H, T, dh]
  const att = g.floorDiv(num, wsum);
  const merged = g.op("Reshape", [
    g.op("Transpose", [att], [{ name: "perm", ints: [0, 2, 1, 3] }]),
    g.init("shape", DType.INT64, [2], new Uint8Array(new BigInt64Array([-1n, BigInt(d)]).buffer)),
  ]);
  const o = g.fromU8(g.qgemm(g.toU8(merged), 128, w.wo, d, d, s.attnOut, 128));
  const h1 = g.clip(g.op("Add", [h, o]), -RES_MAX, RES_MAX);
  // Feed-forward block: ReLU = saturation at zero point 0 of the first GEMM's requantisation.
  const n2 = g.rmsNormU8(h1, d);
  const hidden = g.qgemm(n2, 128, w.w1, d, c.ffn, s.ffnIn, 0);
  const f = g.fromU8(g.qgemm(hidden, HIDDEN_ZERO_POINT, w.w2, c.ffn, d, s.ffnOut, 128));
  const out = g.clip(g.op("Add", [h1, f]), -RES_MAX, RES_MAX);
  return out;
}

/**
 * ONNX model bytes for consecutive layers of a race (h int32 [N, d] → h_out), written into `into`
 * when given so one buffer serves every group.
 */
export function layersModel(c: RaceConfig, layers: LayerWeights[], into?: Uint8Array): Uint8Array {
  const g = new GraphBuilder();
  let h = "h";
  for (const w of layers) h = addLayer(g, c, w, h);
  g.nodes.push({ op: "Identity", inputs: [h], outputs: ["h_out"] });
  return modelProto(
    {
      nodes: g.nodes,
      inits: g.inits,
      inputs: [{ name: "h", type: DType.INT32, dims: ["N", c.dModel] }],
      outputs: [{ name: "h_out", type: DType.INT32, dims: ["N", c.dModel] }],
    },
    17,
    into,
  );
}

/**
 * One requantising GEMM exactly as the layers build it (a uint8 [N, k] with zero point aZp ×
 * int8 w [k, m] → uint8 [N, m]): the arithmetic conformance vectors replay onnxruntime's
 * epilogue with it, e.g. the float32 rounding of accumulators above 2^24.
 */
export function gemmModel(
  aZp: number,
  w: Int8Array,
  k: number,
  m: number,
  shift: number,
  yZp: 0 | 128,
): Uint8Array {
  const g = new GraphBuilder();
  const y = g.qgemm("a", aZp, w, k, m, shift, yZp);
  g.nodes.push({ op: "Identity", inputs: [y], outputs: ["y"] });
  return modelProto({
    nodes: g.nodes,
    inits: g.inits,
    inputs: [{ name: "a", type: DType.UINT8, dims: ["N", k] }],
    outputs: [{ name: "y", type: DType.UINT8, dims: ["N", m] }],
  });
}
