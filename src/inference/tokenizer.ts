/**
 * Hugging Face `tokenizer.json`, byte-level BPE (GPT-2, SmolLM, Qwen and Llama 3 use this family):
 * the ByteLevel pre-tokenizer (GPT-2's split regex, each byte mapped to a printable character),
 * BPE merges by rank, the ByteLevel decoder, and special tokens from `added_tokens`. Other
 * tokenizer models are refused with the reason. Pure: the caller reads the file.
 */

import { createHash } from "node:crypto";

/** A file of a registered model. */
export interface ModelFile {
  name: string;
  /** 0x-prefixed SHA-256 of the file's bytes. */
  sha256: string;
}

export function sha256Hex(b: Uint8Array): string {
  return `0x${createHash("sha256").update(b).digest("hex")}`;
}

/** The model's hash in the registry: SHA-256 over "name sha256\n" lines of its files, sorted by name. */
export function filesHash(files: readonly ModelFile[]): string {
  const lines = [...files]
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .map((f) => `${f.name} ${f.sha256.toLowerCase()}\n`)
    .join("");
  return sha256Hex(new TextEncoder().encode(lines));
}

/** GPT-2's byte ↔ printable character table (bytes_to_unicode). */
function byteTable(): { toChar: string[]; toByte: Map<string, number> } {
  const printable = (b: number) => (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174 && b <= 255);
  const toChar: string[] = [];
  let n = 0;
  for (let b = 0; b < 256; b++) toChar[b] = String.fromCodePoint(printable(b) ? b : 256 + n++);
  return { toChar, toByte: new Map(toChar.map((c, b) => [c, b])) };
}
const BYTES = byteTable();

/** GPT-2's pre-tokenizer split. */
export const BYTE_LEVEL_SPLIT =
  /'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+/gu;

export function byteLevelChars(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += BYTES.toChar[b];
  return s;
}

export class Tokenizer {
  readonly vocabSize: number;
  private readonly ids: Map<string, number>;
  private readonly pieces: string[] = [];
  private readonly ranks: Map<string, number>;
  private readonly special = new Map<number, string>();
  private readonly cache = new Map<string, number[]>();

  /** From a parsed tokenizer.json; throws with the reason for a format it does not handle. */
  constructor(json: unknown) {
    const o = json as {
      model?: { type?: string; vocab?: Record<string, number>; merges?: (string | [string, string])[] };
      pre_tokenizer?: { type?: string } | null;
      added_tokens?: { id: number; content: string }[];
    };
    if (o?.model?.type !== "BPE")
      throw new Error(`tokenizer model ${String(o?.model?.type)} is not supported (BPE only)`);
    if (o.pre_tokenizer?.type !== "ByteLevel")
      throw new Error(`pre-tokenizer ${String(o.pre_tokenizer?.type)} is not supported (ByteLevel only)`);
    const vocab = o.model.vocab;
    if (!vocab || typeof vocab !== "object") throw new Error("tokenizer.json has no model.vocab");
    this.ids = new Map(Object.entries(vocab));
    for (const [p, id] of this.ids) {
      if (!Number.isInteger(id) || id < 0)
        throw new Error(`vocab id of ${JSON.stringify(p)} is not an index`);
      this.pieces[id] = p;
    }
    for (const t of o.added_tokens ?? []) {
      this.pieces[t.id] = t.content;
      this.special.set(t.id, t.content);
    }
    for (let b = 0; b < 256; b++)
      if (!this.ids.has(BYTES.toChar[b]!)) throw new Error(`the vocab lacks byte ${b}: not byte-level`);
    this.ranks = new Map(
      (o.model.merges ?? []).map((m, i) => [typeof m === "string" ? m : `${m[0]} ${m[1]}`, i]),
    );
    this.vocabSize = this.pieces.length;
  }

  /** The id of a special token (e.g. "<|endoftext|>"). */
  specialId(content: string): number | undefined {
    for (const [id, c] of this.special) if (c === content) return id;
    return undefined;
  }

  encode(text: string): number[] {
    const out: number[] = [];
    const bytes = new TextEncoder();
    for (const m of text.matchAll(BYTE_LEVEL_SPLIT)) {
      const word = byteLevelChars(bytes.encode(m[0]));
      let ids = this.cache.get(word);
      if (!ids) {
        ids = this.bpe(word).map((p) => this.ids.get(p)!);
        if (this.cache.size < 10_000) this.cache.set(word, ids);
      }
      out.push(...ids);
    }
    return out;
  }

  /** The bytes of one token (special tokens decode to nothing). */
  bytesOf(id: number): Uint8Array {
    if (this.special.has(id)) return new Uint8Array(0);
    const piece = this.pieces[id];
    if (piece === undefined) throw new Error(`token ${id} is not in the vocab`);
    return Uint8Array.from(Array.from(piece, (c) => BYTES.toByte.get(c) ?? 0x3f));
  }

  decode(ids: number[]): string {
    const parts = ids.map((id) => this.bytesOf(id));
    const all = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let off = 0;
    for (const p of parts) {
      all.set(p, off);
      off += p.length;
    }
    return new TextDecoder().decode(all);
  }

  /** Merge the lowest-ranked adjacent pair until none is in the merges. */
  private bpe(word: string): string[] {
    let parts = Array.from(word);
    for (;;) {
      let best = -1;
      let bestRank = Number.POSITIVE_INFINITY;
      for (let i = 0; i + 1 < parts.length; i++) {
        const r = this.ranks.get(`${parts[i]} ${parts[i + 1]}`);
        if (r !== undefined && r < bestRank) {
          bestRank = r;
          best = i;
        }
      }
      if (best < 0) return parts;
      const a = parts[best]!;
      const b = parts[best + 1]!;
      const merged: string[] = [];
      for (let i = 0; i < parts.length; i++) {
        if (i + 1 < parts.length && parts[i] === a && parts[i + 1] === b) {
          merged.push(a + b);
          i++;
        } else merged.push(parts[i]!);
      }
      parts = merged;
    }
  }
}
