// Module state over JSON-RPC on a running node: module queries in their own namespace, and
// module storage proved with ethers' provider and @ethereumjs/mpt against the block's state root.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { createMPT, verifyMPTWithMerkleProof } from "@ethereumjs/mpt";
import { JsonRpcProvider } from "ethers";
import { registrations, storageSlot, validatorSets } from "../../contracts/index.ts";
import { encode, rlpDecode, validatorListCodec } from "../../src/encoding/index.ts";
import { VALIDATORS_MODULE_ADDRESS } from "../../src/params/index.ts";
import { fromHex, toChecksumAddress, toHex } from "../../src/types/index.ts";
import { devAddresses } from "../helpers/chain.ts";
import { type NodeProcess, rpc, startNode } from "../helpers/process.ts";

describe("module state over RPC", () => {
  let node: NodeProcess;
  before(async () => {
    node = await startNode({ genesis: "genesis/devnet.json", validator: -1 });
  });
  after(async () => {
    await node?.stop();
  });

  it("answers module queries as <module>_<query> with JSON arguments, and refuses bad ones", async () => {
    const set = await rpc<{ validators: { address: string; weight: string }[] }>(node.url, "validators_set", [
      { cycle: 0 },
    ]);
    assert.deepEqual(
      set.validators.map((v) => [toChecksumAddress(fromHex(v.address)), v.weight]),
      [0, 1, 2, 3].map((i) => [toChecksumAddress(devAddresses[i]!), "100"]),
    );
    const reg = await rpc<{ registrations: { blsKey: string; height: number }[] }>(
      node.url,
      "validators_registration",
      [{ address: toHex(devAddresses[1]!) }],
    );
    assert.equal(reg.registrations.length, 1);
    assert.equal(reg.registrations[0]!.height, 0);
    const none = await rpc<{ validators: unknown[] }>(node.url, "validators_set", [{ cycle: 99 }]);
    assert.deepEqual(none.validators, []);
    const account = await rpc<{ balance: string }>(node.url, "bank_account", [
      { address: toHex(devAddresses[0]!) },
    ]);
    assert.equal(account.balance, (10_000n * 10n ** 18n).toString());
    const post = async (method: string, params: unknown[]) =>
      (await (
        await fetch(node.url, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }),
        })
      ).json()) as { error?: { code: number; message: string } };
    assert.equal((await post("validators_set", [{ cycle: "one" }])).error?.code, -32602);
    assert.match(
      (await post("validators_set", [{ cycle: 1, extra: 2 }])).error!.message,
      /unknown field "extra"/,
    );
    assert.equal((await post("validators_nosuch", [{}])).error?.code, -32601);
    assert.equal((await post("nosuchmodule_set", [{}])).error?.code, -32601);
  });

  it("proves module storage slots with eth_getProof, and eth_getStorageAt reads them", async () => {
    const provider = new JsonRpcProvider(node.url, undefined, { staticNetwork: true });
    const block = await provider.getBlock("latest");
    const slot = toHex(storageSlot(validatorSets.storeKey(0)));
    const missing = toHex(storageSlot(registrations.storeKey(devAddresses[9]!)));
    const proof = await provider.send("eth_getProof", [
      toChecksumAddress(VALIDATORS_MODULE_ADDRESS),
      [slot, missing],
      block!.hash,
    ]);
    const trie = await createMPT({ useKeyHashing: true });
    const account = await verifyMPTWithMerkleProof(
      trie,
      fromHex(block!.stateRoot!),
      VALIDATORS_MODULE_ADDRESS,
      proof.accountProof.map(fromHex),
    );
    assert.ok(account, "the module account is in the state trie");
    const storageRoot = (rlpDecode(account) as Uint8Array[])[2]!;
    assert.equal(toHex(storageRoot), proof.storageHash);
    const expected = encode(
      validatorListCodec,
      (await import("../../src/chain/index.ts")).parseGenesis(
        JSON.parse((await import("node:fs")).readFileSync("genesis/devnet.json", "utf8")),
      ).validators,
    );
    const leaf = await verifyMPTWithMerkleProof(
      trie,
      storageRoot,
      fromHex(slot),
      proof.storageProof[0].proof.map(fromHex),
    );
    assert.ok(leaf);
    assert.equal(toHex(rlpDecode(leaf) as Uint8Array), toHex(expected));
    assert.equal(proof.storageProof[0].value, toHex(expected));
    assert.equal(proof.storageProof[1].value, "0x0");
    assert.equal(
      await verifyMPTWithMerkleProof(
        trie,
        storageRoot,
        fromHex(missing),
        proof.storageProof[1].proof.map(fromHex),
      ),
      null,
    );
    assert.equal(
      await provider.getStorage(toChecksumAddress(VALIDATORS_MODULE_ADDRESS), slot, block!.hash!),
      toHex(expected),
    );
    assert.equal(
      await provider.getStorage(toChecksumAddress(devAddresses[0]!), slot),
      `0x${"00".repeat(32)}`,
      "ordinary accounts have no storage",
    );
    provider.destroy();
  });
});
