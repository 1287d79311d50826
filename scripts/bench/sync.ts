// bench:sync — a fresh node process syncing a pre-built chain from a serving node process over
// libp2p on loopback: blocks/s for empty blocks and tx/s for blocks of transfers, every commit
// certificate and state transition verified. Ceiling printed beside it: the same blocks imported
// in-process straight from LevelDB (no network), measured in the same run.
// Target: ≥ 500 blocks/s for empty blocks.
// Usage: npm run bench:sync -- [--blocks 10000] [--tx-blocks 200] [--txs 200]
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { keccak_256 } from "@noble/hashes/sha3.js";
import { Chain, devnetGenesisJson, parseGenesis } from "../../src/chain/index.ts";
import { localCertificate } from "../../src/consensus/index.ts";
import {
  deriveBlsKeys,
  inlineRecovery,
  privateKeyToAddress,
  RecoveryPool,
  TEST_MNEMONIC,
} from "../../src/crypto/index.ts";
import { ChainDb, LevelKV } from "../../src/db/index.ts";
import { silentLogger } from "../../src/logger/index.ts";
import type { RecoveredTx } from "../../src/state/index.ts";
import { signTx } from "../../src/tx/index.ts";
import { toChecksumAddress } from "../../src/types/index.ts";
import { status } from "../../test/helpers/network.ts";
import { freePort, startNode, tempDir } from "../../test/helpers/process.ts";
import { BENCH_SENDER_BALANCE } from "./genesis.ts";
import { ratioOf, report } from "./report.ts";

const { values } = parseArgs({
  options: {
    blocks: { type: "string", default: "10000" },
    "tx-blocks": { type: "string", default: "200" },
    txs: { type: "string", default: "200" },
  },
});
const emptyBlocks = Number(values.blocks);
const txBlocks = Number(values["tx-blocks"]);
const perBlock = Number(values.txs);

// Genesis: the 4-validator devnet plus funded bench senders.
const senderKeys = Array.from({ length: perBlock }, (_, i) =>
  keccak_256(new TextEncoder().encode(`sync-sender-${i}`)),
);
const senders = senderKeys.map(privateKeyToAddress);
const json = devnetGenesisJson(4) as { alloc: Record<string, { balance: string }> };
for (const a of senders) json.alloc[toChecksumAddress(a)] = { balance: BENCH_SENDER_BALANCE.toString() };
const dir = tempDir("racecoin-bench-sync-");
const genesisPath = join(dir, "genesis.json");
writeFileSync(genesisPath, JSON.stringify(json));
const genesis = parseGenesis(json);
const bls = deriveBlsKeys(TEST_MNEMONIC, 4).map((k) => k.secretKey);

// Build the chain into the serving node's datadir.
const sourceDir = join(dir, "source");
const kv = await LevelKV.open(join(sourceDir, "chaindata"), { sync: false });
const chain = await Chain.open(genesis, {
  db: new ChainDb(kv),
  recovery: inlineRecovery,
  log: silentLogger(),
});
const certify = (height: number, hash: Uint8Array) =>
  localCertificate(chain.validators, genesis.chainId, bls, height, hash);
const proposer = genesis.validators[0]!.address;
let t0 = performance.now();
for (let i = 0; i < emptyBlocks; i++) {
  await chain.produceBlock(() => [], proposer, chain.head.time + 1000n, certify);
  if (i % 500 === 0) process.stdout.write(`\rbuilding empty blocks ${i}/${emptyBlocks}`);
}
for (let b = 0; b < txBlocks; b++) {
  const txs: RecoveredTx[] = senderKeys.map((key, i) => ({
    tx: signTx(
      {
        type: 2,
        chainId: genesis.chainId,
        nonce: BigInt(b),
        maxPriorityFeePerGas: 1n,
        maxFeePerGas: 10n ** 11n,
        gasLimit: 21_000n,
        to: senders[(i + 1) % senders.length]!,
        value: 1n,
        data: new Uint8Array(0),
        accessList: [],
      },
      key,
    ),
    sender: senders[i]!,
  }));
  await chain.produceBlock(() => txs, proposer, chain.head.time + 1000n, certify);
  if ((b + 1) % 20 === 0) process.stdout.write(`\rbuilding transfer blocks ${b + 1}/${txBlocks}`);
}
const head = chain.head.height;
process.stdout.write(`\nbuilt ${head} blocks in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
await kv.close();

// Ceiling: import the same blocks in-process, certificate checks included, no network.
async function ceiling(): Promise<{ emptyPerSec: number; txPerSec: number }> {
  const src = await LevelKV.open(join(sourceDir, "chaindata"), { sync: false });
  const srcChain = await Chain.open(genesis, {
    db: new ChainDb(src),
    recovery: inlineRecovery,
    log: silentLogger(),
  });
  const dstKv = await LevelKV.open(join(dir, "ceiling"), { sync: true });
  const pool = new RecoveryPool(2);
  const dst = await Chain.open(genesis, { db: new ChainDb(dstKv), recovery: pool, log: silentLogger() });
  const load = async (from: number, to: number) => {
    const out = [];
    for (let h = from; h <= to; h++) {
      const at = (await srcChain.headerAt(h))!;
      out.push({ block: (await srcChain.blockByHash(at.hash))!, commit: (await srcChain.commitAt(h))! });
    }
    return out;
  };
  // Same range size as sync uses (64 blocks per request).
  const importInRanges = async (items: Awaited<ReturnType<typeof load>>) => {
    for (let i = 0; i < items.length; i += 64) await dst.importBlocks(items.slice(i, i + 64));
  };
  const empty = await load(1, emptyBlocks);
  let t = performance.now();
  await importInRanges(empty);
  const emptyPerSec = emptyBlocks / ((performance.now() - t) / 1000);
  const full = await load(emptyBlocks + 1, head);
  t = performance.now();
  await importInRanges(full);
  const txPerSec = (txBlocks * perBlock) / ((performance.now() - t) / 1000);
  await Promise.all([src.close(), dstKv.close(), pool.close()]);
  return { emptyPerSec, txPerSec };
}
const ceil = await ceiling();

// The real thing: a serving node process and a fresh node process syncing from it.
const p2p = await freePort();
const server = await startNode({
  datadir: sourceDir,
  genesis: genesisPath,
  validator: -1,
  p2pPort: p2p,
  fsync: true,
});
const syncer = await startNode({
  genesis: genesisPath,
  validator: -1,
  bootstrap: [`/ip4/127.0.0.1/tcp/${p2p}`],
  fsync: true,
});
try {
  let emptyDoneAt = 0;
  let startedAt = 0;
  t0 = performance.now();
  for (;;) {
    const h = (await status(syncer.url)).height;
    const now = performance.now();
    if (h > 0 && !startedAt) startedAt = now;
    if (h >= emptyBlocks && !emptyDoneAt) emptyDoneAt = now;
    if (h >= head) break;
    if (now - t0 > 600_000) throw new Error(`sync stalled at ${h}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  const doneAt = performance.now();
  const emptyPerSec = emptyBlocks / ((emptyDoneAt - startedAt) / 1000);
  const txPerSec = (txBlocks * perBlock) / ((doneAt - emptyDoneAt) / 1000);
  report({
    bench: "sync",
    preset: "minimal",
    blocks: head,
    emptyBlocks,
    txBlocks,
    txsPerBlock: perBlock,
    syncEmptyBlocksPerSec: Math.round(emptyPerSec),
    syncTxPerSec: Math.round(txPerSec),
    syncTxBlocksPerSec: +(txBlocks / ((doneAt - emptyDoneAt) / 1000)).toFixed(1),
    ceiling: {
      inProcessEmptyBlocksPerSec: Math.round(ceil.emptyPerSec),
      inProcessTxPerSec: Math.round(ceil.txPerSec),
    },
    ratio: { empty: ratioOf(emptyPerSec, ceil.emptyPerSec, 2), tx: ratioOf(txPerSec, ceil.txPerSec, 2) },
    target: "≥ 500 empty blocks/s",
    fsync: true,
  });
} finally {
  await syncer.stop();
  await server.stop();
}
