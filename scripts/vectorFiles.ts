// Writing spec vector files from the generators: JSON with a trailing newline, written only when it
// changed; with --check on the command line nothing is written and each stale file is reported
// (`done()` then exits 1).
import { readFileSync, writeFileSync } from "node:fs";

export function vectorFiles() {
  const check = process.argv.includes("--check");
  let stale = 0;
  return {
    write(path: string, value: unknown): void {
      const text = `${JSON.stringify(value, null, 2)}\n`;
      let old = "";
      try {
        old = readFileSync(path, "utf8");
      } catch {}
      if (old === text) return;
      if (check) {
        process.stderr.write(`stale vector file: ${path}\n`);
        stale++;
      } else writeFileSync(path, text);
    },
    done(): void {
      if (stale > 0) process.exit(1);
    },
  };
}
