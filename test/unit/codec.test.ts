import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Packr } from "msgpackr";
import {
  accountCodec,
  bytes,
  decode,
  encode,
  headerCodec,
  list,
  quantity,
  str,
  struct,
  uint,
} from "../../src/encoding/index.ts";
import { EncodingError } from "../../src/types/index.ts";

const sample = struct<{ a: number; b: bigint; c: Uint8Array; d: string; e: bigint[] }>("Sample", {
  a: uint,
  b: quantity,
  c: bytes({ max: 8 }),
  d: str(16),
  e: list(quantity, 4),
});

describe("canonical msgpack codec", () => {
  it("round-trips and gives identical bytes for identical values", () => {
    const v = { a: 7, b: (1n << 200n) + 5n, c: new Uint8Array([1, 2]), d: "hi", e: [0n, 1n, 256n] };
    const enc = encode(sample, v);
    assert.deepEqual(decode(sample, enc), v);
    assert.deepEqual(encode(sample, { ...v, c: new Uint8Array([1, 2]) }), enc);
  });

  it("encodes quantities as minimal big-endian bytes, zero as empty", () => {
    assert.deepEqual(encode(quantity, 0n), new Uint8Array([0xc4, 0]));
    assert.deepEqual(encode(quantity, 256n), new Uint8Array([0xc4, 2, 1, 0]));
  });

  it("rejects trailing bytes, truncation, wrong types and non-shortest forms", () => {
    const enc = encode(accountCodec, { nonce: 1n, balance: 2n });
    const bad = [
      new Uint8Array([...enc, 0xc0]),
      enc.subarray(0, enc.length - 1),
      new Packr({ useRecords: false }).pack({ nonce: 1, balance: 2 }),
      new Packr({ useRecords: false }).pack([1, 2]),
      new Uint8Array([0xdc, 0, 2, ...enc.subarray(1)]), // array16 for a 2-element array
      new Uint8Array([0x92, 0xc5, 0, 1, 1, 0xc4, 1, 2]), // bin16 for a 1-byte quantity
      new Uint8Array([0x92, 0xc4, 2, 0, 1, 0xc4, 1, 2]), // leading zero in a quantity
    ];
    for (const b of bad) assert.throws(() => decode(accountCodec, b), EncodingError);
  });

  it("rejects a uint written as uint16 when it fits a fixint", () => {
    assert.throws(() => decode(uint, new Uint8Array([0xcd, 0, 5])), /non-canonical/);
    assert.equal(decode(uint, new Uint8Array([5])), 5);
  });

  it("enforces lengths and limits on both sides", () => {
    assert.throws(() => encode(bytes({ length: 4 }), new Uint8Array(3)), EncodingError);
    assert.throws(() => encode(uint, 2 ** 32), EncodingError);
    assert.throws(() => encode(quantity, -1n), EncodingError);
    assert.throws(() => decode(list(uint, 2), encode(list(uint, 3), [1, 2, 3])), /at most 2/);
  });

  it("names the failing field in errors", () => {
    const enc = new Packr({ useRecords: false }).pack([1, 2, 3]);
    assert.throws(() => decode(headerCodec, enc), /BlockHeader has 19 fields, got 3/);
  });

  it("never throws anything but EncodingError on random input", () => {
    let seed = 1;
    const rand = () => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed;
    };
    const valid = encode(
      headerCodec,
      decode(
        headerCodec,
        encode(headerCodec, {
          chainId: 1n,
          height: 1,
          parentHash: new Uint8Array(32),
          time: 1n,
          proposer: new Uint8Array(20),
          stateRoot: new Uint8Array(32),
          txRoot: new Uint8Array(32),
          receiptsRoot: new Uint8Array(32),
          evidenceRoot: new Uint8Array(32),
          beaconMsgsRoot: new Uint8Array(32),
          validatorSetHash: new Uint8Array(32),
          lastCommit: { round: 0, signers: new Uint8Array(0), signature: new Uint8Array(0) },
          gasLimit: 1n,
          gasUsed: 0n,
          baseFee: 1n,
          cycle: 0,
          raceRoot: new Uint8Array(32),
          beacon: new Uint8Array(32),
          extra: new Uint8Array(0),
        }),
      ),
    );
    for (let i = 0; i < 3000; i++) {
      const b = valid.slice();
      const flips = 1 + (rand() % 4);
      for (let f = 0; f < flips; f++) b[rand() % b.length] = rand() & 0xff;
      try {
        decode(headerCodec, i % 3 === 0 ? b.subarray(0, rand() % b.length) : b);
      } catch (e) {
        assert.ok(
          e instanceof EncodingError,
          `unexpected ${(e as Error).constructor.name}: ${(e as Error).message}`,
        );
      }
    }
  });
});
