import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { encryptKeystoreJson, Wallet } from "ethers";
import {
  decryptKeystore,
  encryptKeystore,
  privateKeyToAddress,
  SCRYPT_LIGHT,
} from "../../src/crypto/index.ts";
import { toHex } from "../../src/types/index.ts";
import { devKeys } from "../helpers/chain.ts";

describe("V3 keystore", () => {
  it("ethers opens ours and we open ethers'", async () => {
    const key = devKeys[3]!;
    const ours = encryptKeystore(key, "pw", SCRYPT_LIGHT);
    const w = await Wallet.fromEncryptedJson(JSON.stringify(ours), "pw");
    assert.equal(w.privateKey, toHex(key));
    const theirs = await encryptKeystoreJson({ address: w.address, privateKey: w.privateKey }, "pw2", {
      scrypt: { N: 1024 },
    });
    assert.deepEqual(decryptKeystore(JSON.parse(theirs), "pw2"), key);
    assert.equal(ours.address, toHex(privateKeyToAddress(key)).slice(2));
  });

  it("refuses a wrong password and malformed files", () => {
    const ks = encryptKeystore(devKeys[0]!, "right", SCRYPT_LIGHT);
    assert.throws(() => decryptKeystore(ks, "wrong"), /wrong password/);
    assert.throws(() => decryptKeystore({ version: 1 }, "x"), /not a version 3 keystore/);
    assert.throws(
      () => decryptKeystore({ ...ks, crypto: { ...ks.crypto, kdf: "pbkdf2" } }, "right"),
      /only scrypt/,
    );
  });
});
