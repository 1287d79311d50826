// Governance under a seeded random sequence of proposals, deposits, votes and cycle ends, valid
// and not (spec/governance.md): after every step the module's account holds exactly the deposits
// of its open proposals, supply is unchanged, the caps hold (16 open, 8 closing a cycle), every
// open proposal has one due entry at its period's end, and each record's totals match its entries.
//
// Seeded: RACECOIN_GOV_SEED=<n> replays a run.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { due, open, openBodies } from "../../contracts/governance/index.ts";
import {
  COIN,
  DEFAULT_GOV_PARAMS,
  FLOAT_MODEL,
  GOV_MAX_OPEN_PROPOSALS,
  GovStatus,
  govDeposits,
  govProposals,
  govVotes,
} from "../../contracts/index.ts";
import { u32Key } from "../../contracts/store.ts";
import { GOVERNANCE_MODULE_ADDRESS } from "../../src/params/index.ts";
import { devAddresses } from "../helpers/chain.ts";
import { govHarness } from "../helpers/governanceModule.ts";
import { seededRng } from "../helpers/hostileArgs.ts";

const SEED = Number(process.env.RACECOIN_GOV_SEED ?? 0x60f_0001);
const MIN = DEFAULT_GOV_PARAMS.minDeposit;
const CYCLES = 14;

describe("governance property", () => {
  it("random proposals, deposits, votes and cycle ends keep deposits, supply, caps and indexes consistent", (t) => {
    t.diagnostic(`seed ${SEED} (replay: RACECOIN_GOV_SEED=${SEED})`);
    const rng = seededRng(SEED);
    const h = govHarness({ cycles: CYCLES + 4 });
    h.fundTraining(2_000n * COIN);
    const supply = h.totalBalances();
    const pick = <T>(xs: readonly T[]) => xs[rng.int(xs.length)]!;
    // Mostly amounts that work, sometimes ones that must be refused.
    const amount = () => pick([MIN / 4n, MIN / 2n, MIN, MIN, 2n * MIN, MIN / 64n, 0n, 1n, (1n << 256n) - 1n]);
    const accounts = devAddresses.slice(0, 8);
    const counts = { ok: 0, refused: 0, passed: 0, rejected: 0, vetoed: 0, expired: 0, failed: 0 };
    const L = h.preset.cycleLength;
    const reasons = new Map<string, number>();
    const check = (where: string) => {
      const s = h.store();
      const ids = govProposals.keys(s);
      let held = 0n;
      const openIds = open.keys(s);
      assert.ok(openIds.length <= GOV_MAX_OPEN_PROPOSALS, `${where}: ${openIds.length} open`);
      assert.equal(openBodies.keys(s).length, openIds.length, `${where}: one body key per open proposal`);
      const perCycle = new Map<number, number>();
      for (const [cycle] of due.keys(s)) perCycle.set(cycle, (perCycle.get(cycle) ?? 0) + 1);
      for (const [cycle, n] of perCycle) assert.ok(n <= 8, `${where}: ${n} proposals due in cycle ${cycle}`);
      for (const id of ids) {
        const p = govProposals.get(s, id)!;
        const entries = govDeposits.entries(s, u32Key.encode(id));
        assert.equal(
          entries.reduce((x, [, a]) => x + a, 0n),
          p.deposit,
          `${where}: proposal ${id} deposit`,
        );
        assert.equal(entries.length, p.depositors, `${where}: proposal ${id} depositors`);
        assert.equal(govVotes.keys(s, u32Key.encode(id)).length, p.voters, `${where}: proposal ${id} voters`);
        const isOpen = p.status === GovStatus.deposit || p.status === GovStatus.voting;
        assert.equal(open.has(s, id), isOpen, `${where}: proposal ${id} open index`);
        const end = p.status === GovStatus.deposit ? p.depositEndCycle : p.votingEndCycle;
        if (isOpen) {
          held += p.deposit;
          assert.ok(due.has(s, [end, id]), `${where}: proposal ${id} due at ${end}`);
        }
      }
      assert.equal(due.keys(s).length, openIds.length, `${where}: one due entry per open proposal`);
      assert.equal(
        h.balance(GOVERNANCE_MODULE_ADDRESS),
        held,
        `${where}: the module holds the open deposits`,
      );
      assert.equal(h.totalBalances(), supply, `${where}: supply`);
    };
    for (let cycle = 0; cycle < CYCLES; cycle++) {
      for (let step = 0; step < 40; step++) {
        const height = h.at(cycle, 1 + rng.int(L - 2));
        const sender = pick(accounts);
        const voter = rng.int(5) === 0 ? pick(accounts) : accounts[rng.int(4)]!;
        const last = govProposals.keys(h.store()).length;
        const openIds = open.keys(h.store());
        const id = openIds.length > 0 && rng.int(10) < 7 ? pick(openIds) : rng.int(last + 3);
        const head = {
          title: pick(["a change", "a change", "a change", ""]),
          expedited: pick([0, 0, 0, 1, 2]),
          deposit: amount(),
        };
        const [method, args] = pick<[string, unknown]>([
          [
            "proposeParam",
            {
              ...head,
              module: pick(["tasks", "rewards", "gov", "bank"]),
              param: pick(["maxReputation", "hpSlots", "votingCycles", "quorumMilli"]),
              value: BigInt(rng.int(2000)),
            },
          ],
          ["proposeRetire", { ...head, id: pick([FLOAT_MODEL.id, "racecoin-exact-tiny", "nope"]) }],
          [
            "proposeGrant",
            {
              ...head,
              recipient: pick(accounts),
              amount: pick([0n, 100n * COIN, 10_000n * COIN]),
              purpose: "job",
            },
          ],
          ["proposeModel", { ...head, model: { ...FLOAT_MODEL, id: `m${rng.int(4)}` } }],
          ["deposit", { id, amount: amount() }],
          ["deposit", { id, amount: amount() }],
          ["vote", { id, option: rng.int(6) }],
          ["vote", { id, option: pick([1, 1, 1, 2, 3, 4]) }],
          ["vote", { id, option: pick([1, 1, 1, 2, 3, 4]) }],
          ["vote", { id, option: pick([1, 1, 2, 4]) }],
        ]);
        const reason = h.refusal(height, method === "vote" ? voter : sender, method, args);
        if (reason) {
          counts.refused++;
          const k = reason.replace(/[0-9]+/g, "N").slice(0, 50);
          reasons.set(k, (reasons.get(k) ?? 0) + 1);
        } else counts.ok++;
        check(`cycle ${cycle} step ${step} ${method}`);
      }
      h.endCycle(cycle);
      check(`end of cycle ${cycle}`);
    }
    for (const id of govProposals.keys(h.store())) {
      const name = ["", "", "", "passed", "rejected", "vetoed", "expired", "failed"][
        govProposals.get(h.store(), id)!.status
      ];
      if (name) counts[name as keyof typeof counts]++;
    }
    t.diagnostic(JSON.stringify(counts));
    t.diagnostic(JSON.stringify([...reasons].sort((a, b) => b[1] - a[1]).slice(0, 8)));
    assert.ok(counts.ok > 50 && counts.refused > 50, "both accepted and refused calls ran");
    assert.ok(counts.passed > 0 && counts.rejected + counts.expired > 0, "proposals both passed and failed");
  });
});
