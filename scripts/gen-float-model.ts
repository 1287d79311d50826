// Writes the built-in tolerance-class model's files to genesis/models/racecoin-float-tiny/ and
// prints their hashes (the registry's entry lists them); --check reports a stale file instead.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { filesHash, sha256Hex } from "../src/inference/index.ts";
import { floatModelFiles } from "./floatModel.ts";

const id = "racecoin-float-tiny";
const dir = join("genesis", "models", id);
const check = process.argv.includes("--check");
let stale = 0;
mkdirSync(dir, { recursive: true });
const files = [...floatModelFiles(id)];
for (const [name, bytes] of files) {
  const path = join(dir, name);
  let old: Uint8Array | undefined;
  try {
    old = new Uint8Array(readFileSync(path));
  } catch {}
  const same = old !== undefined && Buffer.compare(Buffer.from(old), Buffer.from(bytes)) === 0;
  if (!same && check) {
    process.stderr.write(`stale model file: ${path}\n`);
    stale++;
  } else if (!same) writeFileSync(path, bytes);
  console.log(`${name.padEnd(16)} ${String(bytes.length).padStart(9)} bytes  ${sha256Hex(bytes)}`);
}
console.log(`files hash       ${filesHash(files.map(([name, b]) => ({ name, sha256: sha256Hex(b) })))}`);
if (stale > 0) process.exit(1);
