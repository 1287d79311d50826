// A one-validator devnet chain (the one `startNode` runs by default) built in process on LevelDB,
// so tests get hundreds of blocks of history in a second instead of waiting for a node to make them.
import { ENVELOPE_VERSION, envelopeCodec, transferArgs } from "../../contracts/index.ts";
import { Chain, devnetGenesisJson, parseGenesis } from "../../src/chain/index.ts";
import { localCertificate } from "../../src/consensus/index.ts";
import { inlineRecovery } from "../../src/crypto/index.ts";
import { Bucket, ChainDb, type KV, LevelKV } from "../../src/db/index.ts";
import { encode } from "../../src/encoding/index.ts";
import { silentLogger } from "../../src/logger/index.ts";
import { BANK_MODULE_ADDRESS } from "../../src/params/index.ts";
import type { RecoveredTx } from "../../src/state/index.ts";
import { concatBytes, toHex } from "../../src/types/index.ts";
import { devAddresses, devBlsKeys, transfer } from "./chain.ts";

export const singleValidatorChainGenesis = () => parseGenesis(devnetGenesisJson(1));

export async function openSingleValidatorChain(kv: KV): Promise<Chain> {
  return Chain.open(singleValidatorChainGenesis(), {
    db: new ChainDb(kv),
    recovery: inlineRecovery,
    log: silentLogger(),
  });
}

export interface BuiltHistory {
  /** Hashes of dev account `from`'s transactions, oldest first, with their heights. */
  txs: { hash: string; height: number }[];
  height: number;
}

/**
 * `blocks` blocks on `datadir`; block i (1 … `txBlocks`) carries one plain transfer from dev
 * account `from` to the next dev account and one bank-module transfer whose Transfer log names
 * `named`. The database is closed on return.
 */
export async function buildHistory(
  datadir: string,
  opts: { blocks: number; txBlocks: number; from: number; named: Uint8Array },
): Promise<BuiltHistory> {
  const kv = await LevelKV.open(datadir, { sync: false });
  const chain = await openSingleValidatorChain(kv);
  const certify = (height: number, hash: Uint8Array) =>
    localCertificate(chain.validators, chain.genesis.chainId, [devBlsKeys[0]!.secretKey], height, hash);
  const call = encode(envelopeCodec, {
    version: ENVELOPE_VERSION,
    method: "transfer",
    args: encode(transferArgs, { to: opts.named, amount: 7n }),
  });
  const txs: BuiltHistory["txs"] = [];
  let nonce = 0n;
  for (let i = 1; i <= opts.blocks; i++) {
    const batch: RecoveredTx[] = [];
    if (i <= opts.txBlocks) {
      batch.push({ tx: transfer(opts.from, nonce++), sender: devAddresses[opts.from]! });
      batch.push({
        tx: transfer(opts.from, nonce++, {
          to: BANK_MODULE_ADDRESS,
          value: 0n,
          data: call,
          gasLimit: 200_000n,
        }),
        sender: devAddresses[opts.from]!,
      });
    }
    const produced = await chain.produceBlock(() => batch, devAddresses[0]!, chain.head.time + 500n, certify);
    if (produced.block.txs.length !== batch.length)
      throw new Error(`block ${i} included ${produced.block.txs.length} of ${batch.length} transactions`);
    for (const t of batch) txs.push({ hash: toHex(t.tx.hash), height: produced.header.height });
  }
  const height = chain.head.height;
  await kv.close();
  return { txs, height };
}

/** Removes the address index and its marker, as in a datadir written before the index existed. */
export async function dropAddressIndex(datadir: string): Promise<void> {
  const kv = await LevelKV.open(datadir, { sync: false });
  const keys: Uint8Array[] = [];
  for await (const [k] of kv.entries(new Uint8Array([Bucket.addressIndex]))) keys.push(k);
  keys.push(concatBytes(new Uint8Array([Bucket.meta]), new TextEncoder().encode("addressIndex")));
  await kv.batch(keys.map((key) => ({ type: "del" as const, key })));
  await kv.close();
}
