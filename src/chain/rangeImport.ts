/**
 * Preparing blocks for the pure transition (decode, recover senders in the worker pool) and
 * importing certified ranges (range sync, benchmarks).
 */
import { type ValidatorSet, verifyCertificateBatch } from "../consensus/index.ts";
import type { SenderRecovery } from "../crypto/index.ts";
import { headerHash } from "../encoding/index.ts";
import { cycleOf } from "../params/index.ts";
import { BlockError } from "../state/index.ts";
import { decodeTx, TxError } from "../tx/index.ts";
import { type Block, bigintToBytes, type CommitCertificate } from "../types/index.ts";
import type { Chain, PreparedBlock } from "./chain.ts";

export function rsBytes(r: bigint, s: bigint): Uint8Array {
  const out = new Uint8Array(64);
  const rb = bigintToBytes(r);
  const sb = bigintToBytes(s);
  out.set(rb, 32 - rb.length);
  out.set(sb, 64 - sb.length);
  return out;
}

/** Decode every transaction and recover senders; throws BlockError on any bad transaction. */
export async function prepareBlock(
  block: Block,
  maxTxBytes: number,
  recovery: SenderRecovery,
): Promise<PreparedBlock> {
  const decoded = block.txs.map((raw, i) => {
    try {
      return decodeTx(raw, maxTxBytes);
    } catch (e) {
      if (e instanceof TxError)
        throw new BlockError("BLOCK_ERROR_TX_INVALID", `transaction ${i}: ${e.message}`);
      throw e;
    }
  });
  const senders = await recovery.recover(
    decoded.map((tx) => ({ digest: tx.signingHash, rs: rsBytes(tx.r, tx.s), recovery: tx.recovery })),
  );
  const txs = decoded.map((tx, i) => {
    const sender = senders[i];
    if (!sender) throw new BlockError("BLOCK_ERROR_TX_INVALID", `transaction ${i}: invalid sender`);
    return { tx, sender };
  });
  return { block, txs };
}

/**
 * Import many certified blocks in order. Sender recovery runs `depth` blocks ahead in the worker
 * pool so the workers never wait for the main thread to decode the next block. Only the last
 * block's batch is fsynced: after a power loss the node restarts at an earlier final block and
 * fetches the rest again (a process kill loses nothing either way).
 */
export async function importRange(
  chain: Chain,
  blocks: { block: Block; commit: CommitCertificate }[],
  depth: number,
): Promise<void> {
  // One batched pairing check per run of blocks whose validator sets are known (per cycle); a
  // failure falls through to per-block checks, which reject the first bad certificate with its
  // reason. A block that ends a cycle decides the next cycle's set: the blocks after it are
  // batched once it is imported.
  let verifiedTo = 0;
  const verifyAhead = (from: number): number => {
    const byCycle = new Map<
      number,
      { set: ValidatorSet; claims: Parameters<typeof verifyCertificateBatch>[2] }
    >();
    let end = from;
    for (; end < blocks.length; end++) {
      const { block, commit } = blocks[end]!;
      const set = chain.tryValidatorsAt(block.header.height);
      if (!set) break;
      const cycle = cycleOf(block.header.height, chain.preset.cycleLength);
      let g = byCycle.get(cycle);
      if (!g) {
        g = { set, claims: [] };
        byCycle.set(cycle, g);
      }
      g.claims.push({ height: block.header.height, blockHash: headerHash(block.header), cert: commit });
    }
    for (const g of byCycle.values()) verifyCertificateBatch(g.set, chain.ctx.chainId, g.claims);
    return Math.max(end, from + 1);
  };
  const inflight: Promise<PreparedBlock>[] = [];
  let next = 0;
  const fill = () => {
    while (inflight.length < depth && next < blocks.length) {
      const p = chain.prepare(blocks[next++]!.block);
      p.catch(() => undefined); // awaited below in order; avoid an early unhandled rejection
      inflight.push(p);
    }
  };
  fill();
  let done = 0;
  while (inflight.length > 0) {
    const prepared = await inflight.shift()!;
    fill();
    if (done >= verifiedTo) verifiedTo = verifyAhead(done);
    const last = done === blocks.length - 1;
    await chain.importBlock(prepared, blocks[done++]!.commit, { durable: last });
  }
}
