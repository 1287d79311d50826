// bench:import — import blocks full of signed transfers from fresh state into LevelDB, and the
// sender-recovery ceiling measured in the same run with the same worker count.
// Usage: npm run bench:import -- [--blocks 20] [--txs 1000] [--workers N]
import { availableParallelism } from "node:os";
import { parseArgs } from "node:util";
import { keccak_256 } from "@noble/hashes/sha3.js";
import { Chain, type Genesis, rsBytes } from "../../src/chain/index.ts";
import { localCertificate } from "../../src/consensus/index.ts";
import { blsKeyFromIkm, inlineRecovery, privateKeyToAddress, RecoveryPool } from "../../src/crypto/index.ts";
import { ChainDb, LevelKV, MemoryKV } from "../../src/db/index.ts";
import { silentLogger } from "../../src/logger/index.ts";
import { minimal } from "../../src/params/index.ts";
import type { RecoveredTx } from "../../src/state/index.ts";
import { signTx } from "../../src/tx/index.ts";
import type { Block, CommitCertificate } from "../../src/types/index.ts";
import { tempDir } from "../../test/helpers/process.ts";
import { BENCH_SENDER_BALANCE } from "./genesis.ts";
import { ratioOf, report } from "./report.ts";

const { values } = parseArgs({
  options: {
    blocks: { type: "string", default: "20" },
    txs: { type: "string", default: "1000" },
    workers: { type: "string" },
  },
});
const blocksN = Number(values.blocks);
const perBlock = Number(values.txs);
const workers = Number(values.workers ?? availableParallelism());
const senders = perBlock; // each sender sends one transaction per block

const keys = Array.from({ length: senders }, (_, i) =>
  keccak_256(new TextEncoder().encode(`bench-sender-${i}`)),
);
const addrs = keys.map(privateKeyToAddress);
const validatorKey = blsKeyFromIkm(keccak_256(new TextEncoder().encode("bench-validator")));
const genesis: Genesis = {
  name: "bench",
  chainId: 72270n,
  preset: minimal,
  timestamp: 1767225600000n,
  extraData: new Uint8Array(0),
  validators: [{ address: addrs[0]!, weight: 1n, blsKey: validatorKey.publicKey }],
  alloc: addrs.map((address) => ({ address, account: { nonce: 0n, balance: BENCH_SENDER_BALANCE } })),
};

process.stdout.write(`signing ${blocksN * perBlock} transfers from ${senders} senders…\n`);
const builder = await Chain.open(genesis, {
  db: new ChainDb(new MemoryKV()),
  recovery: inlineRecovery,
  log: silentLogger(),
});
const certify = (height: number, hash: Uint8Array) =>
  localCertificate(builder.validators, 72270n, [validatorKey.secretKey], height, hash);
const blocks: { block: Block; commit: CommitCertificate }[] = [];
const all: RecoveredTx[] = [];
for (let b = 0; b < blocksN; b++) {
  const txs: RecoveredTx[] = keys.map((key, i) => ({
    tx: signTx(
      {
        type: 2,
        chainId: 72270n,
        nonce: BigInt(b),
        maxPriorityFeePerGas: 1n,
        maxFeePerGas: 10n ** 11n,
        gasLimit: 21_000n,
        to: addrs[(i * 7 + b + 1) % senders]!,
        value: 1n,
        data: new Uint8Array(0),
        accessList: [],
      },
      key,
    ),
    sender: addrs[i]!,
  }));
  const produced = await builder.produceBlock(() => txs, addrs[0]!, builder.head.time + 1000n, certify);
  if (produced.block.txs.length !== perBlock)
    throw new Error(`block ${b} holds ${produced.block.txs.length} of ${perBlock}`);
  blocks.push({ block: produced.block, commit: (await builder.commitAt(produced.header.height))! });
  all.push(...txs);
  process.stdout.write(`\r  block ${b + 1}/${blocksN}`);
}
process.stdout.write("\n");

// Ceiling: sender recovery alone, same pool size, same batches (one block at a time).
const pool = new RecoveryPool(workers);
await pool.recover(
  all
    .slice(0, 200)
    .map((t) => ({ digest: t.tx.signingHash, rs: rsBytes(t.tx.r, t.tx.s), recovery: t.tx.recovery })),
); // warm up
let t0 = performance.now();
for (let b = 0; b < blocksN; b++) {
  const slice = all.slice(b * perBlock, (b + 1) * perBlock);
  await pool.recover(
    slice.map((t) => ({ digest: t.tx.signingHash, rs: rsBytes(t.tx.r, t.tx.s), recovery: t.tx.recovery })),
  );
}
const ceiling = all.length / ((performance.now() - t0) / 1000);

// Import from fresh state into LevelDB (fsync on, as a node runs by default).
const kv = await LevelKV.open(tempDir("racecoin-bench-"), { sync: true });
const chain = await Chain.open(genesis, { db: new ChainDb(kv), recovery: pool, log: silentLogger() });
t0 = performance.now();
await chain.importBlocks(blocks);
const seconds = (performance.now() - t0) / 1000;
const imported = all.length / seconds;
if (chain.head.height !== blocksN) throw new Error("import did not reach the last block");
await kv.close();
await pool.close();

report({
  bench: "import",
  blocks: blocksN,
  txsPerBlock: perBlock,
  workers,
  importTxPerSec: Math.round(imported),
  importBlocksPerSec: +(blocksN / seconds).toFixed(1),
  ceiling: { senderRecoveryTxPerSec: Math.round(ceiling) },
  ratio: ratioOf(imported, ceiling),
  target: "ratio ≥ 0.7",
  pass: imported / ceiling >= 0.7,
});
