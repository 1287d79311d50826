// Input parsing a person meets in the CLI: addresses as wallets check them, amounts as ethers
// parses them.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseEther as ethersParseEther, getAddress } from "ethers";
import { parse, parseEther, UsageError } from "../../src/cli/args.ts";
import { parseAddress, toHex } from "../../src/types/index.ts";

describe("CLI input", () => {
  it("refuses an address whose EIP-55 checksum is broken, as ethers does; accepts all-lower and all-upper", () => {
    const good = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";
    const typo = "0x70997970C51812dc3A010C7d01b50e0d17dc79C9";
    assert.equal(toHex(parseAddress(good)), good.toLowerCase());
    assert.throws(() => getAddress(typo), /bad address checksum/);
    assert.throws(() => parseAddress(typo, "--to"), /--to: bad address checksum/);
    assert.equal(toHex(parseAddress(good.toLowerCase())), good.toLowerCase());
    assert.equal(toHex(parseAddress(`0x${good.slice(2).toUpperCase()}`)), good.toLowerCase());
    assert.throws(() => parseAddress("0x1234"), /expected 20 bytes/);
  });

  it("parses amounts like ethers' parseEther and refuses negatives and excess decimals clearly", () => {
    for (const v of ["1", "1.5", "0.000000000000000001", ".5", "2.", "0"])
      assert.equal(parseEther(v, "--value"), ethersParseEther(v), v);
    assert.throws(() => parseEther("-1", "--value"), /cannot be negative/);
    assert.throws(() => parseEther("1.0000000000000000001", "--value"), /too many decimals/);
    for (const v of ["", ".", "1e18", "abc", "1,5"])
      assert.throws(() => parseEther(v, "--value"), UsageError, v);
  });

  it("explains how to pass a value that starts with a dash", () => {
    assert.throws(
      () => parse(["--value", "-1"], { value: { type: "string" } }, "tx"),
      (e: unknown) =>
        e instanceof UsageError &&
        /--value: its value is ambiguous .* write it as --value=-…/.test(e.message),
    );
  });
});
