// Gossip validation of proposals: a re-proposal of the valid value carries a block another
// validator built in an earlier round, and must be accepted from the round's proposer (the
// honest-peer bans seen after devnet restarts came from rejecting exactly these).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type Proposal, ProposerSchedule, proposalSignBytes } from "../../src/consensus/index.ts";
import { blsSign } from "../../src/crypto/index.ts";
import { headerHash } from "../../src/encoding/index.ts";
import { proposalVerdict } from "../../src/services/index.ts";
import { equalBytes } from "../../src/types/index.ts";
import { devBlsKeys, memoryChain } from "../helpers/chain.ts";

describe("proposal gossip verdict", () => {
  it("accepts a re-proposal of another validator's block from the round's proposer; rejects impostors", async () => {
    const { chain, genesis } = await memoryChain();
    const set = chain.validatorsAt(1);
    const schedule = new ProposerSchedule(set, genesis.preset.cycleLength);
    const a = schedule.proposer(1, 0);
    const round = [1, 2, 3, 4].find((r) => schedule.proposer(1, r) !== a)!;
    const b = schedule.proposer(1, round);
    const built = await chain.buildProposal(() => [], set.validators[a]!.address, chain.head.time + 500n);
    const block = built.block;
    const keyOf = (i: number) =>
      devBlsKeys.find((k) => equalBytes(k.publicKey, set.validators[i]!.blsKey))!.secretKey;
    const sign = (signer: number, r: number, polRound: number): Proposal => {
      const fields = { height: 1, round: r, polRound };
      const sig = blsSign(
        keyOf(signer),
        "proposal",
        proposalSignBytes(genesis.chainId, fields, headerHash(block.header)),
      );
      return { ...fields, block, signature: sig };
    };
    const verdict = (p: Proposal) => proposalVerdict(p, set, schedule, genesis.chainId);
    assert.equal(verdict(sign(a, 0, 0)), "accept", "a fresh proposal by its builder");
    assert.equal(verdict(sign(b, round, 1)), "accept", "the valid value re-proposed by the round's proposer");
    assert.equal(verdict(sign(a, round, 1)), "reject", "signed by someone who is not the round's proposer");
    assert.equal(
      verdict(sign(b, round, 0)),
      "reject",
      "a fresh proposal must carry its proposer's own block",
    );
    assert.equal(verdict(sign(b, round, round + 1)), "reject", "a proof-of-lock round from the future");
  });
});
