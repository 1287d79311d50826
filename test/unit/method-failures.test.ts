// A method's failure is its transaction's failed receipt, never the block's (spec/modules.md
// §Failures): whatever a method throws — an engine error, a value its store codec refuses, a log
// no receipt can carry — the block builds, the call is charged and its writes discarded, and
// another node applying the block reaches the same root. Only a broken invariant stops the node,
// named with the module and the method or hook it broke in.
import assert from "node:assert/strict";
import { Writable } from "node:stream";
import { describe, it } from "node:test";
import {
  defaultModules,
  disputes,
  ENVELOPE_VERSION,
  envelopeCodec,
  FLOAT_MODEL,
  InvariantError,
  type Module,
  TaskStatus,
  tasks,
  validatorSets,
  validators as validatorsModule,
} from "../../contracts/index.ts";
import { initialBeaconState } from "../../src/beacon/index.ts";
import { Chain } from "../../src/chain/index.ts";
import { EMPTY_CERTIFICATE, ValidatorSet } from "../../src/consensus/index.ts";
import { inlineRecovery, privateKeyToAddress, randomPrivateKey } from "../../src/crypto/index.ts";
import { ChainDb, MemoryKV } from "../../src/db/index.ts";
import { encode } from "../../src/encoding/index.ts";
import { createLogger, type Logger, silentLogger } from "../../src/logger/index.ts";
import { moduleAddress } from "../../src/params/index.ts";
import {
  applyBlock,
  beaconParams,
  buildBlock,
  CallError,
  estimateGas,
  type RecoveredTx,
  storeIn,
} from "../../src/state/index.ts";
import { signTx } from "../../src/tx/index.ts";
import { addressKey, equalBytes, toHex } from "../../src/types/index.ts";
import { devAddresses, devCertifier, devGenesis, devKeys, transfer } from "../helpers/chain.ts";
import { faultyModule } from "../helpers/faultyModule.ts";
import { answeredTask, tasksHarness } from "../helpers/tasksModule.ts";

const genesis = devGenesis();

function chainWith(extra: Module[]) {
  const modules = defaultModules.with(extra);
  const g = Chain.genesisBlock(genesis, modules);
  const validators = new ValidatorSet(genesis.validators);
  const pre = {
    accounts: g.world,
    trie: g.world.trie,
    storageTries: g.world.storageTries,
    beacon: initialBeaconState(genesis.validators, beaconParams(genesis.preset)),
  };
  const ctx = {
    preset: genesis.preset,
    chainId: genesis.chainId,
    validatorsAt: () => validators,
    isEvidenceCommitted: () => false,
    modules,
  };
  const build = (txs: RecoveredTx[]) =>
    buildBlock(
      pre,
      g.header,
      txs,
      { time: g.header.time + 1000n, proposer: devAddresses[0]!, lastCommit: EMPTY_CERTIFICATE },
      ctx,
    );
  return { g, pre, ctx, build };
}

function call(from: number, nonce: bigint, to: Module, method: string): RecoveredTx {
  const tx = signTx(
    {
      type: 2,
      chainId: genesis.chainId,
      nonce,
      maxPriorityFeePerGas: 1_000_000_000n,
      maxFeePerGas: 10_000_000_000n,
      gasLimit: 100_000n,
      to: to.address,
      value: 0n,
      data: encode(envelopeCodec, {
        version: ENVELOPE_VERSION,
        method,
        args: encode(to.methods[method]!.args, {}),
      }),
      accessList: [],
    },
    devKeys[from]!,
  );
  return { tx, sender: devAddresses[from]! };
}

describe("method failures", () => {
  it("any error a method throws is a failed receipt: the block builds, gas is charged, writes are discarded, another node agrees", () => {
    const { g, pre, ctx, build } = chainWith([faultyModule]);
    const txs = [
      call(1, 0n, faultyModule, "typeError"),
      call(1, 1n, faultyModule, "overlongList"),
      call(2, 0n, faultyModule, "badLog"),
      call(2, 1n, faultyModule, "notAnError"),
      call(3, 0n, faultyModule, "longRefusal"),
      { tx: transfer(3, 1n), sender: devAddresses[3]! },
    ];
    const built = build(txs);
    assert.deepEqual(built.rejected, []);
    assert.equal(built.included.length, txs.length);
    assert.deepEqual(
      built.receipts.slice(0, 4).map((r) => [r.status, r.error, r.logs.length]),
      [
        [0, "internal error in faulty.typeError", 0],
        [0, "internal error in faulty.overlongList", 0],
        [0, "internal error in faulty.badLog", 0],
        [0, "internal error in faulty.notAnError", 0],
      ],
    );
    // A refusal's reason is kept, cut to the receipt's 256 bytes on a character boundary.
    const refusal = built.receipts[4]!;
    assert.equal(refusal.status, 0);
    assert.equal(refusal.error, `refused: ${"≤".repeat(82)}`);
    assert.ok(Buffer.byteLength(refusal.error) <= 256);
    assert.equal(built.receipts[5]!.status, 1);

    // The detail of each internal error comes back for the node to log, never in the receipt.
    assert.deepEqual(
      built.faults.map((f) => [f.tx, f.module, f.method]),
      [
        [0, "faulty", "typeError"],
        [1, "faulty", "overlongList"],
        [2, "faulty", "badLog"],
        [3, "faulty", "notAnError"],
      ],
    );
    assert.ok(built.faults[0]!.error instanceof TypeError);

    // Charged as any refused call: nonce and gas; the module's writes are gone.
    const before = (i: number) => g.world.getAccount(devAddresses[i]!);
    const after = (i: number) => built.changes.get(addressKey(devAddresses[i]!))!.account;
    for (const [i, receipts] of [
      [1, built.receipts.slice(0, 2)],
      [2, built.receipts.slice(2, 4)],
    ] as const) {
      assert.equal(after(i).nonce, 2n);
      const paid = receipts.reduce((a, r) => a + r.gasUsed * r.effectiveGasPrice, 0n);
      assert.ok(receipts.every((r) => r.gasUsed > 21_000n + 10_000n));
      assert.equal(before(i).balance - after(i).balance, paid);
    }
    assert.ok(!built.storage.some((s) => equalBytes(s.module, faultyModule.address)));
    assert.ok(!built.changes.has(addressKey(faultyModule.address)));

    // Another node applies the block to the same state root and receipts.
    const post = applyBlock(pre, g.header, built.block, built.included, ctx);
    assert.deepEqual(post.trie.rootHash(), built.block.header.stateRoot);
    assert.deepEqual(post.receipts, built.receipts);
    assert.deepEqual(
      post.faults.map((f) => f.method),
      built.faults.map((f) => f.method),
    );
  });

  it("the node logs an internal error's cause when it commits the block; a second node imports it to the same hash", async () => {
    const lines: string[] = [];
    const destination = new Writable({
      write(chunk, _encoding, done) {
        lines.push(String(chunk));
        done();
      },
    });
    const open = (log: Logger) =>
      Chain.open(genesis, {
        db: new ChainDb(new MemoryKV()),
        recovery: inlineRecovery,
        log,
        modules: defaultModules.with([faultyModule]),
      });
    const proposer = await open(createLogger({ format: "json", level: "warn", destination }));
    const follower = await open(silentLogger());
    const built = await proposer.produceBlock(
      () => [call(1, 0n, faultyModule, "typeError")],
      devAddresses[0]!,
      proposer.head.time + 500n,
      devCertifier(proposer),
    );
    assert.equal(built.receipts[0]!.error, "internal error in faulty.typeError");
    const imported = await follower.importBlock(built.block);
    assert.deepEqual(imported.hash, built.hash);
    assert.deepEqual(imported.receipts, built.receipts);
    const logged = lines.map((l) => JSON.parse(l)).find((l) => l.module === "faulty");
    assert.ok(logged, "a warning names the module");
    assert.equal(logged.msg, "Module method failed with an internal error");
    assert.equal(logged.method, "typeError");
    assert.equal(logged.tx, toHex(built.included[0]!.tx.hash));
    assert.match(logged.err.message, /reading 'weight'/);
  });

  it("eth_estimateGas reports an internal error with the receipt's words", () => {
    const { pre, ctx } = chainWith([faultyModule]);
    const { tx } = call(1, 0n, faultyModule, "typeError");
    assert.throws(
      () =>
        estimateGas(
          pre.accounts,
          { from: devAddresses[1]!, to: faultyModule.address, value: 0n, data: tx.data },
          { chainId: ctx.chainId, preset: ctx.preset, height: 1, modules: ctx.modules },
        ),
      (e: unknown) => e instanceof CallError && e.message === "internal error in faulty.typeError",
    );
  });

  it("a broken invariant stops block building, named with the module and method", () => {
    const { build } = chainWith([faultyModule]);
    assert.throws(
      () => build([call(1, 0n, faultyModule, "invariant")]),
      (e: unknown) =>
        e instanceof InvariantError &&
        /faulty\.invariant/.test(e.message) &&
        /holds less than its ledger owes/.test(e.message),
    );
  });

  it("a hook that throws stops the node as a broken invariant, named with the module and hook", () => {
    const hooked: Module = {
      id: 902,
      name: "hooked",
      address: moduleAddress(902),
      methods: {},
      queries: {},
      endBlock() {
        throw new RangeError("Invalid array length");
      },
    };
    const { build } = chainWith([hooked]);
    assert.throws(
      () => build([]),
      (e: unknown) =>
        e instanceof InvariantError &&
        /hooked\.endBlock/.test(e.message) &&
        /Invalid array length/.test(e.message) &&
        (e.cause as Error) instanceof RangeError,
    );
  });
});

describe("lists a method writes stay within their codec's cap", () => {
  it("a dispute among many light miners seats at most 256 (the panel's cap) and the dispute opens", () => {
    const h = tasksHarness([100n, 100n, 100n, 100n, 100n, 100n]);
    const output = h.beaconOutput(5, new Uint8Array(32).fill(7));
    const dev = devAddresses[7]!;
    const apiKey = randomPrivateKey();
    assert.equal(h.refusal(6, dev, "deposit", { amount: 10n ** 15n }), "");
    assert.equal(
      h.refusal(6, dev, "authorizeKey", { key: privateKeyToAddress(apiKey), limit: 10n ** 14n }),
      "",
    );
    const t = answeredTask({
      apiKey,
      beaconOutput: output,
      round: 1,
      cycle: 0,
      serial: 72n,
      intermediary: devAddresses[0]!,
      state: h.state,
      model: FLOAT_MODEL.id,
    });
    assert.equal(h.refusal(8, t.executor, "settle", { receipts: [t.receipt] }), "");
    h.beaconOutput(15, new Uint8Array(32).fill(72));
    h.endBlocks(8, 15);
    const checked = tasks.get(h.store(), t.taskId)!;
    assert.equal(checked.status, TaskStatus.checking);
    // 600 more miners of the same weight join: a majority of the weight takes over 300 seats.
    const vs = storeIn(h.state, validatorsModule);
    const set = validatorSets.get(vs, 0)!;
    const light = Array.from({ length: 600 }, (_, i) => ({
      address: Uint8Array.from({ length: 20 }, (_, j) =>
        j === 0 ? 0xa0 : j === 1 ? i >> 8 : j === 2 ? i & 0xff : 0,
      ),
      weight: 100n,
      blsKey: new Uint8Array(48),
    }));
    validatorSets.set(vs, 0, [...set, ...light]);

    assert.equal(h.refusal(16, checked.verifier, "dispute", { taskId: t.taskId }), "");
    assert.equal(tasks.get(h.store(), t.taskId)!.status, TaskStatus.disputed);
    const { panel } = disputes.get(h.store(), t.taskId)!;
    assert.equal(panel.length, 256);
    assert.equal(h.refusal(17, panel[255]!.address, "vote", { taskId: t.taskId, fraud: 0 }), "");
  });
});
