// Writes genesis/{devnet,testnet,mainnet}.json. The devnet funds the standard test mnemonic's
// ten accounts (as Hardhat and Anvil do); its four validators are dev accounts 0–3 with dev BLS
// keys. Testnet and mainnet validators are placeholders (keys derived from public strings) until
// the genesis ceremony replaces them.
import { writeFileSync } from "node:fs";
import { keccak_256 } from "@noble/hashes/sha3.js";
import { devnetGenesisJson } from "../src/chain/index.ts";
import { blsKeyFromIkm, blsProofOfPossession } from "../src/crypto/index.ts";
import { toChecksumAddress, toHex } from "../src/types/index.ts";

const ETH = 10n ** 18n;
const placeholder = (net: string, i: number) =>
  toChecksumAddress(keccak_256(new TextEncoder().encode(`racecoin-${net}-launch-validator-${i}`)).slice(12));
const placeholderValidator = (net: string, i: number) => {
  const key = blsKeyFromIkm(keccak_256(new TextEncoder().encode(`racecoin-${net}-launch-bls-${i}`)));
  return {
    address: placeholder(net, i),
    weight: "1",
    blsKey: toHex(key.publicKey),
    proofOfPossession: toHex(blsProofOfPossession(key)),
  };
};

const files = {
  devnet: devnetGenesisJson(4),
  testnet: {
    name: "testnet",
    comment:
      "Public test network. Validator and allocation addresses are placeholders until the genesis ceremony.",
    chainId: 72271,
    preset: "mainnet",
    timestamp: "1767225600000",
    extraData: "0x",
    validators: [0, 1, 2, 3].map((i) => placeholderValidator("testnet", i)),
    alloc: { [placeholder("testnet-faucet", 0)]: { balance: (1_000_000n * ETH).toString() } },
  },
  mainnet: {
    name: "mainnet",
    comment: "Main network. Validator and allocation addresses are placeholders until the genesis ceremony.",
    chainId: 7227,
    preset: "mainnet",
    timestamp: "1767225600000",
    extraData: "0x",
    validators: [0, 1, 2, 3].map((i) => placeholderValidator("mainnet", i)),
    alloc: { [placeholder("mainnet-foundation", 0)]: { balance: (10_000_000n * ETH).toString() } },
  },
};
for (const [name, g] of Object.entries(files))
  writeFileSync(`genesis/${name}.json`, `${JSON.stringify(g, null, 2)}\n`);
