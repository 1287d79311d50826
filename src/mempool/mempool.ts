/**
 * The transaction pool (spec/mempool.md). Admission: decode → stateless checks → sender recovery
 * (worker threads) → nonce, fee and balance checks against the head state plus the sender's
 * pending transactions. Only gap-free nonces are held: a transaction may replace a pending one
 * (same nonce, both fee fields at least `priceBumpPercent` higher) or append the next nonce.
 * Limits: per sender, and in total with eviction of the cheapest last-in-line transaction.
 */
import type { Chain, ImportedBlock } from "../chain/index.ts";
import { rsBytes } from "../chain/index.ts";
import type { SenderRecovery } from "../crypto/index.ts";
import type { Metrics } from "../metrics/index.ts";
import {
  checkFeeCap,
  checkTxStatic,
  insufficientFunds,
  maxCost,
  nextBaseFee,
  type RecoveredTx,
  txEnv,
} from "../state/index.ts";
import { decodeTx, effectiveGasPrice, type SignedTx, TxError } from "../tx/index.ts";
import { type Address, addressKey, toChecksumAddress, toHex } from "../types/index.ts";

export interface MempoolOptions {
  maxPerSender: number;
  maxTotal: number;
  priceBumpPercent: bigint;
}

export interface PoolTx extends RecoveredTx {
  addedAt: number;
}

export class Mempool {
  /** Per sender: transactions in nonce order, starting at the account's nonce. */
  private readonly bySender = new Map<string, PoolTx[]>();
  private readonly byHash = new Map<string, PoolTx>();

  constructor(
    private readonly opts: MempoolOptions,
    private readonly m: { chain: Chain; recovery: SenderRecovery; metrics?: Metrics },
  ) {
    m.chain.onBlock((b) => this.onBlock(b));
  }

  get size(): number {
    return this.byHash.size;
  }

  /** Base fee the next block will have. */
  pendingBaseFee(): bigint {
    return nextBaseFee(this.m.chain.head, this.m.chain.preset);
  }

  get(hash: Uint8Array): PoolTx | undefined {
    return this.byHash.get(toHex(hash));
  }

  /** The nonce a new transaction from `address` should use. */
  pendingNonce(address: Address): bigint {
    const queue = this.bySender.get(addressKey(address));
    return this.m.chain.getAccount(address).nonce + BigInt(queue?.length ?? 0);
  }

  senders(): IterableIterator<[string, PoolTx[]]> {
    return this.bySender.entries();
  }

  async add(raw: Uint8Array): Promise<SignedTx> {
    try {
      return await this.admit(raw);
    } catch (e) {
      if (e instanceof TxError) this.m.metrics?.mempoolRejected.inc({ reason: e.code });
      throw e;
    }
  }

  private async admit(raw: Uint8Array): Promise<SignedTx> {
    const { chain } = this.m;
    const tx = decodeTx(raw, chain.preset.maxTxBytes);
    if (this.byHash.has(toHex(tx.hash))) throw new TxError("TX_KNOWN", "already known", "ignore");
    const baseFee = this.pendingBaseFee();
    checkTxStatic(tx, txEnv(chain.ctx, baseFee));
    const [sender] = await this.m.recovery.recover([
      { digest: tx.signingHash, rs: rsBytes(tx.r, tx.s), recovery: tx.recovery },
    ]);
    if (!sender) throw new TxError("TX_BAD_SIGNATURE", "invalid sender");
    checkFeeCap(tx, sender, baseFee);
    // Recovery was async: re-read the state it must be checked against now.
    if (this.byHash.has(toHex(tx.hash))) throw new TxError("TX_KNOWN", "already known", "ignore");
    const key = addressKey(sender);
    const account = chain.getAccount(sender);
    const queue = this.bySender.get(key) ?? [];
    const next = account.nonce + BigInt(queue.length);
    if (tx.nonce < account.nonce) {
      throw new TxError(
        "TX_NONCE_TOO_LOW",
        `nonce too low: address ${toChecksumAddress(sender)}, tx: ${tx.nonce} state: ${account.nonce}`,
      );
    }
    if (tx.nonce > next) {
      throw new TxError(
        "TX_NONCE_TOO_HIGH",
        `nonce too high: address ${toChecksumAddress(sender)}, tx: ${tx.nonce} next: ${next} (this node holds no nonce gaps; send nonce ${next} first)`,
      );
    }
    const slot = Number(tx.nonce - account.nonce);
    const replacing = queue[slot];
    if (replacing) {
      const bump = 100n + this.opts.priceBumpPercent;
      if (
        tx.maxFeePerGas * 100n < replacing.tx.maxFeePerGas * bump ||
        tx.maxPriorityFeePerGas * 100n < replacing.tx.maxPriorityFeePerGas * bump
      ) {
        throw new TxError("TX_UNDERPRICED_REPLACEMENT", "replacement transaction underpriced");
      }
    } else if (queue.length >= this.opts.maxPerSender) {
      throw new TxError(
        "TX_SENDER_LIMIT",
        `account limit exceeded: ${this.opts.maxPerSender} pending transactions from ${toChecksumAddress(sender)}`,
      );
    }
    // Funds must cover every pending transaction of this sender up to and including this one.
    let cost = 0n;
    for (let i = 0; i < slot; i++) cost += maxCost(queue[i]!.tx);
    cost += maxCost(tx);
    if (account.balance < cost) throw insufficientFunds(sender, account.balance, cost);

    if (!replacing && this.byHash.size >= this.opts.maxTotal) this.evictFor(tx, baseFee);
    const entry: PoolTx = { tx, sender, addedAt: Date.now() };
    if (replacing) {
      this.byHash.delete(toHex(replacing.tx.hash));
      // Later transactions may no longer be affordable with the dearer replacement.
      const dropped = queue.splice(slot);
      for (const d of dropped.slice(1)) this.byHash.delete(toHex(d.tx.hash));
      queue.push(entry);
      this.byHash.set(toHex(tx.hash), entry);
      for (const d of dropped.slice(1)) {
        if (account.balance >= this.queueCost(queue) + maxCost(d.tx)) {
          queue.push(d);
          this.byHash.set(toHex(d.tx.hash), d);
        } else break;
      }
    } else {
      queue.push(entry);
      this.byHash.set(toHex(tx.hash), entry);
    }
    this.bySender.set(key, queue);
    this.m.metrics?.mempoolSize.set(this.byHash.size);
    return tx;
  }

  private queueCost(queue: PoolTx[]): bigint {
    let c = 0n;
    for (const p of queue) c += maxCost(p.tx);
    return c;
  }

  /** Make room by dropping the lowest-tip transaction that is last in its sender's queue. */
  private evictFor(tx: SignedTx, baseFee: bigint): void {
    let worst: { key: string; tip: bigint } | undefined;
    for (const [key, queue] of this.bySender) {
      const last = queue[queue.length - 1]!;
      const tip = effectiveGasPrice(last.tx, baseFee) - baseFee;
      if (!worst || tip < worst.tip) worst = { key, tip };
    }
    const newTip = effectiveGasPrice(tx, baseFee) - baseFee;
    if (!worst || newTip <= worst.tip) throw new TxError("TX_POOL_FULL", "txpool is full");
    const queue = this.bySender.get(worst.key)!;
    const evicted = queue.pop()!;
    this.byHash.delete(toHex(evicted.tx.hash));
    if (queue.length === 0) this.bySender.delete(worst.key);
    this.m.metrics?.mempoolRejected.inc({ reason: "EVICTED" });
  }

  /**
   * Candidates for the next block: the highest effective tip first across senders, each
   * sender's transactions in nonce order.
   */
  *candidates(): Iterable<PoolTx> {
    const baseFee = this.pendingBaseFee();
    const tip = (p: PoolTx) => effectiveGasPrice(p.tx, baseFee) - baseFee;
    const heads: { queue: PoolTx[]; i: number; tip: bigint }[] = [];
    for (const queue of this.bySender.values()) heads.push({ queue, i: 0, tip: tip(queue[0]!) });
    // Max-heap by tip; ties broken by arrival.
    const better = (a: (typeof heads)[0], b: (typeof heads)[0]) =>
      a.tip > b.tip || (a.tip === b.tip && a.queue[a.i]!.addedAt < b.queue[b.i]!.addedAt);
    const heap = new Heap(heads, better);
    while (heap.size > 0) {
      const top = heap.peek()!;
      yield top.queue[top.i]!;
      top.i++;
      if (top.i < top.queue.length) {
        top.tip = tip(top.queue[top.i]!);
        heap.replaceTop(top);
      } else heap.pop();
    }
  }

  /** After a block: drop included and now-invalid transactions of the senders it touched. */
  private onBlock(b: ImportedBlock): void {
    const touched = new Set<string>();
    for (const rt of b.txs) touched.add(addressKey(rt.sender));
    touched.add(addressKey(b.header.proposer));
    for (const key of touched) this.revalidateSender(key);
    this.m.metrics?.mempoolSize.set(this.byHash.size);
  }

  private revalidateSender(key: string): void {
    const queue = this.bySender.get(key);
    if (!queue) return;
    const account = this.m.chain.getAccount(queue[0]!.sender);
    const kept: PoolTx[] = [];
    let expected = account.nonce;
    let cost = 0n;
    for (const p of queue) {
      if (p.tx.nonce < account.nonce) {
        this.byHash.delete(toHex(p.tx.hash));
        continue;
      }
      cost += maxCost(p.tx);
      if (p.tx.nonce !== expected || cost > account.balance) {
        this.byHash.delete(toHex(p.tx.hash));
        continue;
      }
      kept.push(p);
      expected++;
    }
    if (kept.length === 0) this.bySender.delete(key);
    else this.bySender.set(key, kept);
  }

  /** Drop transactions a block builder found invalid. */
  remove(hashes: Uint8Array[]): void {
    for (const h of hashes) {
      const p = this.byHash.get(toHex(h));
      if (!p) continue;
      const key = addressKey(p.sender);
      const queue = this.bySender.get(key)!;
      const i = queue.indexOf(p);
      for (const d of queue.splice(i)) this.byHash.delete(toHex(d.tx.hash));
      if (queue.length === 0) this.bySender.delete(key);
    }
    this.m.metrics?.mempoolSize.set(this.byHash.size);
  }
}

/** Binary heap with a caller-given order. */
class Heap<T> {
  constructor(
    private readonly items: T[],
    private readonly better: (a: T, b: T) => boolean,
  ) {
    for (let i = (items.length >> 1) - 1; i >= 0; i--) this.down(i);
  }
  get size(): number {
    return this.items.length;
  }
  peek(): T | undefined {
    return this.items[0];
  }
  replaceTop(v: T): void {
    this.items[0] = v;
    this.down(0);
  }
  pop(): T | undefined {
    const top = this.items[0];
    const last = this.items.pop()!;
    if (this.items.length > 0) {
      this.items[0] = last;
      this.down(0);
    }
    return top;
  }
  private down(i: number): void {
    const n = this.items.length;
    for (;;) {
      let best = i;
      const l = 2 * i + 1;
      const r = l + 1;
      if (l < n && this.better(this.items[l]!, this.items[best]!)) best = l;
      if (r < n && this.better(this.items[r]!, this.items[best]!)) best = r;
      if (best === i) return;
      [this.items[i], this.items[best]] = [this.items[best]!, this.items[i]!];
      i = best;
    }
  }
}
