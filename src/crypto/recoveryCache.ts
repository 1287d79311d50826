/**
 * Remembers recently recovered senders. A node recovers every transaction's sender when it enters
 * the mempool and again when the block holding it is validated; with this in front of the pool
 * the second recovery is a map lookup. Keyed by digest, signature and recovery bit together, so a
 * hit is exactly the computation it replaces.
 */
import type { Address } from "../types/index.ts";
import type { RecoveryItem, SenderRecovery } from "./recoveryPool.ts";

export class CachedRecovery implements SenderRecovery {
  private readonly cache = new Map<string, Address | null>();

  constructor(
    private readonly inner: SenderRecovery,
    private readonly capacity = 65_536,
  ) {}

  async recover(items: RecoveryItem[]): Promise<(Address | null)[]> {
    const keys = items.map(
      (it) => `${Buffer.from(it.digest).toString("hex")}${Buffer.from(it.rs).toString("hex")}${it.recovery}`,
    );
    const missing: number[] = [];
    const out: (Address | null)[] = keys.map((k, i) => {
      const hit = this.cache.get(k);
      if (hit === undefined) missing.push(i);
      return hit ?? null;
    });
    if (missing.length > 0) {
      const recovered = await this.inner.recover(missing.map((i) => items[i]!));
      missing.forEach((i, j) => {
        out[i] = recovered[j]!;
        this.cache.set(keys[i]!, recovered[j]!);
      });
      while (this.cache.size > this.capacity) this.cache.delete(this.cache.keys().next().value!);
    }
    return out;
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
