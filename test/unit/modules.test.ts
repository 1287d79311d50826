// The module runtime: storage under module accounts' storage roots (proved with @ethereumjs/mpt),
// validator sets as chain state across a cycle boundary, and validator registration.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createMPT, verifyMPTWithMerkleProof } from "@ethereumjs/mpt";
import {
  defaultModules,
  ENVELOPE_VERSION,
  envelopeCodec,
  registerArgs,
  registrationMessage,
  registrations,
  storageSlot,
  validatorSets,
} from "../../contracts/index.ts";
import { Chain } from "../../src/chain/index.ts";
import { localCertificate, ValidatorSet } from "../../src/consensus/index.ts";
import { blsSign, deriveBlsKeys, inlineRecovery, TEST_MNEMONIC } from "../../src/crypto/index.ts";
import { ChainDb, MemoryKV } from "../../src/db/index.ts";
import { encode, rlpDecode, validatorListCodec } from "../../src/encoding/index.ts";
import { silentLogger } from "../../src/logger/index.ts";
import { VALIDATORS_MODULE_ADDRESS } from "../../src/params/index.ts";
import { BlockError, type RecoveredTx, readStoreIn } from "../../src/state/index.ts";
import { signTx } from "../../src/tx/index.ts";
import { type Address, equalBytes, toHex } from "../../src/types/index.ts";
import { devAddresses, devGenesis, devKeys } from "../helpers/chain.ts";
import { churnModule, setWeightsArgs } from "../helpers/churnModule.ts";

const bls = deriveBlsKeys(TEST_MNEMONIC, 10);
const registry = defaultModules.with([churnModule]);
const genesis = devGenesis();

async function openChain() {
  return Chain.open(genesis, {
    db: new ChainDb(new MemoryKV()),
    recovery: inlineRecovery,
    log: silentLogger(),
    modules: registry,
  });
}

function moduleTx(from: number, nonce: bigint, to: Address, method: string, args: Uint8Array): RecoveredTx {
  const tx = signTx(
    {
      type: 2,
      chainId: genesis.chainId,
      nonce,
      maxPriorityFeePerGas: 1_000_000_000n,
      maxFeePerGas: 10_000_000_000n,
      gasLimit: 300_000n,
      to,
      value: 0n,
      data: encode(envelopeCodec, { version: ENVELOPE_VERSION, method, args }),
      accessList: [],
    },
    devKeys[from]!,
  );
  return { tx, sender: devAddresses[from]! };
}

function registerTx(from: number, nonce: bigint, key: number, proofFor = from, chainId = genesis.chainId) {
  const k = bls[key]!;
  const proof = blsSign(
    k.secretKey,
    "register",
    registrationMessage(chainId, devAddresses[proofFor]!, k.publicKey),
  );
  const args = encode(registerArgs, { blsKey: k.publicKey, proof, peerId: new Uint8Array(0) });
  return moduleTx(from, nonce, VALIDATORS_MODULE_ADDRESS, "register", args);
}

/** Signs with whichever dev BLS keys are in the set of `height`, indexed as that set orders them. */
function certifier(chain: Chain) {
  return (height: number, hash: Uint8Array) => {
    const set = chain.validatorsAt(height);
    const keys = set.validators.map((v) => bls.find((k) => equalBytes(k.publicKey, v.blsKey))?.secretKey);
    return localCertificate(set, genesis.chainId, keys, height, hash);
  };
}

async function produce(chain: Chain, txs: RecoveredTx[] = []) {
  const h = chain.head.height + 1;
  const proposer = chain.validatorsAt(h).validators[0]!.address;
  return chain.produceBlock(() => txs, proposer, chain.head.time + 500n, certifier(chain));
}

describe("validator sets as chain state", () => {
  it("a set changed at a cycle boundary takes effect there; sync verifies across it; old-set certificates are refused", async () => {
    const chain = await openChain();
    const old = chain.validatorsAt(1);
    // Dev account 5 (not in genesis) registers; the test module proposes new weights (dev 3 leaves).
    const r = await produce(chain, [registerTx(5, 0n, 5)]);
    assert.deepEqual(
      r.receipts.map((x) => [x.status, x.error]),
      [[1, ""]],
    );
    const weights = [
      // No weight over a third of the set (a larger one would be capped: validators.md).
      { address: devAddresses[0]!, weight: 20n },
      { address: devAddresses[1]!, weight: 21n },
      { address: devAddresses[2]!, weight: 30n },
      { address: devAddresses[5]!, weight: 25n },
    ];
    const w = await produce(chain, [
      moduleTx(1, 0n, churnModule.address, "setWeights", encode(setWeightsArgs, { weights })),
    ]);
    assert.equal(w.receipts[0]!.status, 1);
    const L = genesis.preset.cycleLength;
    while (chain.head.height < L + 3) await produce(chain);

    assert.ok(
      equalBytes(chain.validatorsAt(L - 1).hash, old.hash),
      "the old set validates to the cycle's end",
    );
    const next = chain.validatorsAt(L);
    assert.deepEqual(
      next.validators.map((v) => [toHex(v.address), v.weight]),
      [2, 5, 1, 0].map((i) => [
        toHex(devAddresses[i]!),
        weights.find((x) => equalBytes(x.address, devAddresses[i]!))!.weight,
      ]),
    );
    const atL = (await chain.headerAt(L))!;
    assert.ok(equalBytes(atL.header.validatorSetHash, next.hash));
    assert.ok(!equalBytes(next.hash, old.hash));

    // A certificate by the old set for a height of the new cycle is refused.
    const oldCert = localCertificate(
      old,
      genesis.chainId,
      bls.slice(0, 4).map((k) => k.secretKey),
      L,
      atL.hash,
    );
    assert.throws(
      () => chain.verifyCommit(atL.header, oldCert),
      (e: unknown) => e instanceof BlockError && e.code === "BLOCK_ERROR_LAST_COMMIT",
    );
    chain.verifyCommit(atL.header, (await chain.commitAt(L))!);

    // A fresh node imports the whole range (one run crossing the boundary), checking every certificate.
    const blocks = [];
    for (let h = 1; h <= chain.head.height - 1; h++) {
      const at = (await chain.headerAt(h))!;
      blocks.push({ block: (await chain.blockByHash(at.hash))!, commit: (await chain.commitAt(h))! });
    }
    const fresh = await openChain();
    await fresh.importBlocks(blocks);
    assert.equal(toHex(fresh.headHash), toHex((await chain.headerAt(chain.head.height - 1))!.hash));
    assert.ok(equalBytes(fresh.validatorsAt(L).hash, next.hash));
    // A forged range: block L certified by the old set is refused, nothing past L - 1 imported.
    const forged = await openChain();
    const bad = blocks.slice(0, L); // heights 1..L
    bad[L - 1] = { block: blocks[L - 1]!.block, commit: oldCert };
    await assert.rejects(forged.importBlocks(bad), (e: unknown) => e instanceof BlockError);
    assert.equal(forged.head.height, L - 1);
  });

  it("module storage is proved against the state root with @ethereumjs/mpt", async () => {
    const chain = await openChain();
    await produce(chain);
    const slot = storageSlot(validatorSets.storeKey(0));
    const root = chain.head.stateRoot;
    const p = await chain.getStorageProof(root, VALIDATORS_MODULE_ADDRESS, slot);
    const expected = encode(validatorListCodec, genesis.validators);
    assert.ok(p.value && equalBytes(p.value, expected));
    const { proof: accountProof } = await chain.getAccountProof(root, VALIDATORS_MODULE_ADDRESS);
    const trie = await createMPT({ useKeyHashing: true });
    const account = await verifyMPTWithMerkleProof(trie, root, VALIDATORS_MODULE_ADDRESS, accountProof);
    assert.ok(account);
    const storageRoot = (rlpDecode(account) as Uint8Array[])[2]!;
    assert.ok(equalBytes(storageRoot, p.storageRoot));
    const leaf = await verifyMPTWithMerkleProof(trie, storageRoot, slot, p.proof);
    assert.ok(leaf && equalBytes(rlpDecode(leaf) as Uint8Array, expected));
    // An absent slot is proved absent.
    const none = await chain.getStorageProof(
      root,
      VALIDATORS_MODULE_ADDRESS,
      storageSlot(validatorSets.storeKey(99)),
    );
    assert.equal(none.value, undefined);
    assert.equal(
      await verifyMPTWithMerkleProof(trie, storageRoot, storageSlot(validatorSets.storeKey(99)), none.proof),
      null,
    );
  });
});

describe("validator registration", () => {
  it("refuses bad proofs, a key registered twice, a proof for another account, and changes nothing", async () => {
    const chain = await openChain();
    const store = () => readStoreIn(chain.state, { address: VALIDATORS_MODULE_ADDRESS });
    const r = await produce(chain, [
      registerTx(6, 0n, 6, 6, genesis.chainId + 1n), // proof for another chain
      registerTx(7, 0n, 7, 8), // dev 8's proof submitted by dev 7
      registerTx(8, 0n, 8), // valid
      registerTx(9, 0n, 8), // dev 8's key again, for dev 9
      registerTx(0, 0n, 9), // a genesis validator registering again
      registerTx(8, 1n, 9), // dev 8 registering a second key
    ]);
    assert.deepEqual(
      r.receipts.map((x) => [x.status, x.error.replace(/0x[0-9a-fA-F]{40}/g, "A")]),
      [
        [0, "registration proof does not verify for this key, account and chain"],
        [0, "registration proof does not verify for this key, account and chain"],
        [1, ""],
        [0, "BLS key is already registered to A"],
        [0, "account A is already registered"],
        [0, "account A is already registered"],
      ],
    );
    for (const i of [6, 7, 9]) assert.equal(registrations.get(store(), devAddresses[i]!), undefined);
    assert.ok(equalBytes(registrations.get(store(), devAddresses[8]!)!.blsKey, bls[8]!.publicKey));
    assert.ok(equalBytes(registrations.get(store(), devAddresses[0]!)!.blsKey, bls[0]!.publicKey));
    // Malformed arguments never reach a block: the transaction is refused at admission.
    const bad = moduleTx(6, 1n, VALIDATORS_MODULE_ADDRESS, "register", new Uint8Array([0x93, 1, 2, 3]));
    const built = await produce(chain, [bad]);
    assert.equal(built.included.length, 0);
    assert.match(built.rejected[0]!.error.message, /invalid arguments for validators.register/);
    assert.ok(new ValidatorSet(validatorSets.get(store(), 0)!).hash);
  });
});
