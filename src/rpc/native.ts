/** Racecoin's own namespaces: chain_* and txpool_*. */
import { toChecksumAddress, toHex, toQuantity } from "../types/index.ts";
import type { RpcContext } from "./context.ts";
import { formatTx } from "./format.ts";

export const nativeHandlers = {
  chain_getStatus: (ctx: RpcContext) => ({
    chainId: ctx.chain.ctx.chainId.toString(10),
    height: ctx.chain.head.height,
    headHash: toHex(ctx.chain.headHash),
    finalizedHeight: ctx.finalizedHeight(),
    peers: ctx.peers(),
    syncing: ctx.syncing(),
    preset: ctx.chain.preset.name,
    cycle: ctx.chain.head.cycle,
    stateRoot: toHex(ctx.chain.head.stateRoot),
    mempool: ctx.mempool.size,
  }),

  txpool_status: (ctx: RpcContext) => ({ pending: toQuantity(ctx.mempool.size), queued: "0x0" }),

  txpool_content: (ctx: RpcContext) => {
    const pending: Record<string, Record<string, unknown>> = {};
    for (const [, queue] of ctx.mempool.senders()) {
      const byNonce: Record<string, unknown> = {};
      for (const p of queue) byNonce[p.tx.nonce.toString()] = formatTx(p.tx, p.sender, null);
      pending[toChecksumAddress(queue[0]!.sender)] = byNonce;
    }
    return { pending, queued: {} };
  },
};
