import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { bls12_381 } from "@noble/curves/bls12-381.js";
import {
  type Committee,
  checkDealing,
  chooseK,
  combinePartials,
  combineShares,
  complaintUpheld,
  type DealingMessage,
  DkgError,
  deal,
  evalPoly,
  FR_ORDER,
  finalizeDkg,
  lagrangeAtZero,
  makeDealing,
  partialSign,
  proveSharedKey,
  receiveShare,
  roundOutput,
  scalarToBytes,
  selectedByWeight,
  selectionInput,
  shareFor,
  thresholdFor,
  VrfError,
  verifyPartial,
  verifyRound,
  vrfProve,
  vrfVerify,
} from "../../src/beacon/index.ts";
import { deriveBlsKeys, TEST_MNEMONIC } from "../../src/crypto/index.ts";

const G1 = bls12_381.G1.Point;

const chainId = 72270n;
const prev = new Uint8Array(32);

function committee(n: number) {
  const keys = deriveBlsKeys(TEST_MNEMONIC, n);
  const c: Committee = {
    members: keys.map((k, i) => ({ index: i + 1, blsKey: k.publicKey })),
    threshold: thresholdFor(n),
  };
  return { c, keys };
}

/** Run a whole DKG in memory; `tamper` lets a dealer corrupt what it sends. */
function runDkg(n: number, opts: { absent?: number[]; tamper?: (d: DealingMessage) => DealingMessage } = {}) {
  const { c, keys } = committee(n);
  const dealings = c.members
    .filter((m) => !(opts.absent ?? []).includes(m.index))
    .map((m) => {
      const d = makeDealing(c, m.index);
      return m.index === 1 && opts.tamper ? opts.tamper(d) : d;
    });
  const received = c.members.map(() => new Map<number, bigint>());
  const complaints = [];
  for (const d of dealings)
    for (const [k, m] of c.members.entries()) {
      const r = receiveShare(c, d, m, keys[k]!.secretKey);
      if ("share" in r) received[k]!.set(d.dealer, r.share);
      else complaints.push(r.complaint);
    }
  const result = finalizeDkg(c, dealings, complaints);
  const shares = c.members.map((_, k) => combineShares(received[k]!, result.qualified));
  return { c, keys, dealings, complaints, result, shares };
}

describe("threshold sharing", () => {
  it("any t shares interpolate to the secret; t − 1 shares are consistent with every secret", () => {
    const t = 3;
    const d = deal(t);
    const shares = [1, 2, 3, 4, 5].map((i) => ({ i, s: shareFor(d, i) }));
    for (const subset of [
      [0, 1, 2],
      [1, 3, 4],
      [0, 2, 4],
    ]) {
      const pts = subset.map((k) => shares[k]!);
      const l = lagrangeAtZero(pts.map((p) => p.i));
      const secret = pts.reduce((acc, p, k) => (acc + p.s * l[k]!) % FR_ORDER, 0n);
      assert.equal(secret, d.coefficients[0]);
    }
    // Two colluders (t − 1): for any candidate secret there is a degree-2 polynomial through it and
    // their shares, so their view rules nothing out — and it predicts a different share for member 3.
    const colluders = shares.slice(0, 2);
    for (const candidate of [1n, 42n, FR_ORDER - 5n]) {
      const xs = [0, colluders[0]!.i, colluders[1]!.i];
      const ys = [candidate, colluders[0]!.s, colluders[1]!.s];
      const at = (x: number) => {
        let acc = 0n;
        for (let a = 0; a < 3; a++) {
          let num = 1n;
          let den = 1n;
          for (let b = 0; b < 3; b++) {
            if (a === b) continue;
            num = (num * BigInt(x - xs[b]!)) % FR_ORDER;
            den = (den * BigInt(xs[a]! - xs[b]!)) % FR_ORDER;
          }
          const inv = modInv(((den % FR_ORDER) + FR_ORDER) % FR_ORDER);
          acc = (acc + ys[a]! * ((num + FR_ORDER) % FR_ORDER) * inv) % FR_ORDER;
        }
        return acc;
      };
      assert.equal(at(colluders[0]!.i), colluders[0]!.s);
      assert.equal(at(colluders[1]!.i), colluders[1]!.s);
      assert.equal(at(0), candidate % FR_ORDER);
    }
    assert.equal(evalPoly(d.coefficients, 0n), d.coefficients[0]);
  });
});

function modInv(a: bigint): bigint {
  let [r0, r1, s0, s1] = [a, FR_ORDER, 1n, 0n];
  while (r1 !== 0n) {
    const q = r0 / r1;
    [r0, r1] = [r1, r0 - q * r1];
    [s0, s1] = [s1, s0 - q * s1];
  }
  return ((s0 % FR_ORDER) + FR_ORDER) % FR_ORDER;
}

describe("DKG and beacon rounds", () => {
  it("4 members: any t partials give the same verifiable output; the group key matches the shares", () => {
    const { c, result, shares } = runDkg(4);
    assert.equal(c.threshold, 3);
    assert.deepEqual(result.qualified, [1, 2, 3, 4]);
    const l = lagrangeAtZero([1, 2, 3]);
    const secret = shares.slice(0, 3).reduce((acc, x, k) => (acc + x * l[k]!) % FR_ORDER, 0n);
    assert.deepEqual(result.groupKey, G1.BASE.multiply(secret).toBytes(), "group key = F(0)·G1");
    const partials = shares.map((x, k) => ({ index: k + 1, signature: partialSign(x, chainId, 1, prev) }));
    for (const [k, p] of partials.entries())
      assert.ok(verifyPartial(result.publicShares[k]!, chainId, 1, prev, p.signature));
    const outputs = new Set<string>();
    for (const subset of [
      [0, 1, 2],
      [1, 2, 3],
      [0, 2, 3],
      [0, 1, 3],
    ]) {
      const sig = combinePartials(
        subset.map((k) => partials[k]!),
        c.threshold,
      );
      assert.ok(verifyRound(result.groupKey, chainId, 1, prev, sig));
      outputs.add(Buffer.from(roundOutput(sig)).toString("hex"));
    }
    assert.equal(outputs.size, 1, "every subset of t partials gives the same output");
    // The next round chains on the output and differs.
    const sig2 = combinePartials(
      shares.slice(0, 3).map((x, k) => ({
        index: k + 1,
        signature: partialSign(x, chainId, 2, roundOutput(combinePartials(partials.slice(0, 3), 3))),
      })),
      3,
    );
    assert.notEqual(Buffer.from(roundOutput(sig2)).toString("hex"), [...outputs][0]);
  });

  it("a withheld dealing or partial neither stalls the beacon nor changes its output", () => {
    const { c, result, shares } = runDkg(5, { absent: [5] });
    assert.deepEqual(result.qualified, [1, 2, 3, 4]);
    const partials = shares.map((x, k) => ({ index: k + 1, signature: partialSign(x, chainId, 7, prev) }));
    const withoutMember2 = partials.filter((p) => p.index !== 2);
    const a = roundOutput(combinePartials(withoutMember2, c.threshold));
    const b = roundOutput(combinePartials(partials.slice(0, c.threshold), c.threshold));
    assert.deepEqual(a, b);
  });

  it("a dealer sending a bad share is disqualified by a complaint every node verifies; false complaints fail", () => {
    const { c, keys, dealings, complaints, result } = runDkg(4, {
      tamper: (d) => {
        const shares = [...d.shares];
        const bad = {
          ...shares[1]!,
          ciphertext: Uint8Array.from(shares[1]!.ciphertext, (b, i) => (i === 31 ? b ^ 1 : b)),
        };
        shares[1] = bad;
        return { ...d, shares };
      },
    });
    assert.equal(complaints.length, 1);
    assert.equal(complaints[0]!.complainer, 2);
    assert.ok(complaintUpheld(c, dealings[0]!, complaints[0]!));
    assert.deepEqual(result.qualified, [2, 3, 4]);
    assert.deepEqual(
      result.disqualified.map((d) => d.dealer),
      [1],
    );
    // A false complaint against an honest dealer: the revealed key decrypts a good share.
    const honest = dealings[1]!;
    const m3 = c.members[2]!;
    const r = receiveShare(c, honest, m3, keys[2]!.secretKey);
    assert.ok("share" in r);
    const { shared, proof } = proveSharedKey(keys[2]!.secretKey, honest.shares[2]!.ephemeral);
    const falseComplaint = { complainer: 3, dealer: honest.dealer, sharedKey: shared, proof };
    assert.equal(complaintUpheld(c, honest, falseComplaint), false);
    // …and it convicts nobody when the outcome is computed, but proves the complainer's fault.
    const judged = finalizeDkg(c, dealings, [...complaints, falseComplaint]);
    assert.deepEqual(judged.qualified, [2, 3, 4]);
    assert.deepEqual(judged.falseComplaints, [{ complainer: 3, dealer: 2 }]);
    assert.deepEqual(result.falseComplaints, [], "the upheld complaint is not false");
  });

  it("forged partials and malformed messages are rejected with a reason", () => {
    const { c, result, shares } = runDkg(4);
    const forged = partialSign(shares[0]! + 1n, chainId, 1, prev);
    assert.equal(verifyPartial(result.publicShares[0]!, chainId, 1, prev, forged), false);
    assert.equal(
      verifyPartial(result.publicShares[0]!, chainId, 2, prev, partialSign(shares[0]!, chainId, 1, prev)),
      false,
    );
    const mixed = [
      { index: 1, signature: forged },
      { index: 2, signature: partialSign(shares[1]!, chainId, 1, prev) },
      { index: 3, signature: partialSign(shares[2]!, chainId, 1, prev) },
    ];
    assert.equal(verifyRound(result.groupKey, chainId, 1, prev, combinePartials(mixed, 3)), false);
    assert.throws(() => combinePartials(mixed.slice(0, 2), 3), /need 3 partials/);
    assert.throws(
      () => combinePartials([{ index: 1, signature: new Uint8Array(96) }, ...mixed.slice(1)], 3),
      /invalid partial/,
    );
    const d = makeDealing(c, 1);
    assert.throws(() => checkDealing(c, { ...d, commitments: d.commitments.slice(1) }), DkgError);
    assert.throws(
      () => checkDealing(c, { ...d, commitments: [new Uint8Array(48).fill(7), ...d.commitments.slice(1)] }),
      DkgError,
    );
    assert.throws(() => checkDealing(c, { ...d, shares: d.shares.slice(1) }), DkgError);
    assert.throws(
      () =>
        complaintUpheld(c, d, {
          complainer: 2,
          dealer: 1,
          sharedKey: new Uint8Array(48),
          proof: new Uint8Array(64),
        }),
      DkgError,
    );
    assert.throws(
      () =>
        complaintUpheld(c, d, {
          complainer: 9,
          dealer: 1,
          sharedKey: new Uint8Array(48),
          proof: new Uint8Array(64),
        }),
      DkgError,
    );
    assert.equal(scalarToBytes(5n).length, 32);
  });
});

describe("BLS-VRF", () => {
  const [k1, k2] = deriveBlsKeys(TEST_MNEMONIC, 2);
  const input = new Uint8Array(32).fill(9);
  it("proves, verifies and rejects forgeries", () => {
    const { proof, output } = vrfProve(k1!.secretKey, "race-verifier", input);
    assert.deepEqual(vrfVerify(k1!.publicKey, "race-verifier", input, proof), output);
    assert.throws(() => vrfVerify(k2!.publicKey, "race-verifier", input, proof), VrfError);
    assert.throws(() => vrfVerify(k1!.publicKey, "ai-task", input, proof), VrfError);
    assert.throws(() => vrfVerify(k1!.publicKey, "race-verifier", new Uint8Array(32), proof), VrfError);
    assert.throws(() => vrfVerify(k1!.publicKey, "race-verifier", input, new Uint8Array(96)), VrfError);
    assert.deepEqual(vrfProve(k1!.secretKey, "race-verifier", input).output, output, "deterministic");
  });
  it("selection inputs bind a beacon output and a context", () => {
    const a = selectionInput(new Uint8Array(32).fill(1), new TextEncoder().encode("cycle 7"));
    const b = selectionInput(new Uint8Array(32).fill(2), new TextEncoder().encode("cycle 7"));
    assert.notDeepEqual(
      vrfProve(k1!.secretKey, "race-verifier", a).output,
      vrfProve(k1!.secretKey, "race-verifier", b).output,
    );
    assert.throws(() => selectionInput(new Uint8Array(31), new Uint8Array(0)));
  });

  it("selects in proportion to weight and chooses k by smallest outputs", () => {
    let picked = [0, 0];
    for (let i = 0; i < 400; i++) {
      const inp = new Uint8Array([i & 0xff, i >> 8]);
      picked = picked.map(
        (p, k) =>
          p +
          (selectedByWeight(vrfProve([k1, k2][k]!.secretKey, "s", inp).output, k === 0 ? 30n : 10n, 40n, 1n)
            ? 1
            : 0),
      );
    }
    assert.ok(picked[0]! > 240 && picked[0]! < 360, `weight 3/4 picked ${picked[0]} of 400`);
    assert.ok(picked[1]! > 60 && picked[1]! < 140, `weight 1/4 picked ${picked[1]} of 400`);
    const outs = [5, 1, 3].map((b, index) => ({ index, output: new Uint8Array(32).fill(b) }));
    assert.deepEqual(chooseK(outs, 2), [1, 2]);
  });
});
