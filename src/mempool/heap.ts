/** Binary heap with a caller-given order. */
export class Heap<T> {
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
