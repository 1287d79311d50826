/**
 * The transaction pool (spec/mempool.md), shaped like geth's. Admission: decode → stateless
 * checks → sender recovery (worker threads) → nonce, fee and balance checks against the head
 * state plus the sender's pending transactions. Per sender, `pending` runs gap-free from the
 * account nonce (what blocks take); a transaction with a future nonce waits in `queued` and is
 * promoted when the gap fills, so arrival order (gossip, load balancers) cannot lose one. A
 * transaction leaves only when included, replaced, invalid against state, or evicted by the pool
 * limit, and an eviction is reported to the sender on its next dependent submission.
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
import { type Account, type Address, addressKey, toChecksumAddress, toHex } from "../types/index.ts";
import { Heap } from "./heap.ts";

export interface MempoolOptions {
  /** Transactions held per sender, pending and queued together; also the furthest nonce ahead. */
  maxPerSender: number;
  maxTotal: number;
  priceBumpPercent: bigint;
}

export interface PoolTx extends RecoveredTx {
  addedAt: number;
}

/** One sender's transactions: `pending` runs gap-free from the account nonce; `queued` waits for a gap to fill. */
interface SenderTxs {
  pending: PoolTx[];
  queued: Map<bigint, PoolTx>;
}

/** An eviction the sender has not been told about yet. */
interface Eviction {
  nonce: bigint;
  hash: Uint8Array;
}

/** Rejections a block builder may report that say nothing about the transaction's future validity. */
const TRANSIENT = new Set(["TX_FEE_CAP_TOO_LOW"]);

export class Mempool {
  private readonly bySender = new Map<string, SenderTxs>();
  private readonly byHash = new Map<string, PoolTx>();
  private readonly evicted = new Map<string, Eviction>();
  private pendingCount = 0;
  /** Called with each admitted transaction's raw bytes (the journal). */
  onAdmit?: (raw: Uint8Array) => void;
  private readonly addedListeners: ((tx: SignedTx) => void)[] = [];

  /** Called for every admitted transaction (RPC subscriptions and filters). */
  onAdded(listener: (tx: SignedTx) => void): void {
    this.addedListeners.push(listener);
  }

  constructor(
    private readonly opts: MempoolOptions,
    private readonly m: { chain: Chain; recovery: SenderRecovery; metrics?: Metrics },
  ) {
    m.chain.onBlock((b) => this.onBlock(b));
  }

  /** Pending and queued together. */
  get size(): number {
    return this.byHash.size;
  }

  get pendingSize(): number {
    return this.pendingCount;
  }

  get queuedSize(): number {
    return this.byHash.size - this.pendingCount;
  }

  /** Base fee the next block will have. */
  pendingBaseFee(): bigint {
    return nextBaseFee(this.m.chain.head, this.m.chain.preset);
  }

  get(hash: Uint8Array): PoolTx | undefined {
    return this.byHash.get(toHex(hash));
  }

  /** The nonce a new transaction from `address` should use (queued transactions do not count). */
  pendingNonce(address: Address): bigint {
    const s = this.bySender.get(addressKey(address));
    return this.m.chain.getAccount(address).nonce + BigInt(s?.pending.length ?? 0);
  }

  /** Each sender's pending transactions, in nonce order. */
  *senders(): IterableIterator<[string, PoolTx[]]> {
    for (const [k, s] of this.bySender) if (s.pending.length > 0) yield [k, s.pending];
  }

  /** Each sender's queued transactions, in nonce order. */
  *queuedBySender(): IterableIterator<[string, PoolTx[]]> {
    for (const [k, s] of this.bySender)
      if (s.queued.size > 0)
        yield [k, [...s.queued.values()].sort((a, b) => (a.tx.nonce < b.tx.nonce ? -1 : 1))];
  }

  /** Every held transaction's raw bytes, each sender in nonce order (journal rotation). */
  *all(): Iterable<Uint8Array> {
    for (const s of this.bySender.values()) {
      for (const p of s.pending) yield p.tx.raw;
      for (const p of [...s.queued.values()].sort((a, b) => (a.tx.nonce < b.tx.nonce ? -1 : 1)))
        yield p.tx.raw;
    }
  }

  async add(raw: Uint8Array): Promise<SignedTx> {
    try {
      const tx = await this.admit(raw);
      this.onAdmit?.(raw);
      for (const l of this.addedListeners) l(tx);
      return tx;
    } catch (e) {
      if (e instanceof TxError) this.m.metrics?.mempoolRejected.inc({ reason: e.code });
      throw e;
    } finally {
      this.m.metrics?.mempoolSize.set(this.byHash.size);
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
    const s = this.bySender.get(key) ?? { pending: [], queued: new Map<bigint, PoolTx>() };
    // Only error messages name the sender: its checksum costs a keccak per admitted transaction.
    const who = () => toChecksumAddress(sender);
    if (tx.nonce < account.nonce)
      throw new TxError(
        "TX_NONCE_TOO_LOW",
        `nonce too low: address ${who()}, tx: ${tx.nonce} state: ${account.nonce}`,
      );
    this.reportEviction(key, tx, account.nonce, s);
    const slot = Number(tx.nonce - account.nonce);
    const replacing = s.pending[slot] ?? s.queued.get(tx.nonce);
    if (replacing) {
      const bump = 100n + this.opts.priceBumpPercent;
      if (
        tx.maxFeePerGas * 100n < replacing.tx.maxFeePerGas * bump ||
        tx.maxPriorityFeePerGas * 100n < replacing.tx.maxPriorityFeePerGas * bump
      )
        throw new TxError("TX_UNDERPRICED_REPLACEMENT", "replacement transaction underpriced");
    } else if (s.pending.length + s.queued.size >= this.opts.maxPerSender) {
      throw new TxError(
        "TX_SENDER_LIMIT",
        `account limit exceeded: ${this.opts.maxPerSender} pending transactions from ${who()}`,
      );
    } else if (slot >= this.opts.maxPerSender) {
      throw new TxError(
        "TX_NONCE_TOO_HIGH",
        `nonce too high: address ${who()}, tx: ${tx.nonce} state: ${account.nonce} (this node queues at most ${this.opts.maxPerSender} nonces ahead)`,
      );
    }
    const entry: PoolTx = { tx, sender, addedAt: Date.now() };
    if (slot <= s.pending.length) {
      // Funds must cover every pending transaction of this sender up to and including this one.
      let cost = 0n;
      for (let i = 0; i < slot; i++) cost += maxCost(s.pending[i]!.tx);
      cost += maxCost(tx);
      if (account.balance < cost) throw insufficientFunds(sender, account.balance, cost);
    } else if (account.balance < maxCost(tx)) {
      throw insufficientFunds(sender, account.balance, maxCost(tx));
    }
    if (!replacing && this.byHash.size >= this.opts.maxTotal) this.evictFor(tx, baseFee);
    if (replacing) {
      this.byHash.delete(toHex(replacing.tx.hash));
      const i = s.pending.indexOf(replacing);
      if (i >= 0) s.pending[i] = entry;
      else s.queued.set(tx.nonce, entry);
    } else if (slot === s.pending.length) {
      s.pending.push(entry);
      this.pendingCount++;
    } else s.queued.set(tx.nonce, entry);
    this.byHash.set(toHex(tx.hash), entry);
    this.bySender.set(key, s);
    // Promote what a filled gap allows; a dearer replacement may leave later ones unaffordable.
    this.settle(key, s, account);
    return tx;
  }

  /**
   * A sender whose transaction this node evicted learns it on its next submission that depends on
   * it, instead of a silent wait: that submission is refused with the nonce to resend.
   */
  private reportEviction(key: string, tx: SignedTx, accountNonce: bigint, s: SenderTxs): void {
    const e = this.evicted.get(key);
    if (!e) return;
    if (e.nonce < accountNonce || tx.nonce <= e.nonce || this.heldNonce(s, e.nonce)) {
      if (e.nonce < accountNonce || tx.nonce === e.nonce) this.evicted.delete(key);
      return;
    }
    this.evicted.delete(key);
    throw new TxError(
      "TX_EVICTED",
      `transaction ${toHex(e.hash)} with nonce ${e.nonce} was evicted from this node's full txpool for a higher-paying one; resend nonce ${e.nonce} (with a higher tip) before nonce ${tx.nonce}`,
    );
  }

  private heldNonce(s: SenderTxs, nonce: bigint): boolean {
    return s.queued.has(nonce) || s.pending.some((p) => p.tx.nonce === nonce);
  }

  private drop(p: PoolTx): void {
    this.byHash.delete(toHex(p.tx.hash));
    const key = addressKey(p.sender);
    const s = this.bySender.get(key);
    if (!s) return;
    const i = s.pending.indexOf(p);
    if (i >= 0) {
      s.pending.splice(i, 1);
      this.pendingCount--;
    } else s.queued.delete(p.tx.nonce);
  }

  /**
   * Re-check a sender against the account: drop what is stale (nonce below the account's), keep
   * pending gap-free and affordable, drop what the balance no longer covers (invalid against
   * state), demote what follows a gap to the queue, and promote queued transactions a filled gap
   * now allows.
   */
  private settle(key: string, s: SenderTxs, account: Account): void {
    const all = [...s.pending, ...s.queued.values()].sort((a, b) => (a.tx.nonce < b.tx.nonce ? -1 : 1));
    this.pendingCount -= s.pending.length;
    s.pending = [];
    s.queued = new Map();
    let expected = account.nonce;
    let cost = 0n;
    let gap = false;
    for (const p of all) {
      if (p.tx.nonce < account.nonce) {
        this.byHash.delete(toHex(p.tx.hash));
        continue;
      }
      if (!gap && p.tx.nonce === expected) {
        if (cost + maxCost(p.tx) > account.balance) {
          this.byHash.delete(toHex(p.tx.hash)); // unaffordable now: invalid against state
          gap = true;
          continue;
        }
        cost += maxCost(p.tx);
        s.pending.push(p);
        expected++;
        continue;
      }
      gap = true;
      if (account.balance < maxCost(p.tx)) {
        this.byHash.delete(toHex(p.tx.hash));
        continue;
      }
      s.queued.set(p.tx.nonce, p);
    }
    this.pendingCount += s.pending.length;
    if (s.pending.length === 0 && s.queued.size === 0) this.bySender.delete(key);
    else this.bySender.set(key, s);
  }

  /**
   * Make room by dropping the lowest-tip transaction among each sender's last (highest-nonce)
   * transaction; queued ones go before pending ones at equal tip.
   */
  private evictFor(tx: SignedTx, baseFee: bigint): void {
    let worst: { p: PoolTx; tip: bigint; queued: boolean } | undefined;
    for (const s of this.bySender.values()) {
      const queued = [...s.queued.values()];
      const last =
        queued.length > 0
          ? queued.reduce((a, b) => (a.tx.nonce > b.tx.nonce ? a : b))
          : s.pending[s.pending.length - 1];
      if (!last) continue;
      const tip = effectiveGasPrice(last.tx, baseFee) - baseFee;
      const isQueued = queued.length > 0;
      if (!worst || tip < worst.tip || (tip === worst.tip && isQueued && !worst.queued))
        worst = { p: last, tip, queued: isQueued };
    }
    const newTip = effectiveGasPrice(tx, baseFee) - baseFee;
    if (!worst || newTip <= worst.tip) throw new TxError("TX_POOL_FULL", "txpool is full");
    this.drop(worst.p);
    const key = addressKey(worst.p.sender);
    const s = this.bySender.get(key);
    if (s && s.pending.length === 0 && s.queued.size === 0) this.bySender.delete(key);
    this.evicted.set(key, { nonce: worst.p.tx.nonce, hash: worst.p.tx.hash });
    if (this.evicted.size > 10_000) this.evicted.delete(this.evicted.keys().next().value!);
    this.m.metrics?.mempoolRejected.inc({ reason: "EVICTED" });
  }

  /**
   * Candidates for the next block: the highest effective tip first across senders, each
   * sender's pending transactions in nonce order. A sender whose next transaction's fee cap is
   * below the base fee waits (it stays in the pool).
   */
  *candidates(): Iterable<PoolTx> {
    const baseFee = this.pendingBaseFee();
    const tip = (p: PoolTx) => effectiveGasPrice(p.tx, baseFee) - baseFee;
    const heads: { queue: PoolTx[]; i: number; tip: bigint }[] = [];
    for (const s of this.bySender.values()) {
      const first = s.pending[0];
      if (first && first.tx.maxFeePerGas >= baseFee) heads.push({ queue: s.pending, i: 0, tip: tip(first) });
    }
    // Max-heap by tip; ties broken by arrival.
    const better = (a: (typeof heads)[0], b: (typeof heads)[0]) =>
      a.tip > b.tip || (a.tip === b.tip && a.queue[a.i]!.addedAt < b.queue[b.i]!.addedAt);
    const heap = new Heap(heads, better);
    while (heap.size > 0) {
      const top = heap.peek()!;
      yield top.queue[top.i]!;
      top.i++;
      const next = top.queue[top.i];
      if (next && next.tx.maxFeePerGas >= baseFee) {
        top.tip = tip(next);
        heap.replaceTop(top);
      } else heap.pop();
    }
  }

  /** After a block: drop included and stale transactions, re-check and promote, for the senders it touched. */
  private onBlock(b: ImportedBlock): void {
    const touched = new Set<string>();
    for (const rt of b.txs) touched.add(addressKey(rt.sender));
    touched.add(addressKey(b.header.proposer));
    for (const key of touched) {
      const s = this.bySender.get(key);
      const first = s?.pending[0] ?? (s ? s.queued.values().next().value : undefined);
      if (s && first) this.settle(key, s, this.m.chain.getAccount(first.sender));
    }
    this.m.metrics?.mempoolSize.set(this.byHash.size);
  }

  /**
   * A block builder left these out. A fee cap below the base fee is transient: the transaction
   * stays. Anything else is invalid against state: it is dropped, and the sender's later
   * transactions wait in the queue until the gap is filled.
   */
  rejected(items: { rt: RecoveredTx; error: TxError }[]): void {
    this.remove(items.filter(({ error }) => !TRANSIENT.has(error.code)).map(({ rt }) => rt.tx.hash));
  }

  /** Drop transactions by hash; the senders' later ones wait in the queue. */
  remove(hashes: Uint8Array[]): void {
    for (const h of hashes) {
      const p = this.byHash.get(toHex(h));
      if (!p) continue;
      this.drop(p);
      const key = addressKey(p.sender);
      const s = this.bySender.get(key);
      if (s) this.settle(key, s, this.m.chain.getAccount(p.sender));
    }
    this.m.metrics?.mempoolSize.set(this.byHash.size);
  }
}
