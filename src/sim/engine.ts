/**
 * Discrete-event core: simulated time in milliseconds and a queue ordered by (time, sequence), so
 * events at the same instant run in the order they were scheduled. Nothing here reads a clock.
 */
interface Event {
  at: number;
  seq: number;
  run: () => void;
}

export class Simulator {
  now = 0;
  events = 0;
  private seq = 0;
  private readonly heap: Event[] = [];

  at(time: number, run: () => void): void {
    this.push({ at: Math.max(time, this.now), seq: this.seq++, run });
  }

  after(delayMs: number, run: () => void): void {
    this.at(this.now + delayMs, run);
  }

  /** Run events until the queue is empty, `until` (ms) is reached, or `stop()` says so. */
  run(until: number, stop?: () => boolean): void {
    const h = this.heap;
    while (h.length > 0) {
      const top = h[0]!;
      if (top.at > until) break;
      this.pop();
      this.now = top.at;
      this.events++;
      top.run();
      if (stop?.()) return;
    }
    if (Number.isFinite(until)) this.now = Math.max(this.now, until);
  }

  get pending(): number {
    return this.heap.length;
  }

  private less(a: Event, b: Event): boolean {
    return a.at < b.at || (a.at === b.at && a.seq < b.seq);
  }

  private push(e: Event): void {
    const h = this.heap;
    h.push(e);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(h[i]!, h[p]!)) break;
      [h[i], h[p]] = [h[p]!, h[i]!];
      i = p;
    }
  }

  private pop(): void {
    const h = this.heap;
    const last = h.pop()!;
    if (h.length === 0) return;
    h[0] = last;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < h.length && this.less(h[l]!, h[m]!)) m = l;
      if (r < h.length && this.less(h[r]!, h[m]!)) m = r;
      if (m === i) return;
      [h[i], h[m]] = [h[m]!, h[i]!];
      i = m;
    }
  }
}
