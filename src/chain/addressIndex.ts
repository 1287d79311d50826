/**
 * The address index (spec/rpc.md §Address history): for every transaction, each address it
 * touches — its sender, its recipient, and every address a module event of its names — with the
 * roles it plays and the block-wide indexes of the logs that name it. Import writes a block's
 * entries in the block's own batch; a datadir without the index (or one whose marker is behind the
 * head) is rebuilt from stored bodies and receipts when the chain opens, in batches that each move
 * the marker, so an interrupted rebuild resumes where it stopped.
 */
import { moduleEvents } from "../../contracts/index.ts";
import { type AddressRef, AddressRole, type ChainDb } from "../db/index.ts";
import type { Logger } from "../logger/index.ts";
import { decodeTx } from "../tx/index.ts";
import type { Address, Receipt } from "../types/index.ts";

/** For each event topic0 (hex): where its address parameters sit (topic index, or data word). */
const ADDRESS_SLOTS = new Map<string, { topic?: number; word?: number }[]>(
  moduleEvents.map((e) => {
    const slots: { topic?: number; word?: number }[] = [];
    let topic = 1;
    let word = 0;
    for (const p of e.params) {
      if (p.type === "address") slots.push(p.indexed ? { topic } : { word });
      if (p.indexed) topic++;
      else word++;
    }
    return [Buffer.from(e.topic0).toString("hex"), slots];
  }),
);

/** Blocks read and written per batch while rebuilding. */
const REBUILD_BATCH_BLOCKS = 256;

/** The index entries of one block's transactions (sender from the receipt, recipient from the tx). */
export function blockAddressRefs(
  height: number,
  txs: readonly { hash: Uint8Array; to: Uint8Array | null }[],
  receipts: readonly Receipt[],
): AddressRef[] {
  const refs: AddressRef[] = [];
  let logIndex = 0;
  for (let txIndex = 0; txIndex < txs.length; txIndex++) {
    const tx = txs[txIndex]!;
    const receipt = receipts[txIndex]!;
    const sender: AddressRef = {
      address: receipt.from,
      height,
      txIndex,
      txHash: tx.hash,
      roles: AddressRole.sender,
      logs: [],
    };
    // Few addresses per transaction: a list beats a map keyed by hex.
    const own = [sender];
    const touch = (address: Address, role: number, log?: number) => {
      let r = own.find((x) => sameAddress(x.address, address));
      if (!r) {
        r = { address, height, txIndex, txHash: tx.hash, roles: 0, logs: [] };
        own.push(r);
      }
      r.roles |= role;
      if (log !== undefined && r.logs[r.logs.length - 1] !== log) r.logs.push(log);
    };
    if (tx.to) touch(tx.to, AddressRole.recipient);
    for (const log of receipt.logs) {
      const slots = log.topics[0] ? ADDRESS_SLOTS.get(Buffer.from(log.topics[0]).toString("hex")) : undefined;
      for (const s of slots ?? []) {
        const word =
          s.topic !== undefined ? log.topics[s.topic] : log.data.subarray(s.word! * 32, s.word! * 32 + 32);
        if (word && word.length === 32) touch(word.slice(12), AddressRole.log, logIndex);
      }
      logIndex++;
    }
    for (const r of own) refs.push(r);
  }
  return refs;
}

function sameAddress(a: Uint8Array, b: Uint8Array): boolean {
  for (let i = 0; i < 20; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Brings the index up to `head` from stored blocks: everything when it was never built, the
 * missing stretch when a rebuild was interrupted. A no-op when the marker is at the head.
 */
export async function rebuildAddressIndex(db: ChainDb, head: number, log: Logger): Promise<void> {
  const built = await db.addressIndexHeight();
  if (built !== undefined && built >= head) return;
  const from = (built ?? 0) + 1;
  const started = performance.now();
  log.info({ from, to: head }, "Rebuilding the address index");
  let refs: AddressRef[] = [];
  for (let h = from; h <= head; h++) {
    const hash = await db.hashAt(h);
    const body = hash && (await db.bodies.get(hash));
    const receipts = hash && (await db.receipts.get(hash));
    if (!body || !receipts) throw new Error(`block ${h} missing while rebuilding the address index`);
    const txs = body.txs.map((raw) => decodeTx(raw, Number.MAX_SAFE_INTEGER));
    for (const r of blockAddressRefs(h, txs, receipts)) refs.push(r);
    if (h === head || (h - from + 1) % REBUILD_BATCH_BLOCKS === 0) {
      await db.commitAddressIndex(refs, h);
      refs = [];
    }
  }
  log.info(
    { blocks: head - from + 1, ms: Math.round(performance.now() - started) },
    "Rebuilt the address index",
  );
}
