// Validator sets as chain state, end to end: five in-process nodes (real libp2p over loopback,
// LevelDB, consensus, beacon) cross a cycle boundary at which a test-only module changes the set
// (one validator added after registering, one removed, weights changed). The chain keeps
// finalizing under the new set, the new validator's signature appears in certificates, and a
// fresh node range-syncs across the change verifying every certificate.
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { JsonRpcProvider, Wallet } from "ethers";
import {
  defaultModules,
  ENVELOPE_VERSION,
  envelopeCodec,
  registerArgs,
  registrationMessage,
} from "../../contracts/index.ts";
import { blsSign, deriveBlsKeys, TEST_MNEMONIC } from "../../src/crypto/index.ts";
import { encode } from "../../src/encoding/index.ts";
import { silentLogger } from "../../src/logger/index.ts";
import { defaultNodeOptions, RacecoinNode } from "../../src/node/index.ts";
import { VALIDATORS_MODULE_ADDRESS } from "../../src/params/index.ts";
import { fromHex, toChecksumAddress, toHex } from "../../src/types/index.ts";
import { devAddresses, devKeys } from "../helpers/chain.ts";
import { churnModule, setWeightsArgs } from "../helpers/churnModule.ts";
import { assertSameChain, rpc, status, waitFor } from "../helpers/network.ts";
import { freePort, tempDir } from "../helpers/process.ts";

const bls = deriveBlsKeys(TEST_MNEMONIC, 6);
const registry = defaultModules.with([churnModule]);

async function startNode(key: number | undefined, p2pPort: number, bootstrap: number[]) {
  const node = new RacecoinNode(
    {
      ...defaultNodeOptions,
      datadir: tempDir("racecoin-churn-"),
      genesisPath: "genesis/devnet.json",
      rpc: { ...defaultNodeOptions.rpc, host: "127.0.0.1", port: await freePort() },
      p2p: { host: "127.0.0.1", port: p2pPort, bootstrap: bootstrap.map((p) => `/ip4/127.0.0.1/tcp/${p}`) },
      blockTimeMs: 250,
      validatorKey: key === undefined ? undefined : bls[key],
      recoveryWorkers: 0,
      dbSync: false,
      modules: registry,
    },
    silentLogger(),
  );
  await node.start();
  return node;
}

async function sendModuleCall(url: string, from: number, to: Uint8Array, method: string, args: Uint8Array) {
  const provider = new JsonRpcProvider(url, undefined, { staticNetwork: true, cacheTimeout: -1 });
  const wallet = new Wallet(toHex(devKeys[from]!), provider);
  const sent = await wallet.sendTransaction({
    to: toChecksumAddress(to),
    data: toHex(encode(envelopeCodec, { version: ENVELOPE_VERSION, method, args })),
    gasLimit: 300_000n,
  });
  const receipt = await sent.wait(1, 30_000);
  provider.destroy();
  return receipt;
}

describe("validator set change at a cycle boundary (in-process network)", { timeout: 240_000 }, () => {
  const nodes: RacecoinNode[] = [];
  after(async () => {
    await Promise.all(nodes.map((n) => n.stop()));
  });

  it("keeps finalizing across the change; the new validator signs; a fresh node syncs across it", async () => {
    const ports = await Promise.all([0, 1, 2, 3, 4].map(() => freePort()));
    // Validators 0-3 are in genesis; node 4 holds dev account 5's key, not yet in any set.
    const keys = [0, 1, 2, 3, 5];
    for (const [i, k] of keys.entries())
      nodes.push(
        await startNode(
          k,
          ports[i]!,
          ports.filter((_, j) => j !== i),
        ),
      );
    const urls = nodes.map((n) => n.rpcUrl);
    await waitFor("height 2 everywhere", async () =>
      (await Promise.all(urls.map(status))).every((s) => s.height >= 2),
    );

    const k5 = bls[5]!;
    const proof = blsSign(
      k5.secretKey,
      "register",
      registrationMessage(72270n, devAddresses[5]!, k5.publicKey),
    );
    const reg = await sendModuleCall(
      urls[0]!,
      5,
      VALIDATORS_MODULE_ADDRESS,
      "register",
      encode(registerArgs, { blsKey: k5.publicKey, proof, peerId: new Uint8Array(0) }),
    );
    assert.equal(reg?.status, 1);
    const weights = [
      // No weight over a third of the set (a larger one would be capped: validators.md).
      { address: devAddresses[0]!, weight: 20n },
      { address: devAddresses[1]!, weight: 21n },
      { address: devAddresses[2]!, weight: 30n },
      { address: devAddresses[5]!, weight: 25n },
    ];
    const set = await sendModuleCall(
      urls[1]!,
      1,
      churnModule.address,
      "setWeights",
      encode(setWeightsArgs, { weights }),
    );
    assert.equal(set?.status, 1);

    const L = 60;
    await waitFor(
      "finality well past the boundary on the nodes of the new set",
      async () =>
        (await Promise.all([0, 1, 2, 4].map((i) => status(urls[i]!)))).every((s) => s.height >= L + 8),
      120_000,
    );
    type SetJson = { validators: { address: string; weight: string }[] };
    const before = await rpc<SetJson>(urls[0]!, "chain_getValidators", [L - 1]);
    const afterSet = await rpc<SetJson>(urls[0]!, "chain_getValidators", [L]);
    assert.deepEqual(
      before.validators.map((v) => v.address),
      [0, 1, 2, 3].map((i) => toChecksumAddress(devAddresses[i]!)),
    );
    assert.deepEqual(
      afterSet.validators.map((v) => [v.address, v.weight]),
      [
        [toChecksumAddress(devAddresses[2]!), "30"],
        [toChecksumAddress(devAddresses[5]!), "25"],
        [toChecksumAddress(devAddresses[1]!), "21"],
        [toChecksumAddress(devAddresses[0]!), "20"],
      ],
    );
    // The same answer through the module's own RPC namespace.
    const viaModule = await rpc<SetJson>(urls[2]!, "validators_set", [{ cycle: 1 }]);
    assert.deepEqual(
      viaModule.validators.map((v) => v.weight),
      ["30", "25", "21", "20"],
    );

    // The new validator (index 1 in the new set) signs certificates of the new cycle.
    let signedByNew = 0;
    for (let h = L + 1; h <= L + 7; h++) {
      const c = await rpc<{ signers: string }>(urls[0]!, "chain_getCommit", [h]);
      if ((fromHex(c.signers)[0]! & 0b10) !== 0) signedByNew++;
    }
    assert.ok(signedByNew > 0, "the added validator's bit appears in certificates after the change");
    await assertSameChain([0, 1, 2, 4].map((i) => urls[i]!));

    // A fresh follower syncs from genesis across the change, verifying every certificate.
    const follower = await startNode(undefined, await freePort(), ports);
    nodes.push(follower);
    const target = (await status(urls[0]!)).height;
    await waitFor(
      "follower synced past the boundary",
      async () => (await status(follower.rpcUrl)).height >= target,
      60_000,
    );
    await assertSameChain([urls[0]!, follower.rpcUrl]);
  });
});
