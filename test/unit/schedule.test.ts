// The one cycle schedule: its answers per height, preset sanity, and the spec's tables.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import {
  checkSchedule,
  cycleEnd,
  cycleOf,
  cycleStart,
  isCycleEnd,
  mainnet,
  minimal,
  positionAt,
  proposerEpochStart,
  scheduleTable,
} from "../../src/params/index.ts";

describe("cycle schedule", () => {
  it("both presets pass checkSchedule; a broken one is refused", () => {
    assert.deepEqual(checkSchedule(minimal), []);
    assert.deepEqual(checkSchedule(mainnet), []);
    const broken = { ...minimal, windows: { ...minimal.windows, revealStart: 5 } };
    assert.ok(checkSchedule(broken).length > 0);
    assert.ok(checkSchedule({ ...minimal, beacon: { ...minimal.beacon, complaintBlocks: 60 } }).length > 0);
  });

  it("answers cycle, offset, first/last and phases consistently for every height of three cycles", () => {
    const L = minimal.cycleLength;
    for (let h = 0; h < 3 * L; h++) {
      const p = positionAt(minimal, h);
      assert.equal(p.cycle, cycleOf(h, L));
      assert.equal(p.offset, h - cycleStart(p.cycle, L));
      assert.equal(p.last, isCycleEnd(h, L));
      assert.equal(p.last, cycleEnd(h, L) === h);
      assert.equal(p.first, h % L === 0);
      assert.equal(proposerEpochStart(h, L), Math.max(1, cycleStart(p.cycle, L)));
      assert.equal(p.dkg, p.offset < 20 ? "dealing" : p.offset < 40 ? "complaint" : "done");
      assert.equal(p.dkgOutcome, p.offset === 40);
      assert.equal(p.roundOpens, h > 0 && h % 10 === 0 ? h / 10 : undefined);
      assert.equal(p.commitOpen, p.offset >= 10 && p.offset < 34);
      assert.equal(p.revealOpen, p.offset >= 40 && p.offset < 48);
    }
  });

  it("spec/schedule.md holds the generated table of each preset", () => {
    const spec = readFileSync("spec/schedule.md", "utf8");
    for (const p of [minimal, mainnet]) {
      const rows = scheduleTable(p).map((r) => `| ${r.window} | ${r.from} | ${r.to} |`);
      const heading = `### ${p.name} (cycle = ${p.cycleLength} blocks)`;
      const at = spec.indexOf(heading);
      assert.ok(at >= 0, `spec/schedule.md lacks the ${p.name} table`);
      const body = spec.slice(at);
      for (const row of rows)
        assert.ok(body.includes(row), `spec/schedule.md ${p.name}: missing or stale row ${row}`);
    }
  });
});
