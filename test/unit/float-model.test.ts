// The tolerance-class model (spec/inference.md §Float model, §Tolerance): the committed files are
// what the generator writes and what the registry lists; the loader refuses files whose hashes
// differ; the byte-level BPE tokenizer round-trips; generation with a key/value cache agrees
// with a verifier's teacher-forced pass at another thread count within tolerance on every task
// (the calibration the spec quotes), while a smaller model and wrong tokens are judged fraud.
import assert from "node:assert/strict";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { FLOAT_MODEL } from "../../contracts/index.ts";
import { FLOAT_TINY, floatModelFiles } from "../../scripts/floatModel.ts";
import {
  binomialTail,
  filesHash,
  judgeTolerance,
  type Position,
  type Sampling,
  sha256Hex,
  type TaskPayload,
  TOLERANCE,
  Tokenizer,
} from "../../src/inference/index.ts";
import {
  DEFAULT_MODELS_DIR,
  floatSteps,
  HfModel,
  loadRegisteredModels,
  toleranceVerdict,
} from "../../src/models/index.ts";
import { decodeFrame, encodeFrame } from "../../src/services/tasks/protocol.ts";
import { toHex } from "../../src/types/index.ts";

const ID = FLOAT_MODEL.id;
const DIR = join(DEFAULT_MODELS_DIR, ID);
const FILES = FLOAT_MODEL.files.map((f) => ({ name: f.name, sha256: toHex(f.sha256) }));

async function answer(model: HfModel, prompt: string, maxTokens: number, s: Sampling): Promise<TaskPayload> {
  const ids = model.tokenizer.encode(prompt);
  const positions: Position[] = [];
  const it = floatSteps(model, ids, maxTokens, s);
  for (;;) {
    const step = await it.next();
    if (step.done)
      return {
        prompt: new TextEncoder().encode(prompt),
        maxTokens,
        temperatureMilli: s.temperatureMilli,
        topPMilli: s.topPMilli,
        seed: BigInt.asUintN(64, s.seed),
        tokens: new Uint8Array(0),
        finish: step.value,
        positions,
      };
    positions.push(step.value.position);
  }
}

const PROMPTS = [
  "user: Tell me a story about a robot.\nassistant: ",
  "user: What is the capital of France?\nassistant: ",
  "The quick brown fox",
  "user: Écris un poème sur la lune 🌙\nassistant: ",
  "Racecoin miners race transformer forward passes",
];
const SAMPLINGS = [
  { temperatureMilli: 0, topPMilli: 1000 },
  { temperatureMilli: 700, topPMilli: 900 },
  { temperatureMilli: 1000, topPMilli: 1000 },
  { temperatureMilli: 1300, topPMilli: 950 },
];

describe("float model (tolerance class)", () => {
  let executor: HfModel;
  let verifier: HfModel;
  let small: HfModel;
  let tmp: string;

  before(async () => {
    tmp = mkdtempSync(join(tmpdir(), "rc-float-"));
    executor = await HfModel.load(DIR, ID, FILES, { threads: 1 });
    verifier = await HfModel.load(DIR, ID, FILES, { threads: 2 });
    // The cheat: one layer instead of two (same embeddings, same first layer).
    const smallDir = join(tmp, "small");
    mkdirSync(smallDir);
    for (const [name, bytes] of floatModelFiles(ID, { ...FLOAT_TINY, layers: 1 }))
      writeFileSync(join(smallDir, name), bytes);
    small = await HfModel.load(smallDir, ID, FILES, { unchecked: true });
  });
  after(() => rmSync(tmp, { recursive: true, force: true }));

  it("the committed files are the generator's, and the registry lists their hashes", () => {
    const generated = floatModelFiles(ID);
    for (const f of FILES) {
      const onDisk = new Uint8Array(readFileSync(join(DIR, f.name)));
      assert.equal(
        sha256Hex(onDisk),
        sha256Hex(generated.get(f.name)!),
        `${f.name} is what scripts/gen-float-model.ts writes`,
      );
      assert.equal(sha256Hex(onDisk), f.sha256, `${f.name} hashes to the registry's value`);
    }
    assert.equal(filesHash(FILES), toHex(FLOAT_MODEL.weightsHash));
    const size = FILES.reduce((n, f) => n + readFileSync(join(DIR, f.name)).length, 0);
    assert.ok(size < 10 * 1024 * 1024, `${size} bytes ≤ 10 MB`);
  });

  it("refuses files whose hashes differ from the registry, naming the file", async () => {
    const bad = join(tmp, "bad", ID);
    mkdirSync(bad, { recursive: true });
    for (const f of FILES) copyFileSync(join(DIR, f.name), join(bad, f.name));
    const onnx = readFileSync(join(bad, "model.onnx"));
    onnx[onnx.length - 10]! ^= 1;
    writeFileSync(join(bad, "model.onnx"), onnx);
    await assert.rejects(
      HfModel.load(bad, ID, FILES),
      /model\.onnx hashes to 0x[0-9a-f]{64}, the registry says 0x1fecb47d/,
    );
    rmSync(join(bad, "tokenizer.json"));
    await assert.rejects(HfModel.load(bad, ID, FILES), /tokenizer\.json is missing/);
    const r = await loadRegisteredModels(join(tmp, "bad"), [
      { id: ID, files: FILES },
      { id: "racecoin-exact-tiny", files: [] },
    ]);
    assert.equal(r.loaded.size, 0);
    assert.match(r.refused.get(ID)!, /missing|hashes to/);
    const good = await loadRegisteredModels(DEFAULT_MODELS_DIR, [{ id: ID, files: FILES }]);
    assert.ok(good.loaded.get(ID));
  });

  it("the byte-level BPE tokenizer round-trips any text and uses its merges", () => {
    const t = executor.tokenizer;
    for (const text of [...PROMPTS, "", "  spaces\n\n\ttabs", "naïve café — ☃ 𝔘𝔫𝔦𝔠𝔬𝔡𝔢", "the the the"]) {
      const ids = t.encode(text);
      assert.equal(t.decode(ids), text);
      assert.ok(ids.every((id) => id < executor.config.vocab));
    }
    const text = "The capital of France is Paris.";
    assert.ok(
      t.encode(text).length < new TextEncoder().encode(text).length / 2,
      "merges shorten common English",
    );
    assert.equal(t.specialId("<|endoftext|>"), executor.config.eos);
    assert.throws(() => new Tokenizer({ model: { type: "WordPiece" } }), /WordPiece is not supported/);
    assert.throws(
      () => new Tokenizer({ model: { type: "BPE", vocab: { a: 0 } }, pre_tokenizer: { type: "ByteLevel" } }),
      /lacks byte 0/,
    );
  });

  it("calibration: honest answers (KV cache, 1 thread) agree with teacher-forced re-runs (2 threads) within tolerance", async () => {
    let positions = 0;
    let deviations = 0;
    let maxDev = 0;
    let tasks = 0;
    for (const [i, prompt] of PROMPTS.entries())
      for (const [j, s] of SAMPLINGS.entries()) {
        const sampling = { ...s, seed: BigInt(i * 31 + j) };
        const p = await answer(executor, prompt, 48, sampling);
        const ids = verifier.tokenizer.encode(prompt);
        const rows = await verifier.logprobsAlong(
          [...ids, ...p.positions.slice(0, -1).map((q) => q.token)],
          p.positions.length,
        );
        const v = judgeTolerance(p.positions, rows, sampling);
        for (const [k, q] of p.positions.entries())
          for (const e of q.top) maxDev = Math.max(maxDev, Math.abs(-rows[k]![e.token]! * 1e6 - e.nll));
        positions += v.positions;
        deviations += v.deviations;
        tasks++;
        const verdict = await toleranceVerdict(verifier, p);
        assert.equal(verdict.fraud, false, `honest task ${i}/${j}: ${verdict.first}`);
      }
    console.log(
      `# calibration: ${tasks} honest tasks, ${positions} positions, ${deviations} deviating; largest logprob difference ${(maxDev / 1e6).toExponential(2)} nats (τ = ${TOLERANCE.tau})`,
    );
    assert.equal(deviations, 0);
    assert.ok(maxDev < (TOLERANCE.tau * 1e6) / 100, "the honest noise is far inside τ");
  });

  it("a smaller model, and wrong tokens at every position, are judged fraud on every task", async () => {
    let caughtSmall = 0;
    let rate = 0;
    for (const [i, prompt] of PROMPTS.entries())
      for (const [j, s] of SAMPLINGS.entries()) {
        const sampling = { ...s, seed: BigInt(1000 + i * 31 + j) };
        const cheat = await answer(small, prompt, 32, sampling);
        const v = await toleranceVerdict(verifier, cheat);
        if (v.fraud) caughtSmall++;
        rate += v.deviations / v.positions;
        // Wrong tokens: the honest answer with each token replaced (its logprobs kept).
        const honest = await answer(executor, prompt, 32, sampling);
        const forged = {
          ...honest,
          positions: honest.positions.map((q) => ({
            ...q,
            token: (q.token + 7) % (executor.config.vocab - 1),
          })),
        };
        assert.equal((await toleranceVerdict(verifier, forged)).fraud, true, `wrong tokens ${i}/${j}`);
      }
    const n = PROMPTS.length * SAMPLINGS.length;
    console.log(
      `# smaller model: ${caughtSmall}/${n} tasks judged fraud, ${((rate / n) * 100).toFixed(0)}% of positions deviating`,
    );
    assert.equal(caughtSmall, n);
  });

  it("a completion that stops: the end-of-text pick is checked as one more position", async () => {
    // Found by search: at temperature 2 this seed ends the answer after 20 tokens.
    const s = { temperatureMilli: 2000, topPMilli: 1000, seed: 15n };
    const p = await answer(executor, PROMPTS[0]!, 64, s);
    assert.equal(p.finish, "stop");
    assert.equal(p.positions.length, 20);
    const v = await toleranceVerdict(verifier, p);
    assert.deepEqual([v.fraud, v.positions, v.deviations], [false, 21, 0]);
    // Claiming "stop" one token early: the end check deviates (and a lone one is allowed).
    const early = await toleranceVerdict(verifier, { ...p, positions: p.positions.slice(0, 10) });
    assert.equal(early.deviations, 1);
    assert.match(early.first, /the end at position 10/);
  });

  it("a finish the tokens contradict is fraud; a lone deviation is within the binomial allowance", async () => {
    const s = { temperatureMilli: 800, topPMilli: 1000, seed: 5n };
    const p = await answer(executor, PROMPTS[0]!, 16, s);
    assert.equal(
      (await toleranceVerdict(verifier, { ...p, finish: p.finish === "stop" ? "length" : "stop" })).fraud,
      true,
    );
    assert.equal((await toleranceVerdict(verifier, { ...p, positions: [], finish: "length" })).fraud, true);
    const eos = executor.config.eos;
    const inside = { ...p, positions: p.positions.map((q, k) => (k === 1 ? { ...q, token: eos } : q)) };
    assert.match((await toleranceVerdict(verifier, inside)).first, /end-of-text token inside the text/);
    const one = {
      ...p,
      positions: p.positions.map((q, k) => (k === 0 ? { ...q, nll: q.nll + 500_000 } : q)),
    };
    const v = await toleranceVerdict(verifier, one);
    assert.equal(v.deviations, 1);
    assert.equal(v.fraud, false, "one deviation in 16 positions is not significant at p0 = 2%");
    // A logprob off by more than τ_gross is fraud alone: a one-token answer from other weights.
    const gross = {
      ...p,
      positions: p.positions.map((q, k) => (k === 0 ? { ...q, nll: q.nll + 1_500_000 } : q)),
    };
    assert.equal((await toleranceVerdict(verifier, gross)).fraud, true);
    const short = await answer(small, PROMPTS[1]!, 1, s);
    assert.equal(
      (await toleranceVerdict(verifier, short)).fraud,
      true,
      "a one-token answer of the smaller model",
    );
  });

  it("binomial tail and the answer frames of the tolerance class", () => {
    assert.equal(binomialTail(10, 0, 0.1), 1);
    assert.equal(binomialTail(10, 11, 0.1), 0);
    assert.ok(Math.abs(binomialTail(10, 1, 0.1) - (1 - 0.9 ** 10)) < 1e-12);
    assert.ok(Math.abs(binomialTail(3, 3, 0.5) - 0.125) < 1e-12);
    const position = {
      token: 300,
      nll: 1_234_567,
      top: [
        { token: 12, nll: 5 },
        { token: 300, nll: 1_234_567 },
      ],
    };
    const f = decodeFrame(
      encodeFrame({ kind: "token", token: 300, prob: 0.25, bytes: Uint8Array.of(0xe2, 0x98), position }),
    );
    assert.deepEqual(f, {
      kind: "token",
      token: 300,
      prob: 0.25,
      bytes: Uint8Array.of(0xe2, 0x98),
      position,
    });
    const raw = encodeFrame({ kind: "token", token: 1, prob: 0.5, bytes: new Uint8Array(0), position });
    assert.throws(() => decodeFrame(raw.subarray(0, raw.length - 1)), /malformed/);
  });
});
