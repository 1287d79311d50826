/**
 * Encrypting DKG shares to members, and publicly verifiable complaints.
 *
 * Share to member i (BLS public key P_i = sk_i·G1): pick e, publish R = e·G1 and
 * c = share ⊕ KDF(e·P_i, R, dealer, i). Member i computes K = sk_i·R. If the share is bad, the
 * member publishes K with a Chaum–Pedersen proof that log_G1(P_i) = log_R(K); then anyone can
 * decrypt the share and check it against the dealer's commitments, so a complaint convicts the
 * dealer or is itself rejected — no answer round is needed.
 */
import { sha256 } from "@noble/hashes/sha2.js";
import { bytesToBigint, concatBytes, u32be } from "../types/index.ts";
import {
  BeaconCryptoError,
  G1,
  type G1Point,
  g1FromBytes,
  mod,
  mulG1,
  randomScalar,
  scalarFromBytes,
  scalarToBytes,
} from "./field.ts";

const te = new TextEncoder();

function kdf(shared: G1Point, ephemeral: Uint8Array, dealer: number, recipient: number): Uint8Array {
  return sha256(
    concatBytes(
      te.encode("racecoin-dkg-share-v1"),
      shared.toBytes(),
      ephemeral,
      u32be(dealer),
      u32be(recipient),
    ),
  );
}

function xor32(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(32);
  for (let i = 0; i < 32; i++) out[i] = a[i]! ^ b[i]!;
  return out;
}

export interface EncryptedShare {
  ephemeral: Uint8Array;
  ciphertext: Uint8Array;
}

export function encryptShare(
  share: bigint,
  recipientKey: Uint8Array,
  dealer: number,
  recipient: number,
  ephemeralScalar: bigint = randomScalar(),
): EncryptedShare {
  const P = g1FromBytes(recipientKey, "recipient key");
  const ephemeral = G1.BASE.multiply(ephemeralScalar).toBytes();
  const pad = kdf(P.multiply(ephemeralScalar), ephemeral, dealer, recipient);
  return { ephemeral, ciphertext: xor32(scalarToBytes(share), pad) };
}

/** Decrypt with the shared point K; returns undefined if the plaintext is not a scalar mod r. */
export function decryptWithSharedKey(
  enc: EncryptedShare,
  shared: G1Point,
  dealer: number,
  recipient: number,
): bigint | undefined {
  if (enc.ciphertext.length !== 32) return undefined;
  const plain = xor32(enc.ciphertext, kdf(shared, enc.ephemeral, dealer, recipient));
  try {
    return scalarFromBytes(plain);
  } catch {
    return undefined;
  }
}

export function sharedKey(secretKey: Uint8Array, ephemeral: Uint8Array): G1Point {
  return g1FromBytes(ephemeral, "ephemeral key").multiply(scalarFromBytes(secretKey, "secret key"));
}

function challenge(points: G1Point[]): bigint {
  return mod(
    bytesToBigint(sha256(concatBytes(te.encode("racecoin-dleq-v1"), ...points.map((p) => p.toBytes())))),
  );
}

/** Chaum–Pedersen proof that log_G1(publicKey) = log_R(K), as c ‖ z (64 bytes). */
export function proveSharedKey(
  secretKey: Uint8Array,
  ephemeral: Uint8Array,
  w: bigint = randomScalar(),
): { shared: Uint8Array; proof: Uint8Array } {
  const sk = scalarFromBytes(secretKey, "secret key");
  const R = g1FromBytes(ephemeral, "ephemeral key");
  const P = G1.BASE.multiply(sk);
  const K = R.multiply(sk);
  const c = challenge([G1.BASE, P, R, K, G1.BASE.multiply(w), R.multiply(w)]);
  const z = mod(w + c * sk);
  return { shared: K.toBytes(), proof: concatBytes(scalarToBytes(c), scalarToBytes(z)) };
}

export function verifySharedKey(
  publicKey: Uint8Array,
  ephemeral: Uint8Array,
  shared: Uint8Array,
  proof: Uint8Array,
): G1Point {
  if (proof.length !== 64) throw new BeaconCryptoError("shared-key proof must be 64 bytes");
  const P = g1FromBytes(publicKey, "member key");
  const R = g1FromBytes(ephemeral, "ephemeral key");
  const K = g1FromBytes(shared, "shared key");
  const c = scalarFromBytes(proof.subarray(0, 32), "proof challenge");
  const z = scalarFromBytes(proof.subarray(32), "proof response");
  const A = mulG1(G1.BASE, z).subtract(mulG1(P, c));
  const B = mulG1(R, z).subtract(mulG1(K, c));
  if (challenge([G1.BASE, P, R, K, A, B]) !== c)
    throw new BeaconCryptoError("shared-key proof does not verify");
  return K;
}
