/**
 * Application-level peer scores (on top of gossipsub's own): invalid gossip and malformed
 * requests cost points; a peer below the ban threshold is disconnected and refused for a while.
 * Scores recover slowly so a peer that behaved badly once is not shunned forever.
 */
export interface PeerScoreOptions {
  banThreshold: number;
  banMs: number;
  /** Points recovered per second toward zero. */
  recoveryPerSec: number;
}

export const defaultPeerScoreOptions: PeerScoreOptions = {
  banThreshold: -100,
  banMs: 60_000,
  recoveryPerSec: 1,
};

/** Penalties by offence (spec/consensus.md §Peer scoring). */
export const Penalty = {
  invalidGossip: -20,
  malformedRequest: -25,
  rateLimited: -5,
  badBlock: -50,
} as const;

export class PeerScores {
  private readonly scores = new Map<string, { score: number; at: number }>();
  private readonly bans = new Map<string, number>();

  constructor(private readonly opts: PeerScoreOptions = defaultPeerScoreOptions) {}

  score(peer: string, now = Date.now()): number {
    const s = this.scores.get(peer);
    if (!s) return 0;
    const recovered = ((now - s.at) / 1000) * this.opts.recoveryPerSec;
    return s.score < 0 ? Math.min(0, s.score + recovered) : s.score;
  }

  /** Returns true when this adjustment bans the peer. */
  adjust(peer: string, delta: number, now = Date.now()): boolean {
    const score = this.score(peer, now) + delta;
    this.scores.set(peer, { score, at: now });
    if (score <= this.opts.banThreshold && !this.isBanned(peer, now)) {
      this.bans.set(peer, now + this.opts.banMs);
      return true;
    }
    return false;
  }

  /** Operator ban (admin RPC): refuse the peer for `ms` regardless of its score. */
  ban(peer: string, ms: number, now = Date.now()): void {
    this.bans.set(peer, now + ms);
    if (!this.scores.has(peer)) this.scores.set(peer, { score: 0, at: now });
  }

  unban(peer: string): void {
    this.bans.delete(peer);
  }

  isBanned(peer: string, now = Date.now()): boolean {
    const until = this.bans.get(peer);
    if (until === undefined) return false;
    if (until <= now) {
      this.bans.delete(peer);
      this.scores.delete(peer);
      return false;
    }
    return true;
  }

  snapshot(now = Date.now()): { peer: string; score: number; banned: boolean }[] {
    return [...this.scores.keys()].map((peer) => ({
      peer,
      score: Math.round(this.score(peer, now) * 10) / 10,
      banned: this.isBanned(peer, now),
    }));
  }
}
