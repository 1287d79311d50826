// The chain on real LevelDB, in process: produce, re-import elsewhere, reject tampering without
// touching storage, close and reopen.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Chain } from "../../src/chain/index.ts";
import { RecoveryPool } from "../../src/crypto/index.ts";
import { ChainDb, LevelKV } from "../../src/db/index.ts";
import { silentLogger } from "../../src/logger/index.ts";
import { Mempool } from "../../src/mempool/index.ts";
import { BlockError } from "../../src/state/index.ts";
import type { Block, CommitCertificate } from "../../src/types/index.ts";
import { toHex } from "../../src/types/index.ts";
import { devAddresses, devCertifier, devGenesis, transfer } from "../helpers/chain.ts";
import { tempDir } from "../helpers/process.ts";

describe("chain on LevelDB", () => {
  it("produces, imports elsewhere, rejects tampering atomically, and reopens", async () => {
    const genesis = devGenesis();
    const recovery = new RecoveryPool(2);
    const dirA = tempDir();
    const dirB = tempDir();
    let kvA = await LevelKV.open(dirA, { sync: false });
    const kvB = await LevelKV.open(dirB, { sync: false });
    const a = await Chain.open(genesis, { db: new ChainDb(kvA), recovery, log: silentLogger() });
    const b = await Chain.open(genesis, { db: new ChainDb(kvB), recovery, log: silentLogger() });
    const pool = new Mempool(genesis.preset.mempool, { chain: a, recovery });
    const blocks: { block: Block; commit: CommitCertificate }[] = [];
    for (let i = 0; i < 5; i++) {
      for (let s = 1; s <= 3; s++) await pool.add(transfer(s, BigInt(i)).raw);
      const produced = await a.produceBlock(
        () => pool.candidates(),
        devAddresses[0]!,
        a.head.time + 1000n,
        devCertifier(a),
      );
      assert.equal(produced.block.txs.length, 3);
      blocks.push({ block: produced.block, commit: a.headCommit! });
    }
    // B imports the first three with pipelined sender recovery.
    await b.importBlocks(blocks.slice(0, 3));
    assert.equal(b.head.height, 3);

    // A tampered block 4 (a transaction swapped for another valid one) is rejected and B's
    // storage and memory are unchanged.
    const rootBefore = toHex(b.head.stateRoot);
    const b3 = blocks[3]!.block;
    const bad: Block = { ...b3, txs: [transfer(4, 0n).raw, ...b3.txs.slice(1)] };
    await assert.rejects(b.importBlock(bad), (e: unknown) => e instanceof BlockError);
    assert.equal(toHex(b.head.stateRoot), rootBefore);
    assert.equal(b.head.height, 3);

    await b.importBlocks(blocks.slice(3));
    assert.equal(toHex(b.headHash), toHex(a.headHash));
    assert.equal(toHex(b.head.stateRoot), toHex(a.head.stateRoot));

    // Historical state through stored trie nodes: the balance at block 1 differs from the head.
    const at1 = await b.getAccountProof(blocks[0]!.block.header.stateRoot, devAddresses[1]!);
    assert.ok(at1.value && at1.proof.length > 0);

    // Reopen A: same head, state root verified against the header.
    const head = toHex(a.headHash);
    await kvA.close();
    kvA = await LevelKV.open(dirA, { sync: false });
    const again = await Chain.open(genesis, { db: new ChainDb(kvA), recovery, log: silentLogger() });
    assert.equal(toHex(again.headHash), head);
    assert.equal(again.getAccount(devAddresses[1]!).nonce, 5n);

    // A different genesis refuses the datadir with a clear message.
    await assert.rejects(
      Chain.open(devGenesis({ chainId: 999 }), { db: new ChainDb(kvA), recovery, log: silentLogger() }),
      /different chain/,
    );
    await kvA.close();
    await kvB.close();
    await recovery.close();
  });
});
