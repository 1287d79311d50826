// Headless Chromium for the explorer tests: Debian's `chromium` driven by playwright-core (no
// browser download), where screenshots go, and the chart-label legibility check.
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import type { Page } from "playwright-core";

export const CHROMIUM = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].find((p) => existsSync(p));
export const ARTIFACTS = "test-artifacts/explorer";
export const WIDTHS = [390, 1280] as const;

interface LabelBox {
  text: string;
  left: number;
  top: number;
  right: number;
  bottom: number;
  fontPx: number;
}

/** Every non-empty chart label on the page (SVG text or the chart's label elements) and its box. */
const LABEL_BOXES = `[...document.querySelectorAll("main svg text, main .chart-label")]
  .filter((e) => e.textContent.trim() !== "")
  .map((e) => {
    const r = e.getBoundingClientRect();
    return { text: e.textContent, left: r.left, top: r.top, right: r.right, bottom: r.bottom,
      fontPx: parseFloat(getComputedStyle(e).fontSize) };
  })`;

/**
 * Chart labels are legible: no two overlap, each lies inside the viewport, none is stretched (a
 * glyph is never wider than its font size) and the text is at least 10 px.
 */
export async function assertLegibleLabels(page: Page, where: string): Promise<number> {
  const boxes = await page.evaluate<LabelBox[]>(LABEL_BOXES);
  const width = await page.evaluate<number>("window.innerWidth");
  for (const b of boxes) {
    assert.ok(b.fontPx >= 10, `${where}: label "${b.text}" is ${b.fontPx}px`);
    assert.ok(b.left >= -0.5 && b.right <= width + 0.5, `${where}: label "${b.text}" leaves the screen`);
    const perGlyph = (b.right - b.left) / b.text.length;
    assert.ok(
      perGlyph <= b.fontPx,
      `${where}: label "${b.text}" is stretched (${perGlyph.toFixed(1)}px a glyph)`,
    );
  }
  for (let i = 0; i < boxes.length; i++)
    for (let j = i + 1; j < boxes.length; j++) {
      const a = boxes[i]!;
      const b = boxes[j]!;
      const overlap =
        Math.min(a.right, b.right) - Math.max(a.left, b.left) > 0.5 &&
        Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top) > 0.5;
      assert.ok(!overlap, `${where}: labels "${a.text}" and "${b.text}" overlap`);
    }
  return boxes.length;
}

/**
 * Opens an explorer route and waits for `selector`; a page that rendered its error instead, or
 * never rendered, fails with what it shows.
 */
export async function openExplorer(
  page: Page,
  url: string,
  selector: string,
  timeout = 30_000,
): Promise<void> {
  await page.goto(url);
  try {
    await page.waitForSelector(`${selector}, #view h1:text-is("Error")`, { timeout });
  } catch (e) {
    throw new Error(
      `${url}: ${selector} did not appear; the page shows: ${await page.textContent("#view")}`,
      {
        cause: e,
      },
    );
  }
  if (!(await page.locator(selector).count())) throw new Error(`${url}: ${await page.textContent("#view")}`);
}
