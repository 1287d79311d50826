/**
 * Ethereum V3 keystore (Web3 Secret Storage): scrypt KDF, AES-128-CTR, keccak MAC.
 * Files written here open in geth, ethers and MetaMask, and theirs open here.
 */
import { createCipheriv, createDecipheriv, randomBytes, randomUUID } from "node:crypto";
import { scrypt } from "@noble/hashes/scrypt.js";
import { toHex } from "../types/index.ts";
import { keccak256 } from "./keccak.ts";
import { isValidPrivateKey, privateKeyToAddress } from "./secp256k1.ts";

export interface KeystoreV3 {
  version: 3;
  id: string;
  address: string;
  crypto: {
    cipher: "aes-128-ctr";
    ciphertext: string;
    cipherparams: { iv: string };
    kdf: "scrypt";
    kdfparams: { dklen: number; n: number; r: number; p: number; salt: string };
    mac: string;
  };
}

/** geth's standard scrypt cost; `light` is geth's --lightkdf (for tests and throwaway keys). */
export const SCRYPT_STANDARD = { n: 1 << 18, r: 8, p: 1 };
export const SCRYPT_LIGHT = { n: 1 << 12, r: 8, p: 6 };

export function encryptKeystore(
  privateKey: Uint8Array,
  password: string,
  cost: { n: number; r: number; p: number } = SCRYPT_STANDARD,
): KeystoreV3 {
  if (!isValidPrivateKey(privateKey)) throw new Error("invalid private key");
  const salt = randomBytes(32);
  const iv = randomBytes(16);
  const dk = scrypt(new TextEncoder().encode(password), salt, { N: cost.n, r: cost.r, p: cost.p, dkLen: 32 });
  const cipher = createCipheriv("aes-128-ctr", dk.subarray(0, 16), iv);
  const ciphertext = Buffer.concat([cipher.update(privateKey), cipher.final()]);
  const mac = keccak256(Buffer.concat([dk.subarray(16, 32), ciphertext]));
  return {
    version: 3,
    id: randomUUID(),
    address: toHex(privateKeyToAddress(privateKey)).slice(2),
    crypto: {
      cipher: "aes-128-ctr",
      ciphertext: ciphertext.toString("hex"),
      cipherparams: { iv: iv.toString("hex") },
      kdf: "scrypt",
      kdfparams: { dklen: 32, n: cost.n, r: cost.r, p: cost.p, salt: salt.toString("hex") },
      mac: Buffer.from(mac).toString("hex"),
    },
  };
}

export function decryptKeystore(json: unknown, password: string): Uint8Array {
  const ks = json as KeystoreV3 & { Crypto?: KeystoreV3["crypto"] };
  // Older geth and ethers write "Crypto"; the spec says "crypto".
  const c = typeof ks === "object" && ks !== null ? (ks.crypto ?? ks.Crypto) : undefined;
  if (ks?.version !== 3 || typeof c !== "object" || c === null)
    throw new Error("not a version 3 keystore file");
  if (c.kdf !== "scrypt") throw new Error(`unsupported keystore kdf "${String(c.kdf)}" (only scrypt)`);
  if (c.cipher !== "aes-128-ctr") throw new Error(`unsupported keystore cipher "${String(c.cipher)}"`);
  const { n, r, p, dklen, salt } = c.kdfparams;
  if (dklen !== 32 || !Number.isInteger(n) || n > 1 << 20)
    throw new Error("keystore kdf parameters out of range");
  const dk = scrypt(new TextEncoder().encode(password), Buffer.from(salt, "hex"), { N: n, r, p, dkLen: 32 });
  const ciphertext = Buffer.from(c.ciphertext, "hex");
  const mac = Buffer.from(keccak256(Buffer.concat([dk.subarray(16, 32), ciphertext]))).toString("hex");
  if (mac !== c.mac.toLowerCase()) throw new Error("wrong password (keystore MAC mismatch)");
  const decipher = createDecipheriv("aes-128-ctr", dk.subarray(0, 16), Buffer.from(c.cipherparams.iv, "hex"));
  const key = new Uint8Array(Buffer.concat([decipher.update(ciphertext), decipher.final()]));
  if (!isValidPrivateKey(key)) throw new Error("keystore holds an invalid private key");
  return key;
}
