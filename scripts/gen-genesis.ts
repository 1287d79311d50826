// Writes genesis/{devnet,testnet,mainnet}.json. The devnet funds the standard test mnemonic's
// ten accounts (as Hardhat and Anvil do); its single validator is dev account 0.
import { writeFileSync } from "node:fs";
import { keccak_256 } from "@noble/hashes/sha3.js";
import { deriveKeys, privateKeyToAddress, TEST_MNEMONIC } from "../src/crypto/index.ts";
import { toChecksumAddress } from "../src/types/index.ts";

const ETH = 10n ** 18n;
const dev = deriveKeys(TEST_MNEMONIC, 10).map((k) => toChecksumAddress(privateKeyToAddress(k)));
const placeholder = (net: string, i: number) =>
  toChecksumAddress(keccak_256(new TextEncoder().encode(`racecoin-${net}-launch-validator-${i}`)).slice(12));

const files = {
  devnet: {
    name: "devnet",
    comment:
      "Local development chain. Dev accounts come from the public test mnemonic: never hold real value.",
    chainId: 72270,
    preset: "minimal",
    timestamp: "1767225600000",
    extraData: "0x",
    validators: [{ address: dev[0], weight: "100" }],
    alloc: Object.fromEntries(dev.map((a) => [a, { balance: (10_000n * ETH).toString() }])),
  },
  testnet: {
    name: "testnet",
    comment:
      "Public test network. Validator and allocation addresses are placeholders until the genesis ceremony.",
    chainId: 72271,
    preset: "mainnet",
    timestamp: "1767225600000",
    extraData: "0x",
    validators: [0, 1, 2, 3].map((i) => ({ address: placeholder("testnet", i), weight: "1" })),
    alloc: { [placeholder("testnet-faucet", 0)]: { balance: (1_000_000n * ETH).toString() } },
  },
  mainnet: {
    name: "mainnet",
    comment: "Main network. Validator and allocation addresses are placeholders until the genesis ceremony.",
    chainId: 7227,
    preset: "mainnet",
    timestamp: "1767225600000",
    extraData: "0x",
    validators: [0, 1, 2, 3].map((i) => ({ address: placeholder("mainnet", i), weight: "1" })),
    alloc: { [placeholder("mainnet-foundation", 0)]: { balance: (10_000_000n * ETH).toString() } },
  },
};
for (const [name, g] of Object.entries(files))
  writeFileSync(`genesis/${name}.json`, `${JSON.stringify(g, null, 2)}\n`);
