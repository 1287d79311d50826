// Governance and a training job paid from the fund, end to end on five nodes (spec/governance.md,
// spec/training.md), driven by the CLI a user runs. In one voting period: the job, a parameter change
// and a model registration pass by vote, a proposal below quorum fails and changes nothing, a
// proposal the chain refuses is refused with its reason, and every deposit comes back. Then
// validators 0–2 train honestly, 3 free-rides (the zero Δ) and 4 poisons (its honest Δ negated ×4). Every round each node trains H inner steps from the job's checkpoint, commits its
// pseudo-gradient's hash, serves it over /racecoin/training/1, fetches the others', and the drawn
// verifiers score them all. The validation loss falls, the free rider and the poisoner are scored
// 0 and paid 0, and the fund falls by exactly what was paid.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { chromium } from "playwright-core";
import { FLOAT_MODEL } from "../../contracts/index.ts";
import { devnetGenesisJson } from "../../src/chain/index.ts";
import { GOVERNANCE_MODULE_ADDRESS, TRAINING_FUND_ADDRESS } from "../../src/params/index.ts";
import {
  checkpointHash,
  DEFAULT_CORPUS_PATH,
  datasetFilesHash,
  genesisCheckpoint,
  minimal,
} from "../../src/training/index.ts";
import { toChecksumAddress, toHex } from "../../src/types/index.ts";
import { ARTIFACTS, CHROMIUM, openExplorer, WIDTHS } from "../helpers/browser.ts";
import { devAddresses, devKeys } from "../helpers/chain.ts";
import { startNetwork, type TestNetwork } from "../helpers/network.ts";
import { rpc, tempDir, waitFor } from "../helpers/process.ts";

const ETH = 10n ** 18n;
const ROUNDS = 3;
const FUND = 3_000n * ETH;
const BUDGET = 1_500n * ETH;

interface JobJson {
  id: number;
  statusName: string;
  roundsDone: number;
  paid: string;
  returned: string;
  checkpointHash: string;
  startHeight: number;
}
interface RoundJson {
  statusName: string;
  result: string;
  commitments: { participant: string; score: string; payout: string; copyOf: number }[];
  verifiers: { address: string; verdictName?: string; verdict?: number }[];
}

interface ProposalJson {
  id: number;
  statusName: string;
  result: string;
}

function racecoin(args: string[]) {
  return spawnSync(process.execPath, ["--import", "tsx", "src/cli/main.ts", ...args], { encoding: "utf8" });
}

function cli(args: string[]): string {
  const r = racecoin(args);
  assert.equal(r.status, 0, `racecoin ${args.slice(0, 3).join(" ")}: ${r.stderr}`);
  return r.stdout;
}

const balance = async (url: string, a: string) =>
  BigInt(await rpc<string>(url, "eth_getBalance", [a, "latest"]));

describe("governance and a training job on a devnet", { timeout: 420_000 }, () => {
  let net: TestNetwork | undefined;
  let urls: string[] = [];
  let url = "";
  let fundBefore = 0n;
  const cheats = [undefined, undefined, undefined, "free-rider", "poison"];
  const key = (i: number) => ["--private-key", toHex(devKeys[i]!), "--rpc", url];
  /** `racecoin gov propose param` with a deposit of 10 RACE, signed by dev account `by`. */
  const proposeParam = (module: string, param: string, value: string, title: string, by: number) =>
    racecoin([
      "gov",
      "propose",
      "param",
      "--module",
      module,
      "--param",
      param,
      "--value",
      value,
      "--title",
      title,
      "--deposit",
      "10",
      ...key(by),
    ]);
  const logsOnFailure = async (body: () => Promise<void>) => {
    try {
      await body();
    } catch (e) {
      const logs = net!.nodes.map(
        (n, i) =>
          `node ${i}: ${n
            .output()
            .split("\n")
            .filter((l) => /"module":"training"|Training/.test(l))
            .slice(-30)
            .join("\n  ")}`,
      );
      throw new Error(`${(e as Error).message}\n${logs.join("\n")}`);
    }
  };

  before(async () => {
    const g = devnetGenesisJson(5) as Record<string, unknown> & {
      alloc: Record<string, { balance: string }>;
    };
    g.alloc[toChecksumAddress(TRAINING_FUND_ADDRESS)] = { balance: FUND.toString() };
    g.modules = {
      gov: { minDeposit: (10n * ETH).toString(), depositCycles: 1, votingCycles: 1 },
      // Rounds of 40 blocks; the exchange outlasts the beacon's 10-block interval (a score seed).
      training: { registerBlocks: 4, commitBlocks: 12, exchangeBlocks: 14, scoreBlocks: 10, verifiers: 3 },
    };
    const genesis = join(tempDir("racecoin-train-"), "genesis.json");
    writeFileSync(genesis, JSON.stringify(g));
    net = await startNetwork(
      cheats.map((cheat, i) => ({
        validator: i,
        args: ["--train"],
        ...(cheat ? { env: { RACECOIN_TRAIN_CHEAT: cheat } } : {}),
      })),
      { genesis, blockTimeMs: 300 },
    );
    urls = net.nodes.map((n) => n.url);
    url = urls[0]!;
    fundBefore = await balance(url, toHex(TRAINING_FUND_ADDRESS));
    const deposit = ["--deposit", "10"];
    const modelHash = toHex(checkpointHash(genesisCheckpoint(minimal)));
    const datasetHash = toHex(datasetFilesHash(readFileSync(DEFAULT_CORPUS_PATH)));
    assert.match(
      cli([
        "gov",
        "propose",
        "training-job",
        "--model-hash",
        modelHash,
        "--dataset-hash",
        datasetHash,
        "--inner-steps",
        "128",
        "--rounds",
        String(ROUNDS),
        "--participants",
        "8",
        "--budget",
        "1500",
        "--purpose",
        "the character model on the shipped corpus",
        "--title",
        "train the tiny model",
        ...deposit,
        ...key(0),
      ]),
      /#1 \[voting\]/,
    );
    const slower = proposeParam("tasks", "maxReputation", "12", "slower reputation", 1);
    assert.equal(slower.status, 0, slower.stderr);
    assert.match(slower.stdout, /#2 \[voting\] slower reputation: set tasks.maxReputation to 12/);
    assert.match(
      cli([
        "gov",
        "propose",
        "model",
        "--dir",
        "genesis/models/racecoin-float-tiny",
        "--model",
        "float-governed",
        "--units-per-token",
        "2",
        "--context",
        "256",
        "--verification",
        "tolerance",
        "--title",
        "a second float model",
        ...deposit,
        ...key(2),
      ]),
      /#3 \[voting\] a second float model: register model float-governed/,
    );
    const slots = proposeParam("rewards", "hpSlots", "20", "more slots", 3);
    assert.equal(slots.status, 0, slots.stderr);
    assert.match(slots.stdout, /#4 \[voting\]/);
    // A proposal the chain refuses: the CLI says why and exits 1.
    const refused = proposeParam("tasks", "maxReputation", "0", "x", 0);
    assert.equal(refused.status, 1);
    assert.match(refused.stderr, /\[1, 1000\]/);
    // Validators 0–2 (300 of 500) vote yes on 1–3; dev 4's 100 alone is below the 334‰ quorum on 4.
    for (const i of [0, 1, 2])
      for (const id of [1, 2, 3]) cli(["gov", "vote", "--id", String(id), "--option", "yes", ...key(i)]);
    cli(["gov", "vote", "--id", "4", "--option", "yes", ...key(4)]);
  });
  after(async () => {
    await net?.stop();
  });

  it("a parameter change and a model registration pass by vote; a proposal below quorum fails; deposits come back", async () => {
    const closed = (p: ProposalJson) => p.statusName !== "voting" && p.statusName !== "deposit";
    const final = await waitFor(
      "proposals 1-4 closed",
      async () => {
        const ps = await Promise.all(
          [1, 2, 3, 4].map((id) => rpc<ProposalJson>(url, "gov_proposal", [{ id }])),
        );
        return ps.every(closed) ? ps : undefined;
      },
      120_000,
    );
    assert.deepEqual(
      final.map((p) => p.statusName),
      ["passed", "passed", "passed", "rejected"],
      final.map((p) => p.result).join("; "),
    );
    assert.match(final[3]!.result, /quorum not reached/);
    const governable = await rpc<{ params: { module: string; param: string; value: string }[] }>(
      url,
      "gov_governable",
      [{}],
    );
    const value = (m: string, p: string) =>
      governable.params.find((x) => x.module === m && x.param === p)?.value;
    assert.equal(value("tasks", "maxReputation"), "12");
    assert.equal(value("rewards", "hpSlots"), "10", "the rejected change did not apply");
    const models = await rpc<{ models: { id: string; weightsHash: string }[] }>(url, "models_list", [{}]);
    const added = models.models.find((m) => m.id === "float-governed");
    assert.ok(added, "registered");
    assert.equal(
      added.weightsHash,
      toHex(FLOAT_MODEL.weightsHash),
      "the CLI hashed the files as the registry does",
    );
    assert.equal(await balance(url, toHex(GOVERNANCE_MODULE_ADDRESS)), 0n, "every deposit refunded");
    assert.match(cli(["gov", "status", "--id", "2", "--rpc", url]), /#2 \[passed\]/);
    assert.match(cli(["gov", "status", "--rpc", url]), /#4 \[rejected\] more slots/);
  });

  it("the job trains: the loss falls over the rounds; a free rider and a poisoner are scored 0 and paid 0; the fund falls by what was paid", async () => {
    await logsOnFailure(async () => {
      const job = async () => rpc<JobJson>(url, "training_job", [{ id: 1 }]);
      await waitFor("the job granted", async () => (await job()).id === 1, 120_000);
      await waitFor("the job finished", async () => (await job()).statusName === "finished", 240_000);
      const j = await job();
      const paid = BigInt(j.paid);
      assert.equal(BigInt(j.returned), BUDGET - paid, "what was not paid went back");
      const fundAfter = await balance(url, toHex(TRAINING_FUND_ADDRESS));
      // The fund also receives the cycles' training share of revenue: none here (no tasks, no
      // issuance), so it fell by exactly what was paid.
      assert.equal(fundBefore - fundAfter, paid, "the fund fell by exactly what was paid");
      assert.ok(paid > 0n, "the honest trainers were paid");
      console.log(
        `# paid ${paid} wei of the ${BUDGET} budget; returned ${j.returned}; fund ${fundBefore} → ${fundAfter}`,
      );
      const scored: RoundJson[] = [];
      for (let r = 1; r <= ROUNDS; r++) {
        const round = await rpc<RoundJson>(url, "training_round", [{ job: 1, round: r }]);
        console.log(
          `# round ${r}: ${round.statusName} ${round.result} ${JSON.stringify(round.commitments.map((c) => [c.participant.slice(0, 8), c.score, c.payout]))}`,
        );
        if (round.statusName === "scored") scored.push(round);
      }
      assert.ok(
        scored.length >= 2,
        `at least two rounds scored by a majority: ${scored.length} of ${ROUNDS}`,
      );
      const of = (round: RoundJson, i: number) =>
        round.commitments.find((c) => c.participant.toLowerCase() === toHex(devAddresses[i]!).toLowerCase());
      for (const round of scored) {
        for (const cheat of [3, 4]) {
          const c = of(round, cheat);
          assert.ok(c, `node ${cheat} committed`);
          assert.equal(c.score, "0", `node ${cheat} (${cheats[cheat]}) scored 0`);
          assert.equal(c.payout, "0", `node ${cheat} (${cheats[cheat]}) paid 0`);
        }
        const honest = [0, 1, 2].map((i) => of(round, i)).filter((c) => c && BigInt(c.score) > 0n);
        assert.ok(honest.length >= 2, "honest trainers scored above 0");
      }
      // The loss curve every node computed the same way: it falls.
      type Curve = { points: { round: number; checkpointHash: string; loss: number }[] };
      let curves: Curve[] = [];
      await waitFor(
        "every node's loss curve through the last round",
        async () => {
          curves = await Promise.all(urls.map((u) => rpc<Curve>(u, "training_lossCurve", [{ job: 1 }])));
          return curves.every((c) => c.points.at(-1)?.round === ROUNDS);
        },
        30_000,
      );
      const curve = curves[0]!.points;
      console.log(`# loss curve: ${curve.map((p) => `${p.round}:${p.loss.toFixed(4)}`).join(" → ")}`);
      assert.equal(curve[curve.length - 1]!.checkpointHash, j.checkpointHash.toLowerCase());
      assert.ok(
        curve[curve.length - 1]!.loss < curve[0]!.loss,
        `the validation loss fell: ${curve[0]!.loss} → ${curve[curve.length - 1]!.loss}`,
      );
      for (const c of curves)
        assert.deepEqual(c.points.at(-1), curve.at(-1), "every node holds the same checkpoint and loss");
      const status = cli(["train", "status", "--job", "1", "--rpc", url]);
      assert.match(status, /finished/);
      // The loss curve as the CLI draws it: one bar per round, from a node that followed the job.
      assert.match(status, /validation loss/);
      assert.equal(status.split("\n").filter((l) => /^\s+\d+ \d\.\d{4} █+$/.test(l)).length, ROUNDS + 1);
      console.log(status.replace(/^/gm, "# "));
    });
  });

  it("the explorer's governance page lists the proposals, and a proposal's page its tally and votes", {
    skip: !CHROMIUM && "no chromium",
  }, async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
    try {
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on("pageerror", (e) => errors.push(e.message));
      for (const width of WIDTHS) {
        await page.setViewportSize({ width, height: 900 });
        await openExplorer(page, `${url}/explorer/#/gov`, "#proposals");
        assert.equal(await page.locator("#proposals tr").count(), 5, "a header and four proposals");
        for (const st of ["passed", "rejected"])
          assert.ok(await page.isVisible(`#proposals >> text=${st}`), st);
        assert.ok(await page.isVisible("#gov-params >> text=Quorum"));
        await page.screenshot({ path: `${ARTIFACTS}/gov-${width}.png`, fullPage: true });
        await openExplorer(page, `${url}/explorer/#/gov/2`, "#tally");
        assert.ok(await page.isVisible("text=set tasks.maxReputation to 12"));
        assert.ok((await page.locator("#gov-votes tr").count()) >= 4, "the three votes listed");
        assert.equal(await page.locator("#tally tr").count(), 5, "yes, no, abstain, veto");
        await page.screenshot({ path: `${ARTIFACTS}/gov-proposal-${width}.png`, fullPage: true });
        const overflow = await page.evaluate<number>(
          "document.documentElement.scrollWidth - window.innerWidth",
        );
        assert.ok(overflow <= 0, `no sideways scrolling at ${width}px (${overflow}px)`);
      }
      assert.deepEqual(errors, []);
    } finally {
      await browser.close();
    }
  });
});
