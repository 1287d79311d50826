import { sha256 } from "@noble/hashes/sha2.js";
import { verifyRound } from "../../beacon/index.ts";
import { equalBytes, fromHex, toHex } from "../../types/index.ts";
import { type Command, parse, parsePositiveInt, UsageError } from "../args.ts";
import { rpcCall } from "../rpcClient.ts";

interface RoundJson {
  round: number;
  output: string;
  signature: string;
  signers: number[];
  height: number;
  previous: string | null;
  groupKey: string | null;
  dkgCycle: number | null;
}

export const beaconCommand: Command = {
  name: "beacon",
  summary: "the randomness beacon: the latest output, and verify an output against the group key",
  help: `racecoin beacon — the randomness beacon

Usage:
  racecoin beacon latest [--rpc URL] [--json]
  racecoin beacon verify --round N [--rpc URL]

latest: the newest completed round (number, output, height, signers).

Fetches round N from a node and checks it without trusting that node's verdict: the group key must
be the one the cycle's DKG produced (beacon_getCommittee), the round must chain on round N − 1's
output, the group BLS signature must verify over [chainId, N, previous output], and the output
must be SHA-256 of the signature. Exit code 0 if all hold, 1 (with the reason) if not.

Examples:
  racecoin beacon latest
  racecoin beacon verify --round 3
  racecoin beacon verify --round 12 --rpc http://127.0.0.1:8546
`,
  async run(argv) {
    const { values, positionals } = parse(
      argv,
      { rpc: { type: "string" }, round: { type: "string" }, json: { type: "boolean" } },
      "beacon",
    );
    const rpc = values.rpc ?? "http://127.0.0.1:8545";
    if (positionals[0] === "latest") {
      const latest = await rpcCall<RoundJson | null>(rpc, "beacon_getLatest");
      if (values.json) process.stdout.write(`${JSON.stringify(latest, null, 2)}\n`);
      else if (!latest)
        process.stdout.write(
          "no beacon round has completed yet (the first DKG must finish; see beacon_getCommittee)\n",
        );
      else
        process.stdout.write(
          `round ${latest.round} at height ${latest.height}: output ${latest.output} (signers ${latest.signers.join(", ")}, key of cycle ${latest.dkgCycle}'s DKG)\n`,
        );
      return 0;
    }
    if (positionals[0] !== "verify")
      throw new UsageError(
        'beacon: expected the subcommand "latest" or "verify"\nRun "racecoin beacon --help".',
      );
    const round = parsePositiveInt(values.round, "--round");
    if (round === undefined) throw new UsageError("beacon verify: --round N is required");
    const fail = (why: string) => {
      process.stderr.write(`round ${round} does NOT verify: ${why}\n`);
      return 1;
    };
    const r = await rpcCall<RoundJson | null>(rpc, "beacon_getRound", [round]);
    if (!r) {
      const latest = await rpcCall<RoundJson | null>(rpc, "beacon_getLatest");
      process.stderr.write(
        `round ${round} has not been produced yet (latest completed round: ${latest?.round ?? "none"}); nothing to verify\n`,
      );
      return 1;
    }
    if (!r.groupKey || r.dkgCycle === null || !r.previous)
      return fail("the node's record lacks the group key or the previous output");
    const committee = await rpcCall<{ groupKey: string | null } | null>(rpc, "beacon_getCommittee", [
      r.dkgCycle,
    ]);
    if (!committee?.groupKey || committee.groupKey !== r.groupKey)
      return fail(`group key differs from the one cycle ${r.dkgCycle}'s DKG produced`);
    const previous =
      round === 1
        ? toHex(new Uint8Array(32))
        : (await rpcCall<RoundJson | null>(rpc, "beacon_getRound", [round - 1]))?.output;
    if (previous !== r.previous) return fail(`it does not chain on round ${round - 1}'s output`);
    const chainId = BigInt(await rpcCall<string>(rpc, "eth_chainId"));
    const signature = fromHex(r.signature);
    if (!verifyRound(fromHex(r.groupKey), chainId, round, fromHex(r.previous), signature))
      return fail("the group signature does not verify under the group key");
    if (!equalBytes(sha256(signature), fromHex(r.output)))
      return fail("the output is not SHA-256 of the signature");
    process.stdout.write(
      `${JSON.stringify({ round, output: r.output, verified: true, groupKey: r.groupKey, signers: r.signers }, null, 2)}\n`,
    );
    return 0;
  },
};
