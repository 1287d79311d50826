export {
  BLS_PUBLIC_KEY_BYTES,
  BLS_SECRET_KEY_BYTES,
  BLS_SIGNATURE_BYTES,
  BlsDomain,
  type BlsDomainName,
  BlsError,
  type BlsKeyPair,
  blsAggregate,
  blsKeyFromIkm,
  blsKeyFromSecret,
  blsProofOfPossession,
  blsSign,
  blsVerify,
  blsVerifyAggregate,
  blsVerifyAggregateBatch,
  blsVerifyProofOfPossession,
  deriveBlsKeys,
  domainMessage,
  randomBlsKey,
} from "./bls.ts";
export { keccak256 } from "./keccak.ts";
export {
  decryptKeystore,
  encryptKeystore,
  type KeystoreV3,
  SCRYPT_LIGHT,
  SCRYPT_STANDARD,
} from "./keystore.ts";
export { deriveKeys, TEST_MNEMONIC } from "./mnemonic.ts";
export { CachedRecovery } from "./recoveryCache.ts";
export { inlineRecovery, type RecoveryItem, RecoveryPool, type SenderRecovery } from "./recoveryPool.ts";
export {
  isValidPrivateKey,
  privateKeyToAddress,
  publicKeyToAddress,
  type RecoverableSignature,
  randomPrivateKey,
  recoverAddress,
  SECP256K1_HALF_N,
  SECP256K1_N,
  signDigest,
} from "./secp256k1.ts";
