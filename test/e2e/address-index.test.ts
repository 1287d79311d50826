// The address index on real LevelDB, in process: a sender's whole history (far older than 200
// blocks) in pages, the recipient's and the log-named address's entries, and the rebuild on open
// when the index is missing or a rebuild was cut short. The index surviving kill -9 is checked in
// crash-recovery.test.ts; the RPC method and the explorer's address page in explorer.test.ts.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type AddressRef, AddressRole, Bucket, LevelKV } from "../../src/db/index.ts";
import { BANK_MODULE_ADDRESS } from "../../src/params/index.ts";
import { type Address, concatBytes, toHex, u32be } from "../../src/types/index.ts";
import { devAddresses } from "../helpers/chain.ts";
import { buildHistory, dropAddressIndex, openSingleValidatorChain } from "../helpers/history.ts";
import { tempDir } from "../helpers/process.ts";

const FROM = 3;
const named = new Uint8Array(20).fill(0x5a);

async function readAll(datadir: string, address: Address, pageSize: number): Promise<AddressRef[]> {
  const kv = await LevelKV.open(datadir, { sync: false });
  try {
    const chain = await openSingleValidatorChain(kv);
    const all: AddressRef[] = [];
    let before: { height: number; txIndex: number } | undefined;
    for (;;) {
      const page = await chain.addressHistory(address, { limit: pageSize, before });
      all.push(...page);
      if (page.length < pageSize) return all;
      const last = page[page.length - 1]!;
      before = { height: last.height, txIndex: last.txIndex };
    }
  } finally {
    await kv.close();
  }
}

const summary = (refs: AddressRef[]) =>
  refs.map((r) => `${r.height}/${r.txIndex}/${toHex(r.txHash)}/${r.roles}/${r.logs.join(",")}`);

describe("address index on LevelDB", () => {
  it("lists a whole history in pages and is rebuilt when missing or cut short", async () => {
    const datadir = tempDir();
    const built = await buildHistory(datadir, { blocks: 260, txBlocks: 12, from: FROM, named });
    assert.equal(built.height, 260);

    const sender = await readAll(datadir, devAddresses[FROM]!, 5);
    assert.deepEqual(
      sender.map((r) => toHex(r.txHash)),
      built.txs.map((t) => t.hash).reverse(),
      "every transaction, newest first, across pages",
    );
    assert.ok(
      built.height - sender[sender.length - 1]!.height > 200,
      "the oldest is more than 200 blocks back",
    );
    assert.ok(sender.every((r) => (r.roles & AddressRole.sender) !== 0));

    const recipient = await readAll(datadir, devAddresses[FROM + 1]!, 100);
    assert.equal(recipient.length, 12);
    assert.ok(recipient.every((r) => r.roles === AddressRole.recipient && r.logs.length === 0));
    // The bank module is the call's recipient; the address its Transfer log names is indexed by it.
    assert.equal((await readAll(datadir, BANK_MODULE_ADDRESS, 100)).length, 12);
    const viaLog = await readAll(datadir, named, 100);
    assert.equal(viaLog.length, 12);
    assert.ok(viaLog.every((r) => r.roles === AddressRole.log && r.logs.length === 1 && r.txIndex === 1));
    // The module call's log comes after the plain transfer's (none): block-wide log index 0.
    assert.ok(viaLog.every((r) => r.logs[0] === 0));

    const before = summary(sender).join("\n");
    // A datadir from before the index: rebuilt on open.
    await dropAddressIndex(datadir);
    assert.equal(summary(await readAll(datadir, devAddresses[FROM]!, 7)).join("\n"), before);

    // A rebuild cut short (marker at 5, later entries gone): resumed from there on open.
    const kv = await LevelKV.open(datadir, { sync: false });
    const later: Uint8Array[] = [];
    for await (const [k] of kv.entries(new Uint8Array([Bucket.addressIndex])))
      if (Buffer.from(k).readUInt32BE(21) > 5) later.push(k);
    assert.ok(later.length > 0);
    await kv.batch([
      ...later.map((key) => ({ type: "del" as const, key })),
      {
        type: "put",
        key: concatBytes(new Uint8Array([Bucket.meta]), new TextEncoder().encode("addressIndex")),
        value: u32be(5),
      },
    ]);
    await kv.close();
    assert.equal(summary(await readAll(datadir, devAddresses[FROM]!, 100)).join("\n"), before);
  });
});
