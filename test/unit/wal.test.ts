import assert from "node:assert/strict";
import { appendFileSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { DoubleSignError, encodeRecord, LastSignGuard, Wal } from "../../src/wal/index.ts";
import { tempDir } from "../helpers/process.ts";

describe("consensus WAL", () => {
  it("replays only the records after the last end-height marker", () => {
    const path = join(tempDir(), "wal");
    const { wal } = Wal.open(path);
    wal.write({ t: "timeout", height: 5, round: 0, step: "propose" });
    wal.endHeight(5);
    wal.writeDurable({ t: "msg", height: 6, kind: "vote", data: new Uint8Array([1, 2]), own: true });
    wal.write({ t: "timeout", height: 6, round: 1, step: "prevote" });
    wal.close();
    const again = Wal.open(path);
    assert.equal(again.lastEnd, 5);
    assert.equal(again.replay.length, 2);
    assert.deepEqual(again.replay[1], { t: "timeout", height: 6, round: 1, step: "prevote" });
    again.wal.close();
  });

  it("heights with nothing logged (sync) leave the file alone; the next record's height rewrites it", () => {
    const path = join(tempDir(), "wal");
    const { wal } = Wal.open(path);
    wal.write({ t: "timeout", height: 5, round: 0, step: "propose" });
    wal.endHeight(5);
    const marked = readFileSync(path);
    for (let h = 6; h <= 100; h++) wal.endHeight(h);
    assert.deepEqual(readFileSync(path), marked, "no rewrite for heights without records");
    wal.write({ t: "timeout", height: 101, round: 0, step: "propose" });
    wal.endHeight(101);
    wal.write({ t: "timeout", height: 102, round: 3, step: "prevote" });
    wal.close();
    const again = Wal.open(path);
    assert.equal(again.lastEnd, 101, "a height with records is marked");
    assert.deepEqual(again.replay, [{ t: "timeout", height: 102, round: 3, step: "prevote" }]);
    again.wal.close();
  });

  it("drops a torn or corrupted tail and keeps every complete record before it", () => {
    const path = join(tempDir(), "wal");
    const { wal } = Wal.open(path);
    wal.write({ t: "timeout", height: 1, round: 0, step: "propose" });
    wal.write({ t: "timeout", height: 1, round: 1, step: "propose" });
    wal.close();
    const whole = readFileSync(path);
    // A crash mid-write: half of a third record.
    appendFileSync(path, encodeRecord({ t: "timeout", height: 1, round: 2, step: "propose" }).subarray(0, 7));
    let r = Wal.open(path);
    assert.equal(r.replay.length, 2);
    r.wal.close();
    assert.deepEqual(readFileSync(path), whole, "torn tail truncated");
    // A flipped bit in the second record's payload: its CRC fails, replay stops before it.
    const bad = Buffer.from(whole);
    bad[bad.length - 2]! ^= 0xff;
    writeFileSync(path, bad);
    r = Wal.open(path);
    assert.equal(r.replay.length, 1);
    r.wal.close();
  });
});

describe("double-sign guard", () => {
  it("refuses earlier positions and different bytes at the same position, survives restarts", () => {
    const path = join(tempDir(), "last-signed.json");
    const g = new LastSignGuard(path);
    g.check(10, 0, 2, new Uint8Array([1]));
    g.check(10, 0, 2, new Uint8Array([1])); // the same vote again is fine (re-send after restart)
    assert.throws(() => g.check(10, 0, 2, new Uint8Array([2])), DoubleSignError);
    g.check(10, 0, 3, new Uint8Array([3]));
    const restarted = new LastSignGuard(path);
    assert.throws(
      () => restarted.check(10, 0, 2, new Uint8Array([1])),
      DoubleSignError,
      "prevote after precommit",
    );
    assert.throws(() => restarted.check(9, 5, 3, new Uint8Array([1])), DoubleSignError, "earlier height");
    assert.throws(
      () => restarted.check(10, 0, 3, new Uint8Array([4])),
      DoubleSignError,
      "conflicting precommit",
    );
    restarted.check(10, 1, 1, new Uint8Array([5]));
    assert.deepEqual(new LastSignGuard(path).state, restarted.state);
  });
});
