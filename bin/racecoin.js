#!/usr/bin/env node
// Entry point for `npx racecoin`: re-runs the TypeScript CLI under tsx so workers inherit the loader.
import { spawnSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const main = join(root, "src", "cli", "main.ts");
// Resolve tsx from this package, not from the caller's directory.
const tsx = import.meta.resolve("tsx");
const result = spawnSync(process.execPath, ["--import", tsx, main, ...process.argv.slice(2)], {
  stdio: "inherit",
});
process.exit(result.status ?? 1);
