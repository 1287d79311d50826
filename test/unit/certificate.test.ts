import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  buildCertificate,
  CertificateError,
  EvidenceError,
  localCertificate,
  makeEvidence,
  signVote,
  ValidatorSet,
  verifyCertificate,
  verifyEvidence,
} from "../../src/consensus/index.ts";
import { deriveBlsKeys, TEST_MNEMONIC } from "../../src/crypto/index.ts";
import { VoteType } from "../../src/types/index.ts";

const keys = deriveBlsKeys(TEST_MNEMONIC, 4);
const weights = [40n, 30n, 20n, 10n];
const set = new ValidatorSet(
  keys.map((k, i) => ({ address: new Uint8Array(20).fill(i + 1), weight: weights[i]!, blsKey: k.publicKey })),
);
const chainId = 72270n;
const hash = new Uint8Array(32).fill(7);
const sk = keys.map((k) => k.secretKey);

describe("commit certificates (light-client check)", () => {
  it("verifies a certificate from > 2/3 of the weight, from the validator set alone", () => {
    verifyCertificate(set, chainId, 5, hash, localCertificate(set, chainId, [sk[0], sk[1]], 5, hash));
    verifyCertificate(
      set,
      chainId,
      5,
      hash,
      localCertificate(set, chainId, [sk[0], undefined, sk[2], sk[3]], 5, hash),
    );
  });

  it("rejects too little weight, wrong block, height, chain, bitfield or signature", () => {
    const code = (f: () => void) => {
      try {
        f();
      } catch (e) {
        assert.ok(e instanceof CertificateError);
        return e.code;
      }
      assert.fail("accepted");
    };
    const weak = localCertificate(set, chainId, [sk[0], undefined, sk[2]], 5, hash); // 60 %
    assert.equal(
      code(() => verifyCertificate(set, chainId, 5, hash, weak)),
      "CERT_ERROR_NO_QUORUM",
    );
    const good = localCertificate(set, chainId, sk, 5, hash);
    assert.equal(
      code(() => verifyCertificate(set, chainId, 6, hash, good)),
      "CERT_ERROR_SIGNATURE",
    );
    assert.equal(
      code(() => verifyCertificate(set, 1n, 5, hash, good)),
      "CERT_ERROR_SIGNATURE",
    );
    assert.equal(
      code(() => verifyCertificate(set, chainId, 5, new Uint8Array(32), good)),
      "CERT_ERROR_SIGNATURE",
    );
    // Claim a signer who did not sign.
    const lying = { ...weak, signers: new Uint8Array([0b1111]) };
    assert.equal(
      code(() => verifyCertificate(set, chainId, 5, hash, lying)),
      "CERT_ERROR_SIGNATURE",
    );
    assert.equal(
      code(() => verifyCertificate(set, chainId, 5, hash, { ...good, signers: new Uint8Array([0b11111]) })),
      "CERT_ERROR_BITFIELD",
    );
    assert.equal(
      code(() => verifyCertificate(set, chainId, 5, hash, { ...good, signers: new Uint8Array(2) })),
      "CERT_ERROR_BITFIELD",
    );
    assert.equal(
      code(() =>
        verifyCertificate(set, chainId, 5, hash, { ...good, signature: new Uint8Array(96).fill(1) }),
      ),
      "CERT_ERROR_SIGNATURE",
    );
    assert.equal(
      code(() => verifyCertificate(set, chainId, 5, hash, { ...good, round: 1 })),
      "CERT_ERROR_SIGNATURE",
    );
  });

  it("buildCertificate refuses precommits for different blocks", () => {
    const a = signVote(chainId, sk[0]!, {
      type: VoteType.precommit,
      height: 1,
      round: 0,
      blockHash: hash,
      validator: 0,
    });
    const b = signVote(chainId, sk[1]!, {
      type: VoteType.precommit,
      height: 1,
      round: 0,
      blockHash: new Uint8Array(32),
      validator: 1,
    });
    assert.throws(() => buildCertificate(set, [a, b]), CertificateError);
  });
});

describe("duplicate-vote evidence", () => {
  const v = (blockHash: Uint8Array, validator = 2, key = sk[2]!) =>
    signVote(chainId, key, { type: VoteType.prevote, height: 9, round: 1, blockHash, validator });
  it("accepts two signed conflicting votes and rejects anything else", () => {
    verifyEvidence(set, chainId, makeEvidence(v(hash), v(new Uint8Array(0))));
    assert.throws(() => verifyEvidence(set, chainId, makeEvidence(v(hash), v(hash))), EvidenceError);
    const forged = makeEvidence(v(hash), v(new Uint8Array(0), 2, sk[3]!));
    assert.throws(() => verifyEvidence(set, chainId, forged), EvidenceError);
    const e = makeEvidence(v(hash), v(new Uint8Array(0)));
    assert.throws(
      () => verifyEvidence(set, chainId, { a: e.b, b: e.a }),
      EvidenceError,
      "non-canonical order",
    );
    assert.throws(() => verifyEvidence(set, chainId, { ...e, b: { ...e.b, round: 2 } }), EvidenceError);
  });
});
