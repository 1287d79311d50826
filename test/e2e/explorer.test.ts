// The explorer page in headless Chromium (Debian's `chromium`, driven by playwright-core; no
// browser download): home with the phases named and explained, a block, a transaction sent by
// ethers with its decoded module call and log, an address, the validators and race pages, chart
// labels measured for legibility at 390 and 1280 px, an address's whole history from the address
// index (the node starts on 230 blocks built in process, its index rebuilt on start), search, live
// updates as blocks finalize, and no console errors. Screenshots go to test-artifacts/explorer/.
// Skips where no chromium is installed (.ci/run installs it).
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { JsonRpcProvider, Wallet } from "ethers";
import { type Browser, chromium, type Page } from "playwright-core";
import { ENVELOPE_VERSION, envelopeCodec, transferArgs } from "../../contracts/index.ts";
import { encode } from "../../src/encoding/index.ts";
import { BANK_MODULE_ADDRESS } from "../../src/params/index.ts";
import { fromHex, toChecksumAddress, toHex } from "../../src/types/index.ts";
import { ARTIFACTS, assertLegibleLabels, CHROMIUM, WIDTHS } from "../helpers/browser.ts";
import { devAddresses, devKeys } from "../helpers/chain.ts";
import { type BuiltHistory, buildHistory, dropAddressIndex } from "../helpers/history.ts";
import { addressHistory, type NodeProcess, startNode, tempDir } from "../helpers/process.ts";

const PHASE_NAMES = [
  "before the race",
  "racing",
  "commit window",
  "waiting for reveals",
  "reveal window",
  "fraud-proof window",
  "settled",
];

describe("explorer in headless Chromium", {
  skip: CHROMIUM ? false : "no chromium installed (apt-get install chromium)",
  timeout: 120_000,
}, () => {
  let node: NodeProcess;
  let browser: Browser;
  let page: Page;
  const errors: string[] = [];
  let txHash = "";
  let sender = "";
  let blockNumber = 0;
  const providers: JsonRpcProvider[] = [];
  /** Dev account 5's transactions in the first blocks of a chain built in process (> 200 blocks back). */
  const OLD_SENDER = 5;
  let old: BuiltHistory;

  before(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    // The node starts on 230 blocks made in process, their address index removed as in a datadir
    // from before the index: it rebuilds the index on start.
    const datadir = tempDir();
    const chaindata = join(datadir, "chaindata");
    old = await buildHistory(chaindata, {
      blocks: 230,
      txBlocks: 15,
      from: OLD_SENDER,
      named: fromHex(Wallet.createRandom().address),
    });
    await dropAddressIndex(chaindata);
    node = await startNode({ datadir, blockTimeMs: 250 });
    const provider = new JsonRpcProvider(node.url, undefined, { batchMaxCount: 1, cacheTimeout: -1 });
    const wallet = new Wallet(toHex(devKeys[4]!), provider);
    sender = wallet.address;
    const data = toHex(
      encode(envelopeCodec, {
        version: ENVELOPE_VERSION,
        method: "transfer",
        args: encode(transferArgs, { to: fromHex(Wallet.createRandom().address), amount: 12n }),
      }),
    );
    const r = await (
      await wallet.sendTransaction({ to: toChecksumAddress(BANK_MODULE_ADDRESS), data })
    ).wait();
    txHash = r!.hash;
    blockNumber = r!.blockNumber;
    providers.push(provider);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.on("console", (m) => {
      if (m.type() === "error") errors.push(m.text());
    });
    page.on("pageerror", (e) => errors.push(e.message));
  });
  after(async () => {
    await browser?.close();
    for (const p of providers) p.destroy();
    await node?.stop();
  });

  it("home shows the chain and updates as blocks finalize", async () => {
    await page.goto(`${node.url}/`);
    await page.waitForSelector("#head");
    const first = Number(await page.textContent("#head"));
    await page.waitForFunction(`Number(document.querySelector("#head")?.textContent) > ${first}`, undefined, {
      timeout: 15_000,
    });
    assert.match((await page.textContent("#live")) ?? "", /live · head #\d+/);
    assert.ok(await page.isVisible("text=Latest blocks"));
    assert.ok(await page.isVisible(".timeline"));
    // Phases in words a user knows, each explained on hover.
    const phase = page.locator("#cycle .phase");
    const phaseName = (await phase.textContent()) ?? "";
    assert.ok(PHASE_NAMES.includes(phaseName), phaseName);
    assert.ok(((await phase.getAttribute("title")) ?? "").length > 20, "the phase is explained on hover");
    assert.equal(await page.locator('.timeline .seg:text("fraud-proof window")').count(), 1);
    for (const title of await page
      .locator(".timeline .seg")
      .evaluateAll((es) => es.map((e) => e.getAttribute("title"))))
      assert.ok((title ?? "").length > 20, `a timeline segment without an explanation: ${title}`);
    await page.screenshot({ path: `${ARTIFACTS}/home.png`, fullPage: true });
  });

  it("follows a block, the ethers transaction with its decoded call and log, and the sender's address", async () => {
    await page.goto(`${node.url}/explorer/#/block/${blockNumber}`);
    await page.waitForSelector(`text=Block #${blockNumber}`);
    await page.click(`a[href="#/tx/${txHash}"]`);
    await page.waitForSelector("text=bank module.transfer");
    assert.ok(await page.isVisible("text=success"));
    assert.ok(await page.isVisible("text=Transfer("), "the log is decoded with its event signature");
    await page.screenshot({ path: `${ARTIFACTS}/tx.png`, fullPage: true });
    await page.click(`a[href="#/address/${sender}"] >> nth=0`);
    await page.waitForSelector("text=Race history");
    assert.ok(await page.isVisible(`a[href="#/tx/${txHash}"]`), "the address lists its transaction");
    await page.screenshot({ path: `${ARTIFACTS}/address.png`, fullPage: true });
  });

  it("validators and race pages; search by number, hash and address", async () => {
    await page.goto(`${node.url}/explorer/#/validators`);
    await page.waitForSelector("#validators");
    assert.ok((await page.locator("#validators tr").count()) >= 2);
    await page.screenshot({ path: `${ARTIFACTS}/validators.png`, fullPage: true });
    await page.goto(`${node.url}/explorer/#/race/0`);
    await page.waitForSelector("text=Race of cycle 0");
    await page.waitForSelector("text=Proofs per miner");
    assert.ok(PHASE_NAMES.includes((await page.textContent(".kv .phase")) ?? ""));
    for (const [q, expect] of [
      [String(blockNumber), `Block #${blockNumber}`],
      [txHash, "bank module.transfer"],
      [sender, "Race history"],
    ] as const) {
      await page.fill("#q", q);
      await page.click("#search button");
      await page.waitForSelector(`text=${expect}`);
    }
    await page.fill("#q", "not a thing");
    await page.click("#search button");
    await page.waitForSelector("text=Enter a block number");
  });

  it("chart labels are legible at 390 and 1280 px: none overlap, leave the screen or stretch", async () => {
    // Twelve validators with full-length labels through the page's own chart code, then the real
    // "Weight shares" and "Proofs per miner" charts.
    const many = Array.from({ length: 12 }, (_, i) => {
      const a = Wallet.createRandom().address;
      return { label: a, short: `${a.slice(0, 8)}…${a.slice(-6)}`, value: 100 + i * 37 };
    });
    for (const width of WIDTHS) {
      await page.setViewportSize({ width, height: 900 });
      await page.goto(`${node.url}/explorer/#/validators`);
      await page.waitForSelector("text=Weight shares");
      assert.ok((await assertLegibleLabels(page, `validators at ${width}px`)) >= 1);
      await page.screenshot({ path: `${ARTIFACTS}/validators-${width}.png`, fullPage: true });
      await page.evaluate(
        `document.querySelector("#view").innerHTML = "<h2>Weight shares</h2>" + bars(${JSON.stringify(many)})`,
      );
      assert.equal(await assertLegibleLabels(page, `12 validators at ${width}px`), many.length);
      await page.screenshot({ path: `${ARTIFACTS}/chart-12-${width}.png`, fullPage: true });
      await page.goto(`${node.url}/explorer/#/race/0`);
      await page.waitForSelector("text=Proofs per miner");
      await assertLegibleLabels(page, `race at ${width}px`);
      await page.screenshot({ path: `${ARTIFACTS}/race-${width}.png`, fullPage: true });
    }
    await page.setViewportSize({ width: 1280, height: 900 });
  });

  it("an address's whole history, older than 200 blocks, in pages from the rebuilt index", async () => {
    assert.match(node.output(), /Rebuilt the address index/);
    const address = toChecksumAddress(devAddresses[OLD_SENDER]!);
    const expected = old.txs.map((t) => t.hash).reverse();
    assert.ok(old.height - old.txs[0]!.height > 200);
    assert.deepEqual(
      (await addressHistory(node.url, address, 7)).map((r) => r.transactionHash),
      expected,
      "chain_getAddressHistory pages through every transaction",
    );
    await page.goto(`${node.url}/explorer/#/address/${address}`);
    const listed: string[] = [];
    for (let pageNo = 1; ; pageNo++) {
      await page.waitForSelector("#history");
      const hrefs = await page
        .locator('#history a[href^="#/tx/"]')
        .evaluateAll((es) => es.map((e) => e.getAttribute("href") ?? ""));
      listed.push(...hrefs.map((h) => h.slice("#/tx/".length)));
      if (pageNo === 1) await page.screenshot({ path: `${ARTIFACTS}/address-history.png`, fullPage: true });
      const older = page.locator("a.older");
      if ((await older.count()) === 0) break;
      const before = await page.textContent("#history");
      await older.click();
      await page.waitForFunction(
        `document.querySelector("#history")?.textContent !== ${JSON.stringify(before)}`,
      );
    }
    assert.deepEqual(listed, expected, "the address page lists every transaction, newest first");
  });

  it("market, rewards and models pages at 390 and 1280 px, and the address's market and rewards", async () => {
    for (const width of WIDTHS) {
      await page.setViewportSize({ width, height: 900 });
      await page.goto(`${node.url}/explorer/#/market`);
      await page.waitForSelector("#tasks");
      assert.ok(await page.isVisible("text=Tasks per executor"));
      await assertLegibleLabels(page, `market at ${width}px`);
      await page.screenshot({ path: `${ARTIFACTS}/market-${width}.png`, fullPage: true });
      await page.goto(`${node.url}/explorer/#/rewards`);
      await page.waitForSelector("#reward-accounts");
      for (const k of ["Issuance batch", "Subsidy rate", "Minted so far", "Training fund"])
        assert.ok(await page.isVisible(`#supply >> text=${k}`), k);
      assert.ok((await page.locator(".chart.columns .col").count()) >= 1, "the training fund over time");
      await assertLegibleLabels(page, `rewards at ${width}px`);
      await page.screenshot({ path: `${ARTIFACTS}/rewards-${width}.png`, fullPage: true });
      await page.goto(`${node.url}/explorer/#/models`);
      await page.waitForSelector("#models");
      assert.ok((await page.locator("#models tr").count()) >= 2, "the registry lists the genesis models");
      assert.ok((await page.locator(".chart.columns .col").count()) >= 1, "the price per cycle");
      await assertLegibleLabels(page, `models at ${width}px`);
      await page.screenshot({ path: `${ARTIFACTS}/models-${width}.png`, fullPage: true });
      await page.goto(`${node.url}/explorer/#/address/${sender}`);
      await page.waitForSelector("#address-rewards");
      assert.ok(await page.isVisible("text=Task escrow"));
      await page.screenshot({ path: `${ARTIFACTS}/address-${width}.png`, fullPage: true });
      const overflow = await page.evaluate<number>(
        "document.documentElement.scrollWidth - window.innerWidth",
      );
      assert.ok(overflow <= 1, `no horizontal scrolling at ${width}px (${overflow}px)`);
    }
    await page.setViewportSize({ width: 1280, height: 900 });
  });

  it("fits a phone-sized screen, and the console stayed clean", async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(`${node.url}/explorer/#/`);
    await page.waitForSelector("#head");
    const overflow = await page.evaluate<number>("document.documentElement.scrollWidth - window.innerWidth");
    assert.ok(overflow <= 1, `no horizontal scrolling on a phone (${overflow}px)`);
    await page.screenshot({ path: `${ARTIFACTS}/phone.png`, fullPage: true });
    // The pages not shot at both widths above: home, a block and a transaction.
    for (const width of WIDTHS) {
      await page.setViewportSize({ width, height: 900 });
      for (const [name, route, selector] of [
        ["home", "#/", "#head"],
        ["block", `#/block/${blockNumber}`, `text=Block #${blockNumber}`],
        ["tx", `#/tx/${txHash}`, "text=bank module.transfer"],
        ["beacon", "#/beacon", "text=Beacon"],
      ] as const) {
        await page.goto(`${node.url}/explorer/${route}`);
        await page.waitForSelector(selector);
        const wide = await page.evaluate<number>("document.documentElement.scrollWidth - window.innerWidth");
        assert.ok(wide <= 1, `${name} scrolls sideways at ${width}px (${wide}px)`);
        await page.screenshot({ path: `${ARTIFACTS}/${name}-${width}.png`, fullPage: true });
      }
    }
    assert.deepEqual(errors, []);
  });
});
