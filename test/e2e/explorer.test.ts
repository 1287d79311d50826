// The explorer page in headless Chromium (Debian's `chromium`, driven by playwright-core; no
// browser download): home, a block, a transaction sent by ethers with its decoded module call and
// log, an address, the validators and race pages, search, live updates as blocks finalize, and no
// console errors. Screenshots go to test-artifacts/explorer/. Skips where no chromium is installed
// (.ci/run installs it).
import assert from "node:assert/strict";
import { existsSync, mkdirSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import { JsonRpcProvider, Wallet } from "ethers";
import { type Browser, chromium, type Page } from "playwright-core";
import { ENVELOPE_VERSION, envelopeCodec, transferArgs } from "../../contracts/index.ts";
import { encode } from "../../src/encoding/index.ts";
import { BANK_MODULE_ADDRESS } from "../../src/params/index.ts";
import { fromHex, toChecksumAddress, toHex } from "../../src/types/index.ts";
import { devKeys } from "../helpers/chain.ts";
import { type NodeProcess, startNode } from "../helpers/process.ts";

const CHROMIUM = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].find((p) => existsSync(p));
const ARTIFACTS = "test-artifacts/explorer";

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

  before(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    node = await startNode({ blockTimeMs: 250 });
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
    page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
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

  it("fits a phone-sized screen, and the console stayed clean", async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(`${node.url}/explorer/#/`);
    await page.waitForSelector("#head");
    const overflow = await page.evaluate<number>("document.documentElement.scrollWidth - window.innerWidth");
    assert.ok(overflow <= 1, `no horizontal scrolling on a phone (${overflow}px)`);
    await page.screenshot({ path: `${ARTIFACTS}/phone.png`, fullPage: true });
    assert.deepEqual(errors, []);
  });
});
