// The built-in tolerance-class model, racecoin-float-tiny (spec/inference.md §Float model): a
// GPT-2-shaped float32 decoder written as the files a Hugging Face ONNX export has —
// config.json, tokenizer.json (byte-level BPE, merges learned here from a fixed text) and
// model.onnx taking input_ids, attention_mask, position_ids and past_key_values.{i}.key/value and
// giving logits and present.{i}.key/value — so the loader that serves it serves real exports.
// Weights are random from a fixed seed: it proves the path, not prose.
import { createHash } from "node:crypto";
import { BYTE_LEVEL_SPLIT, byteLevelChars } from "../src/inference/tokenizer.ts";
import { DType, modelProto, type Node, type TensorInit, type ValueInfo } from "../src/miner/onnx/proto.ts";

export interface FloatModelShape {
  layers: number;
  heads: number;
  dModel: number;
  ffn: number;
  context: number;
  merges: number;
}

export const FLOAT_TINY: FloatModelShape = {
  layers: 2,
  heads: 4,
  dModel: 64,
  ffn: 256,
  context: 256,
  merges: 200,
};

/** The text the tokenizer's merges are learned from (fixed: the files must not change). */
const CORPUS = `Racecoin is a proof of work chain where the work is a race of transformer forward passes.
Every cycle the beacon seeds a new model, and miners search for nonces whose output lands close to a
target. The count of valid proofs is the voting weight of the next cycle: one unit of compute, one
vote. Between races the same hardware serves inference to developers, who pay for tokens from an
escrow with an API key. The node a developer calls does not run the task; it draws the executor by
race weight, forwards the request, and relays the answer. A random subset of the answers is checked
again by other miners, and a wrong answer costs the executor the rewards of the whole cycle.
The quick brown fox jumps over the lazy dog. What is the capital of France? The capital of France
is Paris. Tell me a story about a robot that learns to paint. Once upon a time there was a small
robot in a big city, and it wanted to see the colours of the sea. Write a poem about the moon.
`;

/** Byte-level BPE merges learned greedily from CORPUS (ties broken by the pair's text). */
export function learnMerges(count: number): [string, string][] {
  const words = new Map<string, number>();
  for (const m of CORPUS.matchAll(BYTE_LEVEL_SPLIT)) {
    const w = byteLevelChars(new TextEncoder().encode(m[0]));
    words.set(w, (words.get(w) ?? 0) + 1);
  }
  let split = [...words].map(([w, n]) => ({ parts: Array.from(w), n }));
  const merges: [string, string][] = [];
  while (merges.length < count) {
    const pairs = new Map<string, number>();
    for (const { parts, n } of split)
      for (let i = 0; i + 1 < parts.length; i++) {
        const k = `${parts[i]} ${parts[i + 1]}`;
        pairs.set(k, (pairs.get(k) ?? 0) + n);
      }
    let best = "";
    let bestN = 0;
    for (const [k, n] of pairs) if (n > bestN || (n === bestN && k < best)) [best, bestN] = [k, n];
    if (bestN < 2) break;
    const [a, b] = best.split(" ") as [string, string];
    merges.push([a, b]);
    split = split.map(({ parts, n }) => {
      const out: string[] = [];
      for (let i = 0; i < parts.length; i++)
        if (i + 1 < parts.length && parts[i] === a && parts[i + 1] === b) {
          out.push(a + b);
          i++;
        } else out.push(parts[i]!);
      return { parts: out, n };
    });
  }
  return merges;
}

export function tokenizerJson(shape: FloatModelShape) {
  const vocab: Record<string, number> = {};
  for (let b = 0; b < 256; b++) vocab[byteLevelChars(Uint8Array.of(b))] = b;
  const merges = learnMerges(shape.merges);
  for (const [a, b] of merges) vocab[a + b] ??= Object.keys(vocab).length;
  const eos = Object.keys(vocab).length;
  return {
    version: "1.0",
    truncation: null,
    padding: null,
    added_tokens: [
      {
        id: eos,
        content: "<|endoftext|>",
        single_word: false,
        lstrip: false,
        rstrip: false,
        normalized: false,
        special: true,
      },
    ],
    normalizer: null,
    pre_tokenizer: { type: "ByteLevel", add_prefix_space: false, trim_offsets: true, use_regex: true },
    post_processor: null,
    decoder: { type: "ByteLevel", add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: {
      type: "BPE",
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: "",
      end_of_word_suffix: "",
      fuse_unk: false,
      byte_fallback: false,
      vocab,
      merges: merges.map(([a, b]) => `${a} ${b}`),
    },
  };
}

export function configJson(shape: FloatModelShape, vocabSize: number) {
  return {
    architectures: ["GPT2LMHeadModel"],
    model_type: "gpt2",
    vocab_size: vocabSize,
    n_positions: shape.context,
    n_embd: shape.dModel,
    n_layer: shape.layers,
    n_head: shape.heads,
    n_inner: shape.ffn,
    activation_function: "quick_gelu",
    layer_norm_epsilon: 1e-5,
    bos_token_id: vocabSize - 1,
    eos_token_id: vocabSize - 1,
    tie_word_embeddings: true,
    use_cache: true,
  };
}

/** Uniform floats in [−scale, scale) from SHA-256(seed ‖ name ‖ u32be(block)). */
function tensor(seed: string, name: string, count: number, scale: number, offset = 0): Float32Array {
  const out = new Float32Array(count);
  for (let i = 0, block = 0; i < count; block++) {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(block);
    const h = createHash("sha256").update(seed).update(name).update(b).digest();
    for (let j = 0; j + 4 <= 32 && i < count; j += 4, i++)
      out[i] = offset + ((h.readUInt32BE(j) / 2 ** 32) * 2 - 1) * scale;
  }
  return out;
}

/** The ONNX graph (opset 17): a pre-norm decoder with a key/value cache. */
export function modelOnnx(shape: FloatModelShape, vocab: number, seed: string): Uint8Array {
  const { layers, heads, dModel: d, ffn } = shape;
  const dh = d / heads;
  const nodes: Node[] = [];
  const inits: TensorInit[] = [];
  let n = 0;
  const F = DType.FLOAT;
  const I64 = DType.INT64;
  const op = (type: string, inputs: string[], attrs?: Node["attrs"], out?: string) => {
    const o = out ?? `${type.toLowerCase()}_${n++}`;
    nodes.push({ op: type, inputs, outputs: [o], ...(attrs ? { attrs } : {}) });
    return o;
  };
  const init = (name: string, dims: number[], data: Float32Array | BigInt64Array) => {
    inits.push({
      name,
      type: data instanceof Float32Array ? F : I64,
      dims,
      raw: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
    });
    return name;
  };
  const ints = (name: string, v: number[]) => init(name, [v.length], BigInt64Array.from(v, BigInt));
  const scalarI = (name: string, v: number) => init(name, [], BigInt64Array.of(BigInt(v)));
  const scalarF = (name: string, v: number) => init(name, [], Float32Array.of(v));
  const w = (name: string, dims: number[], scale: number, offset = 0) =>
    init(
      name,
      dims,
      tensor(
        seed,
        name,
        dims.reduce((a, b) => a * b, 1),
        scale,
        offset,
      ),
    );

  const wte = tensor(seed, "wte", vocab * d, 0.5);
  init("transformer.wte.weight", [vocab, d], wte);
  const wteT = new Float32Array(d * vocab);
  for (let v = 0; v < vocab; v++) for (let i = 0; i < d; i++) wteT[i * vocab + v] = wte[v * d + i]!;
  init("lm_head.weight", [d, vocab], wteT);
  w("transformer.wpe.weight", [shape.context, d], 0.1);
  const zero = scalarI("zero", 0);
  const one = scalarI("one", 1);
  const headShape = ints("head_shape", [0, 0, heads, dh]);
  const flatShape = ints("flat_shape", [0, 0, d]);
  const ln = (x: string, prefix: string) =>
    op(
      "LayerNormalization",
      [x, w(`${prefix}.weight`, [d], 0.1, 1), w(`${prefix}.bias`, [d], 0.05)],
      // epsilon: the default, 1e-5.
      [{ name: "axis", i: -1 }],
    );
  const linear = (x: string, prefix: string, k: number, m: number) =>
    op("Add", [
      op("MatMul", [x, w(`${prefix}.weight`, [k, m], Math.sqrt(3 / k))]),
      w(`${prefix}.bias`, [m], 0.02),
    ]);

  let x = op("Add", [
    op("Gather", ["transformer.wte.weight", "input_ids"]),
    op("Gather", ["transformer.wpe.weight", "position_ids"]),
  ]);
  // Which keys each query may see: causal over absolute positions, and the attention mask.
  const total = op("Gather", [op("Shape", ["attention_mask"]), one]);
  const seq = op("Gather", [op("Shape", ["input_ids"]), one]);
  const keyPos = op("Range", [zero, total, one]);
  const queryPos = op("Unsqueeze", [op("Range", [op("Sub", [total, seq]), total, one]), ints("axis1", [1])]);
  const causal = op("LessOrEqual", [keyPos, queryPos]);
  const keep = op(
    "Cast",
    [op("Unsqueeze", ["attention_mask", ints("axes12", [1, 2])])],
    [{ name: "to", i: DType.BOOL }],
  );
  const allowed = op("And", [causal, keep]);
  const masked = scalarF("masked", -1e9);
  const scale = scalarF("scale", 1 / Math.sqrt(dh));
  for (let l = 0; l < layers; l++) {
    const p = `transformer.h.${l}`;
    const h = ln(x, `${p}.ln_1`);
    const split = (name: string) =>
      op(
        "Transpose",
        [op("Reshape", [linear(h, `${p}.attn.${name}`, d, d), headShape])],
        [{ name: "perm", ints: [0, 2, 1, 3] }],
      );
    const q = split("q_proj");
    const k = op(
      "Concat",
      [`past_key_values.${l}.key`, split("k_proj")],
      [{ name: "axis", i: 2 }],
      `present.${l}.key`,
    );
    const v = op(
      "Concat",
      [`past_key_values.${l}.value`, split("v_proj")],
      [{ name: "axis", i: 2 }],
      `present.${l}.value`,
    );
    const scores = op("Mul", [
      op("MatMul", [q, op("Transpose", [k], [{ name: "perm", ints: [0, 1, 3, 2] }])]),
      scale,
    ]);
    const probs = op("Softmax", [op("Where", [allowed, scores, masked])], [{ name: "axis", i: -1 }]);
    const ctx = op("Reshape", [
      op("Transpose", [op("MatMul", [probs, v])], [{ name: "perm", ints: [0, 2, 1, 3] }]),
      flatShape,
    ]);
    x = op("Add", [x, linear(ctx, `${p}.attn.c_proj`, d, d)]);
    const f = linear(ln(x, `${p}.ln_2`), `${p}.mlp.c_fc`, d, ffn);
    const act = op("Mul", [f, op("Sigmoid", [op("Mul", [f, scalarF(`gelu_${l}`, 1.702)])])]);
    x = op("Add", [x, linear(act, `${p}.mlp.c_proj`, ffn, d)]);
  }
  op("MatMul", [ln(x, "transformer.ln_f"), "lm_head.weight"], undefined, "logits");

  const inputs: ValueInfo[] = [
    { name: "input_ids", type: I64, dims: ["batch_size", "sequence_length"] },
    { name: "attention_mask", type: I64, dims: ["batch_size", "total_sequence_length"] },
    { name: "position_ids", type: I64, dims: ["batch_size", "sequence_length"] },
  ];
  const outputs: ValueInfo[] = [{ name: "logits", type: F, dims: ["batch_size", "sequence_length", vocab] }];
  for (let l = 0; l < layers; l++)
    for (const kv of ["key", "value"]) {
      inputs.push({
        name: `past_key_values.${l}.${kv}`,
        type: F,
        dims: ["batch_size", heads, "past_sequence_length", dh],
      });
      outputs.push({
        name: `present.${l}.${kv}`,
        type: F,
        dims: ["batch_size", heads, "total_sequence_length", dh],
      });
    }
  return modelProto({ nodes, inits, inputs, outputs }, 17);
}

/** The three files, byte for byte (file name → contents). */
export function floatModelFiles(id: string, shape: FloatModelShape = FLOAT_TINY): Map<string, Uint8Array> {
  const tok = tokenizerJson(shape);
  const vocab = Object.keys(tok.model.vocab).length + tok.added_tokens.length;
  const enc = (o: unknown) => new TextEncoder().encode(`${JSON.stringify(o, null, 2)}\n`);
  return new Map([
    ["config.json", enc(configJson(shape, vocab))],
    ["tokenizer.json", enc(tok)],
    ["model.onnx", modelOnnx(shape, vocab, `racecoin/model/${id}/v1`)],
  ]);
}
