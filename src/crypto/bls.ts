/**
 * BLS12-381 signatures (minimal-pubkey-size: 48-byte public keys, 96-byte signatures) through
 * @chainsafe/blst. Every message is prefixed with a domain tag naming its purpose, so a signature
 * made for one purpose (a vote) can never be replayed as another (a proposal, a proof of
 * possession). Proofs of possession guard aggregation against rogue-key attacks: a key enters a
 * validator set only with a signature over itself under the PoP domain.
 */
import blst from "@chainsafe/blst";
import { hkdf } from "@noble/hashes/hkdf.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { mnemonicToSeedSync } from "@scure/bip39";

const {
  PublicKey,
  SecretKey,
  Signature,
  fastAggregateVerify,
  verify,
  aggregateSignatures,
  aggregatePublicKeys,
  verifyMultipleAggregateSignatures,
} = blst;

export const BLS_PUBLIC_KEY_BYTES = 48;
export const BLS_SIGNATURE_BYTES = 96;
export const BLS_SECRET_KEY_BYTES = 32;

/** Domain tags (spec/consensus.md §Signatures). Fixed length so no tag is a prefix of another. */
export const BlsDomain = {
  vote: "RACECOIN-VOTE-V1",
  proposal: "RACECOIN-PROP-V1",
  proofOfPossession: "RACECOIN-POP--V1",
  beacon: "RACECOIN-BCN--V1",
  dkg: "RACECOIN-DKG--V1",
  vrf: "RACECOIN-VRF--V1",
  register: "RACECOIN-REG--V1",
} as const;
export type BlsDomainName = keyof typeof BlsDomain;

const tagBytes = Object.fromEntries(
  Object.entries(BlsDomain).map(([k, v]) => [k, new TextEncoder().encode(v)]),
) as Record<BlsDomainName, Uint8Array>;

export function domainMessage(domain: BlsDomainName, body: Uint8Array): Uint8Array {
  const tag = tagBytes[domain];
  const out = new Uint8Array(tag.length + body.length);
  out.set(tag);
  out.set(body, tag.length);
  return out;
}

export class BlsError extends Error {}

export interface BlsKeyPair {
  secretKey: Uint8Array;
  publicKey: Uint8Array;
}

/** Parsed public keys are cached: validator sets verify against the same keys all day. */
const pkCache = new Map<string, InstanceType<typeof PublicKey>>();

export function parseBlsPublicKey(bytes: Uint8Array): InstanceType<typeof PublicKey> {
  if (bytes.length !== BLS_PUBLIC_KEY_BYTES)
    throw new BlsError(`BLS public key must be 48 bytes, got ${bytes.length}`);
  const key = Buffer.from(bytes).toString("hex");
  let pk = pkCache.get(key);
  if (!pk) {
    try {
      pk = PublicKey.fromBytes(bytes, true);
    } catch (e) {
      throw new BlsError(`invalid BLS public key: ${(e as Error).message}`);
    }
    if (pkCache.size > 4096) pkCache.clear();
    pkCache.set(key, pk);
  }
  return pk;
}

function parseSignature(bytes: Uint8Array): InstanceType<typeof Signature> | undefined {
  if (bytes.length !== BLS_SIGNATURE_BYTES) return undefined;
  try {
    return Signature.fromBytes(bytes, true, true);
  } catch {
    return undefined;
  }
}

export function blsKeyFromSecret(secretKey: Uint8Array): BlsKeyPair {
  if (secretKey.length !== BLS_SECRET_KEY_BYTES) throw new BlsError("BLS secret key must be 32 bytes");
  let sk: InstanceType<typeof SecretKey>;
  try {
    sk = SecretKey.fromBytes(secretKey);
  } catch (e) {
    throw new BlsError(`invalid BLS secret key: ${(e as Error).message}`);
  }
  return { secretKey: sk.toBytes(), publicKey: sk.toPublicKey().toBytes(true) };
}

/** Key generation from input key material (≥ 32 bytes), as in the IETF BLS draft's KeyGen. */
export function blsKeyFromIkm(ikm: Uint8Array): BlsKeyPair {
  const sk = SecretKey.fromKeygen(ikm);
  return { secretKey: sk.toBytes(), publicKey: sk.toPublicKey().toBytes(true) };
}

export function randomBlsKey(): BlsKeyPair {
  return blsKeyFromIkm(crypto.getRandomValues(new Uint8Array(32)));
}

/**
 * Dev validator keys: derived from a mnemonic (the public test mnemonic on devnets) so a devnet's
 * genesis is reproducible. Public knowledge, like the dev accounts: never for real value.
 */
export function deriveBlsKeys(mnemonic: string, count: number): BlsKeyPair[] {
  const seed = mnemonicToSeedSync(mnemonic);
  return Array.from({ length: count }, (_, i) =>
    blsKeyFromIkm(hkdf(sha256, seed, undefined, new TextEncoder().encode(`racecoin-validator/${i}`), 32)),
  );
}

export function blsSign(secretKey: Uint8Array, domain: BlsDomainName, body: Uint8Array): Uint8Array {
  return SecretKey.fromBytes(secretKey).sign(domainMessage(domain, body)).toBytes(true);
}

export function blsVerify(
  publicKey: Uint8Array,
  domain: BlsDomainName,
  body: Uint8Array,
  signature: Uint8Array,
): boolean {
  const sig = parseSignature(signature);
  if (!sig) return false;
  let pk: InstanceType<typeof PublicKey>;
  try {
    pk = parseBlsPublicKey(publicKey);
  } catch {
    return false;
  }
  return verify(domainMessage(domain, body), pk, sig);
}

export function blsAggregate(signatures: Uint8Array[]): Uint8Array {
  const sigs = signatures.map((s) => {
    const sig = parseSignature(s);
    if (!sig) throw new BlsError("cannot aggregate an invalid signature");
    return sig;
  });
  return aggregateSignatures(sigs).toBytes(true);
}

/** One message signed by many keys (a commit certificate); keys must carry proofs of possession. */
export function blsVerifyAggregate(
  publicKeys: Uint8Array[],
  domain: BlsDomainName,
  body: Uint8Array,
  signature: Uint8Array,
): boolean {
  if (publicKeys.length === 0) return false;
  const sig = parseSignature(signature);
  if (!sig) return false;
  try {
    return fastAggregateVerify(domainMessage(domain, body), publicKeys.map(parseBlsPublicKey), sig);
  } catch {
    return false;
  }
}

export function blsProofOfPossession(key: BlsKeyPair): Uint8Array {
  return blsSign(key.secretKey, "proofOfPossession", key.publicKey);
}

export function blsVerifyProofOfPossession(publicKey: Uint8Array, proof: Uint8Array): boolean {
  return blsVerify(publicKey, "proofOfPossession", publicKey, proof);
}

/**
 * Many (keys, message, aggregate signature) sets at once, by random linear combination: true only
 * if every set verifies (with overwhelming probability). Cheaper than one check per set; on false
 * the caller checks the sets one by one to find the bad one.
 */
export function blsVerifyAggregateBatch(
  sets: { publicKeys: Uint8Array[]; domain: BlsDomainName; body: Uint8Array; signature: Uint8Array }[],
): boolean {
  if (sets.length === 0) return true;
  try {
    const prepared = sets.map((s) => {
      const sig = parseSignature(s.signature);
      if (!sig || s.publicKeys.length === 0) throw new BlsError("invalid set");
      return {
        msg: domainMessage(s.domain, s.body),
        pk: aggregatePublicKeys(s.publicKeys.map(parseBlsPublicKey)),
        sig,
      };
    });
    return verifyMultipleAggregateSignatures(prepared);
  } catch {
    return false;
  }
}
