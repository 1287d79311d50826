// The beacon's on-chain transition (src/beacon/state.ts): a whole DKG and rounds through
// applyBeacon, and every malformed message refused with a reason and no change to the state.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  applyBeacon,
  BeaconError,
  type BeaconParams,
  type BeaconState,
  combinePartials,
  combineShares,
  complaintMessage,
  dealingMessage,
  initialBeaconState,
  makeDealing,
  outputMessage,
  partialSign,
  receiveShare,
} from "../../src/beacon/index.ts";
import { devnetGenesisJson, parseGenesis } from "../../src/chain/index.ts";
import { deriveBlsKeys, TEST_MNEMONIC } from "../../src/crypto/index.ts";
import type { BeaconMessage } from "../../src/types/index.ts";

const genesis = parseGenesis(devnetGenesisJson(4));
const validators = genesis.validators;
const keys = deriveBlsKeys(TEST_MNEMONIC, 4);
const p: BeaconParams = {
  cycleLength: 60,
  committeeSize: 4,
  dealingBlocks: 20,
  complaintBlocks: 20,
  roundInterval: 10,
};
const chainId = genesis.chainId;

/** Secret key of committee member `index` (the committee is ordered by weight, then address). */
function skOf(s: BeaconState, index: number): Uint8Array {
  const pk = s.committee.members.find((m) => m.index === index)!.blsKey;
  return keys.find((k) => Buffer.from(k.publicKey).equals(Buffer.from(pk)))!.secretKey;
}

function apply(s: BeaconState, height: number, msgs: BeaconMessage[]) {
  return applyBeacon(s, height, msgs, validators, p, chainId);
}

function refuses(s: BeaconState, height: number, msgs: BeaconMessage[], reason: RegExp) {
  const before = JSON.stringify(s, (_, v) => (typeof v === "bigint" ? v.toString() : v));
  assert.throws(
    () => apply(s, height, msgs),
    (e: unknown) => e instanceof BeaconError && reason.test(e.message),
  );
  assert.equal(
    JSON.stringify(s, (_, v) => (typeof v === "bigint" ? v.toString() : v)),
    before,
    "state unchanged",
  );
}

describe("beacon on chain", () => {
  it("runs a DKG over blocks, switches keys at the cycle, and completes chained rounds", () => {
    let s = initialBeaconState(validators, p);
    const dealings = s.committee.members.map((m) =>
      dealingMessage(chainId, 0, makeDealing(s.committee, m.index), skOf(s, m.index)),
    );
    s = apply(s, 1, dealings.slice(0, 2)).state;
    s = apply(s, 2, dealings.slice(2)).state;
    assert.equal(s.dealings.length, 4);
    for (let h = 3; h < 40; h++) s = apply(s, h, []).state;
    const fixed = apply(s, 40, []);
    assert.ok(fixed.dkg?.key, fixed.dkg?.reason);
    assert.deepEqual(fixed.dkg.key.qualified, [1, 2, 3, 4]);
    s = fixed.state;
    assert.equal(s.active, undefined, "the key waits for the next cycle");
    // Cycle 1: the key is active and round 1 is open (height 60 ≥ 1 × 10).
    const shares = s.committee.members.map((m) => {
      const got = new Map<number, bigint>();
      for (const d of s.dealings) {
        const r = receiveShare(s.committee, d, m, skOf(s, m.index));
        if ("share" in r) got.set(d.dealer, r.share);
      }
      return { index: m.index, x: combineShares(got, fixed.dkg!.key!.qualified) };
    });
    let pre = apply(s, 60, []).state;
    assert.ok(pre.active);
    for (const round of [1, 2]) {
      const partials = shares
        .slice(0, 3)
        .map((sh) => ({ index: sh.index, signature: partialSign(sh.x, chainId, round, pre.output) }));
      const msg = outputMessage(round, partials, combinePartials(partials, 3));
      const t = apply(pre, 60 + round, [msg]);
      assert.equal(t.rounds.length, 1);
      assert.equal(t.state.round, round);
      assert.notDeepEqual(t.state.output, pre.output);
      // Bad outputs for the same round: refused, state unchanged.
      const wrongPartial = [{ ...partials[0]!, signature: partials[1]!.signature }, ...partials.slice(1)];
      refuses(pre, 60 + round, [outputMessage(round, wrongPartial, msg.signature)], /does not verify/);
      refuses(
        pre,
        60 + round,
        [outputMessage(round, partials.slice(0, 2), msg.signature)],
        /exactly 3 partials/,
      );
      refuses(pre, 60 + round, [outputMessage(round + 1, partials, msg.signature)], /not open/);
      refuses(pre, 60 + round, [{ ...msg, signature: partials[0]!.signature }], /not the combination/);
      refuses(pre, 60 + round, [msg, msg], /one round output per block|not open/);
      pre = t.state;
    }
  });

  it("refuses malformed, misplaced, forged and duplicate DKG messages", () => {
    const s0 = initialBeaconState(validators, p);
    const d1 = dealingMessage(chainId, 0, makeDealing(s0.committee, 1), skOf(s0, 1));
    const s1 = apply(s0, 1, [d1]).state;
    refuses(s1, 2, [d1], /already dealt/);
    refuses(s0, 25, [d1], /outside the dealing phase/);
    refuses(s0, 1, [{ ...d1, epoch: 1 }], /cycle 1 in cycle 0/);
    refuses(s0, 1, [{ ...d1, sender: 2 }], /signature does not verify/);
    refuses(s0, 1, [{ ...d1, sender: 9 }], /not in the committee/);
    refuses(s0, 1, [{ ...d1, body: d1.body.subarray(0, 10) }], /signature|encod|expected|malformed/i);
    const forged = dealingMessage(chainId, 0, makeDealing(s0.committee, 2), skOf(s0, 3));
    refuses(s0, 1, [{ ...forged, sender: 2 }], /signature does not verify/);
    // Complaints: only in the complaint phase, only with a valid proof, only once.
    let s = s1;
    for (let h = 2; h < 20; h++) s = apply(s, h, []).state;
    const self = s.committee.members.find((m) => m.index === 2)!;
    const bad = {
      ...s.dealings[0]!,
      shares: s.dealings[0]!.shares.map((x, k) =>
        k === 1 ? { ...x, ciphertext: new Uint8Array(32).fill(3) } : x,
      ),
    };
    const r = receiveShare(s.committee, bad, self, skOf(s, 2));
    assert.ok("complaint" in r);
    const c = complaintMessage(0, r.complaint);
    refuses(s, 19, [c], /outside the complaint phase/);
    // Member 2's share on chain is in fact good: the complaint is well-formed (its key proof holds for
    // the recorded ciphertext's ephemeral key), so it is recorded — and convicts nobody at the deadline.
    const withComplaint = apply(s, 20, [c]).state;
    assert.equal(withComplaint.complaints.length, 1);
    // At the deadline the false complaint is member 2's proven fault; the DKG fails (one dealer),
    // and member 3 and 4, which never dealt, are not at fault (spec/beacon.md §Faults).
    let end = withComplaint;
    for (let h = 21; h < 40; h++) end = apply(end, h, []).state;
    const outcome = apply(end, 40, []).dkg!;
    assert.equal(outcome.key, null);
    assert.deepEqual(
      outcome.faults.map((f) => [f.member, f.reason]),
      [[2, "false complaint against member 1"]],
    );
    assert.deepEqual(outcome.faults[0]!.address, s.committee.addresses[1]);
    refuses(withComplaint, 21, [c], /duplicate complaint/);
    const brokenProof = complaintMessage(0, {
      ...r.complaint,
      proof: Uint8Array.from(r.complaint.proof, (b, k) => (k === 40 ? b ^ 1 : b)),
    });
    refuses(s, 20, [brokenProof], /proof does not verify/);
    refuses(s, 20, [{ ...c, body: c.body.subarray(1) }], /expected|encod|malformed/i);
    refuses(s, 20, [complaintMessage(0, { ...r.complaint, dealer: 4 })], /no dealing by member 4/);
  });
});
