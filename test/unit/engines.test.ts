// The declared engines must be true: no installed package may require a newer Node than
// package.json promises (npm ci warned EBADENGINE for p-retry@8, which wants Node 22).
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";

/** The lowest version a range like ">=20.19" or "^18.17.0 || >=20.5.0" needs, as [major, minor]. */
function floors(range: string): [number, number][] {
  return range.split("||").map((alt) => {
    const m = /(?:>=|\^|~)?\s*v?(\d+)(?:\.(\d+))?/.exec(alt.trim());
    return m ? [Number(m[1]), Number(m[2] ?? 0)] : [0, 0];
  });
}

describe("engines", () => {
  it("every locked package accepts the Node version package.json declares", () => {
    const pkg = JSON.parse(readFileSync("package.json", "utf8")) as { engines: { node: string } };
    const [[major, minor]] = floors(pkg.engines.node) as [[number, number]];
    const lock = JSON.parse(readFileSync("package-lock.json", "utf8")) as {
      packages: Record<string, { version?: string; engines?: { node?: string } | string[] }>;
    };
    const tooNew: string[] = [];
    for (const [path, p] of Object.entries(lock.packages)) {
      const node = !Array.isArray(p.engines) ? p.engines?.node : undefined;
      if (!path || !node) continue;
      // Accepted if any alternative's floor is at or below the declared minimum.
      const ok = floors(node).some(([ma, mi]) => ma < major || (ma === major && mi <= minor));
      if (!ok) tooNew.push(`${path.replace(/^node_modules\//, "")}@${p.version} wants node ${node}`);
    }
    assert.deepEqual(tooNew, [], `packages that need a newer Node than ${pkg.engines.node}`);
  });
});
