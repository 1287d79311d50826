// `racecoin gov` refuses bad usage before it signs or reaches a node (exit 2 with a pointer to
// --help), and explains itself.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { describe, it } from "node:test";

function racecoin(args: string[]) {
  const r = spawnSync(process.execPath, ["--import", "tsx", "src/cli/main.ts", ...args], {
    encoding: "utf8",
    timeout: 60_000,
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const key = ["--private-key", `0x${"11".repeat(32)}`, "--rpc", "http://127.0.0.1:9"];

describe("racecoin gov", () => {
  it("explains itself and refuses bad usage with exit 2", () => {
    const help = racecoin(["gov", "--help"]);
    assert.equal(help.code, 0);
    for (const s of [
      "propose param",
      "propose model",
      "propose grant",
      "training-share",
      "training-job",
      "deposit",
      "vote",
      "status",
      "Example",
    ])
      assert.ok(help.out.includes(s), s);
    const cases: [string[], RegExp][] = [
      [["gov", "frobnicate"], /expected propose, deposit, vote or status/],
      [["gov", "propose", "param", "--deposit", "10", ...key], /--title TEXT is required/],
      [
        ["gov", "propose", "nope", "--title", "t", "--deposit", "10", ...key],
        /expected param, model, retire, grant, training-share or training-job/,
      ],
      [
        [
          "gov",
          "propose",
          "param",
          "--title",
          "t",
          "--deposit",
          "10",
          "--module",
          "tasks",
          "--param",
          "x",
          "--value",
          "-1",
          ...key,
        ],
        /--value/,
      ],
      [
        [
          "gov",
          "propose",
          "grant",
          "--title",
          "t",
          "--deposit",
          "1",
          "--to",
          "0x12",
          "--amount",
          "1",
          ...key,
        ],
        /--to/,
      ],
      [["gov", "vote", "--id", "1", "--option", "maybe", ...key], /--option yes\|no\|abstain\|veto/],
      [["gov", "deposit", "--id", "x", "--amount", "1", ...key], /--id/],
      [
        ["gov", "propose", "model", "--title", "t", "--deposit", "1", "--file", "/nonexistent.json", ...key],
        /--file: no such file/,
      ],
      [
        [
          "gov",
          "propose",
          "model",
          "--title",
          "t",
          "--deposit",
          "1",
          "--dir",
          "/nonexistent",
          "--model",
          "m",
          ...key,
        ],
        /nonexistent/,
      ],
      [
        ["gov", "propose", "model", "--title", "t", "--deposit", "1", ...key],
        /--file ENTRY.json or --dir DIR/,
      ],
      [
        [
          "gov",
          "propose",
          "training-job",
          "--title",
          "t",
          "--deposit",
          "1",
          "--budget",
          "5",
          "--model-hash",
          "0x12",
          ...key,
        ],
        /--model-hash 0xHASH: 32 bytes/,
      ],
      [["train", "status", "--job", "zero"], /--job: expected a positive integer/],
    ];
    for (const [args, reason] of cases) {
      const r = racecoin(args);
      assert.equal(r.code, 2, `${args.join(" ")}: ${r.err}`);
      assert.match(r.err, reason, args.join(" "));
    }
  });
});
