import { readFileSync } from "node:fs";
import { Chain, parseGenesis } from "../../src/chain/index.ts";
import { localCertificate } from "../../src/consensus/index.ts";
import {
  deriveBlsKeys,
  deriveKeys,
  inlineRecovery,
  privateKeyToAddress,
  TEST_MNEMONIC,
} from "../../src/crypto/index.ts";
import { ChainDb, type KV, MemoryKV } from "../../src/db/index.ts";
import { silentLogger } from "../../src/logger/index.ts";
import { Mempool, type MempoolOptions } from "../../src/mempool/index.ts";
import { signTx, type TxFields } from "../../src/tx/index.ts";

export const devKeys = deriveKeys(TEST_MNEMONIC, 10);
export const devAddresses = devKeys.map(privateKeyToAddress);
/** BLS keys of the devnet's validators (genesis/devnet.json: dev accounts 0–3). */
export const devBlsKeys = deriveBlsKeys(TEST_MNEMONIC, 4);

/** A certifier signing with every devnet validator key (tests build chains without consensus). */
export function devCertifier(chain: Chain) {
  return (height: number, hash: Uint8Array) =>
    localCertificate(
      chain.validators,
      chain.genesis.chainId,
      devBlsKeys.map((k) => k.secretKey),
      height,
      hash,
    );
}

export function devGenesis(overrides: Record<string, unknown> = {}) {
  return parseGenesis({ ...JSON.parse(readFileSync("genesis/devnet.json", "utf8")), ...overrides });
}

export async function memoryChain(kv: KV = new MemoryKV(), mempoolOverrides: Partial<MempoolOptions> = {}) {
  const genesis = devGenesis();
  const chain = await Chain.open(genesis, {
    db: new ChainDb(kv),
    recovery: inlineRecovery,
    log: silentLogger(),
  });
  const mempool = new Mempool(
    { ...genesis.preset.mempool, ...mempoolOverrides },
    { chain, recovery: inlineRecovery },
  );
  return { chain, mempool, genesis, kv };
}

/** A signed EIP-1559 transfer on the devnet chain id. */
export function transfer(from: number, nonce: bigint, over: Partial<TxFields> = {}) {
  return signTx(
    {
      type: 2,
      chainId: 72270n,
      nonce,
      maxPriorityFeePerGas: 1_000_000_000n,
      maxFeePerGas: 10_000_000_000n,
      gasLimit: 21_000n,
      to: devAddresses[(from + 1) % 10]!,
      value: 1000n,
      data: new Uint8Array(0),
      accessList: [],
      ...over,
    },
    devKeys[from]!,
  );
}
