// Hostile integers at the race module's edge: every nonce is range-checked where it is decoded
// and no hash input truncates. The attack this closes: leaves hashed `setBigUint64(nonce)`, so a
// fraud prover who took an honest miner's revealed nonce n and sent n + 2^64 was checked against
// the leaf of n and "proved" the honest set unsorted or out of range.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  ENVELOPE_VERSION,
  envelopeCodec,
  race,
  raceNonceFraudArgs,
  raceOrderFraudArgs,
  raceRevealArgs,
  resolveCall,
} from "../../contracts/index.ts";
import { address20, bytes, encode, list, quantity, struct, uint } from "../../src/encoding/index.ts";
import { leafHash, MAX_NONCE, ProofError } from "../../src/race/index.ts";

// The argument shapes with an unbounded nonce: what a hostile client can put on the wire.
const looseFraud = struct<{ miner: Uint8Array; index: number; nonce: bigint; proof: Uint8Array[] }>("loose", {
  miner: address20,
  index: uint,
  nonce: quantity,
  proof: list(bytes({ length: 48 }), 32),
});
const looseReveal = struct<{ nonces: { index: number; nonce: bigint }[]; proof: Uint8Array[] }>(
  "loose.reveal",
  {
    nonces: list(struct<{ index: number; nonce: bigint }>("loose.n", { index: uint, nonce: quantity }), 32),
    proof: list(bytes({ length: 48 }), 1024),
  },
);
const call = (method: string, args: Uint8Array) =>
  encode(envelopeCodec, { version: ENVELOPE_VERSION, method, args });
const miner = new Uint8Array(20).fill(7);

describe("hostile integers at the race module's edge", () => {
  const hostile = [MAX_NONCE + 1n, 5n + (1n << 64n), (1n << 256n) - 1n];

  for (const method of ["fraudOrder", "fraudNonce"])
    it(`${method}: a nonce ≥ 2^40 (2^40, n + 2^64, 2^256 − 1) is refused at decoding`, () => {
      for (const nonce of hostile) {
        const data = call(method, encode(looseFraud, { miner, index: 3, nonce, proof: [] }));
        assert.throws(() => resolveCall(race, data), /race nonce \d+ is above/, `${method} ${nonce}`);
      }
      // The largest legal nonce decodes.
      const ok = call(method, encode(looseFraud, { miner, index: 3, nonce: MAX_NONCE, proof: [] }));
      assert.equal((resolveCall(race, ok).args as { nonce: bigint }).nonce, MAX_NONCE);
    });

  it("reveal: a nonce ≥ 2^40 is refused at decoding; the typed codecs refuse to encode one", () => {
    for (const nonce of hostile) {
      const data = call("reveal", encode(looseReveal, { nonces: [{ index: 0, nonce }], proof: [] }));
      assert.throws(() => resolveCall(race, data), /race nonce \d+ is above/);
      assert.throws(() => encode(raceRevealArgs, { nonces: [{ index: 0, nonce }], proof: [] }), /race nonce/);
      assert.throws(() => encode(raceOrderFraudArgs, { miner, index: 0, nonce, proof: [] }), /race nonce/);
      assert.throws(() => encode(raceNonceFraudArgs, { miner, index: 0, nonce, proof: [] }), /race nonce/);
    }
  });

  it("leaf hashes refuse what they cannot hold instead of truncating", () => {
    const n = 12345n;
    assert.throws(() => leafHash(0, n + (1n << 64n)), ProofError);
    assert.throws(() => leafHash(0, MAX_NONCE + 1n), ProofError);
    assert.throws(() => leafHash(0, -1n), ProofError);
    assert.throws(() => leafHash(2 ** 32, n), ProofError);
    assert.throws(() => leafHash(-1, n), ProofError);
    assert.throws(() => leafHash(1.5, n), ProofError);
    // The index is bound: the same nonce at two positions hashes differently.
    assert.notDeepEqual(leafHash(0, n), leafHash(1, n));
  });

  it("proof lists longer than any path, and nodes of the wrong size, are refused at decoding", () => {
    const tooLong = call(
      "fraudNonce",
      encode(
        struct("x", {
          miner: address20,
          index: uint,
          nonce: quantity,
          proof: list(bytes({ length: 48 }), 64),
        }),
        {
          miner,
          index: 0,
          nonce: 1n,
          proof: Array.from({ length: 33 }, () => new Uint8Array(48)),
        },
      ),
    );
    assert.throws(() => resolveCall(race, tooLong), /list of at most 32/);
    const wrongSize = call(
      "fraudNonce",
      encode(struct("y", { miner: address20, index: uint, nonce: quantity, proof: list(bytes(), 32) }), {
        miner,
        index: 0,
        nonce: 1n,
        proof: [new Uint8Array(32)],
      }),
    );
    assert.throws(() => resolveCall(race, wrongSize), /expected 48 bytes/);
  });
});
