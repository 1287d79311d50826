#!/usr/bin/env node
// Entry point for `npx racecoin`: re-runs the TypeScript CLI under tsx so workers inherit the loader.
import { spawnSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const main = join(root, "src", "cli", "main.ts");
// Resolve tsx from this package, not from the caller's directory.
const tsx = import.meta.resolve("tsx");
// glibc returns freed large blocks to the system only below its mmap threshold, which otherwise
// grows with the largest block freed: pinned, a mainnet race backend can prepack its weights and
// still peak at ~1.3 × their size (spec/race.md §Memory). A value the caller set wins.
const result = spawnSync(process.execPath, ["--import", tsx, main, ...process.argv.slice(2)], {
  stdio: "inherit",
  env: { MALLOC_MMAP_THRESHOLD_: "131072", ...process.env },
});
process.exit(result.status ?? 1);
