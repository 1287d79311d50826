import { rmSync } from "node:fs";
import { resolve } from "node:path";
import { loadGenesisFile } from "../../chain/index.ts";
import { deriveKeys, privateKeyToAddress, TEST_MNEMONIC } from "../../crypto/index.ts";
import { createLogger } from "../../logger/index.ts";
import { RacecoinNode } from "../../node/index.ts";
import { toChecksumAddress, toHex } from "../../types/index.ts";
import { type Command, formatEther, parse } from "../args.ts";
import { runUntilSignal } from "../lifecycle.ts";
import { nodeFlags, nodeOptionsFrom } from "./node.ts";

const options = { ...nodeFlags, reset: { type: "boolean" } } as const;

export const devnetCommand: Command = {
  name: "devnet",
  summary: "run a local development chain with funded dev accounts (what `npm start` runs)",
  help: `racecoin devnet — a local development chain

Starts a node on genesis/devnet.json (minimal preset) with its database in ./.devnet, JSON-RPC on
http://127.0.0.1:8545, and ten funded accounts from the standard test mnemonic
("test test … junk", m/44'/60'/0'/0/i) — the same accounts Hardhat and Anvil fund, so any wallet
can import them. The chain continues across restarts; --reset starts it over.

Usage: racecoin devnet [options]

Options:
  --reset                 delete the devnet database first
  --datadir DIR           database folder (default: ./.devnet)
  --rpc-port PORT         JSON-RPC port (default: 8545)
  --block-time-ms N       block interval (default: the preset's, 1000 ms)
  (and every option of "racecoin node")

Examples:
  npm start
  npx racecoin devnet --reset --rpc-port 9545
`,
  async run(argv) {
    const { values } = parse(argv, options, "devnet");
    const opts = nodeOptionsFrom(values, { genesis: "genesis/devnet.json", datadir: ".devnet" });
    if (values.reset) rmSync(opts.datadir, { recursive: true, force: true });
    const genesis = loadGenesisFile(opts.genesisPath, { presetOverride: opts.preset });
    const log = createLogger({ level: opts.logLevel, format: opts.logFormat });
    const node = new RacecoinNode(opts, log);
    return runUntilSignal(node, log, () => {
      const keys = deriveKeys(TEST_MNEMONIC, 10);
      const lines = [
        "",
        "Racecoin devnet",
        "===============",
        `Chain id        ${genesis.chainId} (${genesis.preset.name} preset)`,
        `JSON-RPC        ${node.rpcUrl}`,
        `Metrics         ${node.rpcUrl}/metrics`,
        `Data directory  ${resolve(opts.datadir)}`,
        "",
        "Available accounts",
        "==================",
        ...keys.map((k, i) => {
          const a = privateKeyToAddress(k);
          return `(${i}) ${toChecksumAddress(a)} (${formatEther(node.chain.getAccount(a).balance)} RACE)`;
        }),
        "",
        "Private keys",
        "==================",
        ...keys.map((k, i) => `(${i}) ${toHex(k)}`),
        "",
        `Mnemonic        ${TEST_MNEMONIC}`,
        "Derivation path m/44'/60'/0'/0/",
        "These keys are public knowledge: never send real funds to them.",
        "Press Ctrl-C to stop.",
        "",
      ];
      process.stdout.write(`${lines.join("\n")}\n`);
    });
  },
};
