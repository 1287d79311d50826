/**
 * Module transactions from a node's own account (race commits, reveals, attestations, fraud
 * proofs, BLS registration): estimated, signed, added to the local mempool and gossiped, which
 * publishes them again until they are included.
 */
import { ENVELOPE_VERSION, envelopeCodec } from "../../../contracts/index.ts";
import type { Chain } from "../../chain/index.ts";
import { privateKeyToAddress } from "../../crypto/index.ts";
import { encode } from "../../encoding/index.ts";
import type { Mempool } from "../../mempool/index.ts";
import { estimateGas } from "../../state/index.ts";
import { signTx } from "../../tx/index.ts";
import type { Address } from "../../types/index.ts";

export interface SenderDeps {
  chain: Chain;
  mempool: Mempool;
  broadcastTx: (raw: Uint8Array) => void;
  /** Connected peers: a transaction gossiped with none would reach no one. */
  peers: () => number;
}

export class ModuleTxSender {
  readonly address: Address;
  /** Sends run one at a time, so two never take the same account nonce. */
  private queue: Promise<void> = Promise.resolve();

  constructor(
    private readonly accountKey: Uint8Array,
    private readonly d: SenderDeps,
    /** Gas for calls the chain is expected to refuse (test-only cheaters); otherwise estimation errors throw. */
    private readonly fallbackGas?: bigint,
  ) {
    this.address = privateKeyToAddress(accountKey);
  }

  /** Nothing is sent while the node has no peers: it would wait in this pool alone. */
  send(to: Address, method: string, args: Uint8Array): Promise<void> {
    const run = this.queue.then(() => this.sendNow(to, method, args));
    this.queue = run.catch(() => {});
    return run;
  }

  private async sendNow(to: Address, method: string, args: Uint8Array): Promise<void> {
    if (this.d.peers() === 0) throw new Error(`no peers to send the ${method} transaction to`);
    const { chain, mempool } = this.d;
    const data = encode(envelopeCodec, { version: ENVELOPE_VERSION, method, args });
    const env = {
      chainId: chain.ctx.chainId,
      preset: chain.preset,
      height: chain.head.height + 1,
      modules: chain.modules,
    };
    let gas: bigint;
    try {
      gas = estimateGas(chain.state, { from: this.address, to, value: 0n, data }, env);
    } catch (e) {
      if (this.fallbackGas === undefined) throw e;
      gas = this.fallbackGas;
    }
    const baseFee = mempool.pendingBaseFee();
    const tip = 1_000_000_000n;
    const tx = signTx(
      {
        type: 2,
        chainId: chain.ctx.chainId,
        nonce: mempool.pendingNonce(this.address),
        maxPriorityFeePerGas: tip,
        maxFeePerGas: 2n * baseFee + tip,
        gasLimit: gas + gas / 5n,
        to,
        value: 0n,
        data,
        accessList: [],
      },
      this.accountKey,
    );
    await mempool.add(tx.raw);
    this.d.broadcastTx(tx.raw);
  }
}
