// Enforces the dependency direction: a subsystem may import only from its own files, from lower
// layers, and from another subsystem only through that subsystem's index.ts.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";

const layers: Record<string, number> = {
  params: 0,
  types: 0,
  logger: 0,
  metrics: 0,
  encoding: 1,
  crypto: 1,
  tx: 2,
  trie: 2,
  race: 2,
  beacon: 2,
  consensus: 2,
  training: 2,
  contracts: 3,
  inference: 3,
  state: 3,
  db: 4,
  miner: 4,
  models: 4,
  network: 4,
  wal: 4,
  chain: 5,
  mempool: 6,
  sync: 7,
  rpc: 7,
  services: 8,
  node: 9,
  cli: 10,
  sim: 11,
};

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? files(p) : p.endsWith(".ts") || p.endsWith(".js") ? [p] : [];
  });
}

function subsystemOf(path: string): string | undefined {
  const rel = relative(process.cwd(), path).split("/");
  if (rel[0] === "contracts") return "contracts";
  return rel[0] === "src" ? rel[1] : undefined;
}

const problems: string[] = [];
for (const file of [...files("src"), ...files("contracts")]) {
  const from = subsystemOf(file)!;
  const text = readFileSync(file, "utf8");
  for (const m of text.matchAll(/from\s+"(\.[^"]+)"/g)) {
    const target = resolve(dirname(file), m[1]!);
    const to = subsystemOf(target);
    if (!to || to === from) continue;
    if (layers[to] === undefined || layers[from] === undefined) {
      problems.push(`${file}: subsystem ${to} or ${from} has no layer in scripts/check-deps.ts`);
      continue;
    }
    if (layers[to]! > layers[from]!)
      problems.push(`${file}: ${from} (layer ${layers[from]}) imports ${to} (layer ${layers[to]})`);
    const viaIndex =
      to === "contracts" ? target.endsWith("contracts/index.ts") : target.endsWith(`src/${to}/index.ts`);
    if (!viaIndex) problems.push(`${file}: imports ${relative(process.cwd(), target)}; use ${to}/index.ts`);
  }
}
if (problems.length > 0) {
  process.stderr.write(`dependency check failed:\n  ${problems.join("\n  ")}\n`);
  process.exit(1);
}
process.stdout.write("dependency check: ok\n");
