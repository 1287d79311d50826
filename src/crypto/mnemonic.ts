import { HDKey } from "@scure/bip32";
import { mnemonicToSeedSync, validateMnemonic } from "@scure/bip39";
import { wordlist } from "@scure/bip39/wordlists/english.js";

/** The mnemonic Hardhat and Anvil fund by default; never use it for real funds. */
export const TEST_MNEMONIC = "test test test test test test test test test test test junk";

/** Private keys at m/44'/60'/0'/0/i, i = 0..count-1 (the path MetaMask and Anvil use). */
export function deriveKeys(mnemonic: string, count: number): Uint8Array[] {
  if (!validateMnemonic(mnemonic, wordlist)) throw new Error("invalid BIP-39 mnemonic");
  const root = HDKey.fromMasterSeed(mnemonicToSeedSync(mnemonic));
  const keys: Uint8Array[] = [];
  for (let i = 0; i < count; i++) {
    const k = root.derive(`m/44'/60'/0'/0/${i}`).privateKey;
    if (!k) throw new Error("key derivation failed");
    keys.push(k);
  }
  return keys;
}
