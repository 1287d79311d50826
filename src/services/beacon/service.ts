/**
 * The node's part in the beacon: as a committee member it deals in the dealing phase, checks its
 * shares and complains in the complaint phase, and signs a partial for every open round with its
 * share of the active key; as a proposer it includes pooled dealings and complaints, and a round
 * output once it holds t valid partials. Messages travel over two gossip topics; everything a
 * block carries is re-checked by every validator (src/beacon/state.ts).
 */
import {
  type ActiveKey,
  combinePartials,
  combineShares,
  complaintMessage,
  dealingMessage,
  dkgPhase,
  makeDealing,
  openRound,
  outputMessage,
  partialSign,
  receiveShare,
  verifyPartial,
} from "../../beacon/index.ts";
import type { Chain } from "../../chain/index.ts";
import type { BlsKeyPair } from "../../crypto/index.ts";
import { beaconMessageCodec, bytes, encode, struct, uint } from "../../encoding/index.ts";
import type { Logger } from "../../logger/index.ts";
import type { Metrics } from "../../metrics/index.ts";
import { type GossipVerdict, gossipCodec, gossipTopics, type Network } from "../../network/index.ts";
import { cycleOf } from "../../params/index.ts";
import { beaconParams } from "../../state/index.ts";
import { type BeaconMessage, equalBytes, toHex } from "../../types/index.ts";

interface PartialWire {
  round: number;
  index: number;
  signature: Uint8Array;
}
const partialCodec = struct<PartialWire>("BeaconPartial", {
  round: uint,
  index: uint,
  signature: bytes({ length: 96 }),
});

export class BeaconService {
  private readonly pool = new Map<string, BeaconMessage>();
  private readonly partials = new Map<number, Map<number, Uint8Array>>();
  private dealtCycle = -1;
  private readonly checked = new Set<string>();
  private share: { dkgCycle: number; index: number; value: bigint } | undefined;
  private readonly topics: { msgs: string; partials: string };
  /** When this node first saw each round open (round latency metric). */
  private readonly openedAt = new Map<number, number>();
  private lastRound = -1;
  private lastDkgCycle = -1;
  private partialsKey = -1;

  constructor(
    private readonly opts: {
      validatorKey?: BlsKeyPair;
      /** Test-only (RACECOIN_BEACON_SILENT): sign no round partials in these cycles. */
      silentCycles?: number[];
    },
    private readonly m: { chain: Chain; network: Network; log: Logger; metrics?: Metrics },
  ) {
    const t = gossipTopics(m.chain.genesis.chainId);
    this.topics = { msgs: t.beacon, partials: t.beaconPartial };
  }

  start(): void {
    const { network, chain } = this.m;
    network.subscribe(
      this.topics.msgs,
      gossipCodec(beaconMessageCodec),
      (msg) => this.validateMessage(msg),
      (msg) => this.pool.set(toHex(encode(beaconMessageCodec, msg)), msg),
    );
    network.subscribe(
      this.topics.partials,
      gossipCodec(partialCodec),
      (p) => this.validatePartial(p),
      (p) => this.addPartial(p),
    );
    chain.onBlock(() => this.onHead());
    this.onHead();
  }

  private get chainId(): bigint {
    return this.m.chain.genesis.chainId;
  }

  private myIndex(members: { index: number; blsKey: Uint8Array }[]): number | undefined {
    const pk = this.opts.validatorKey?.publicKey;
    return pk ? members.find((x) => equalBytes(x.blsKey, pk))?.index : undefined;
  }

  /** After every new head: deal, complain, sign, prune. Never throws into the chain's listener. */
  private onHead(): void {
    try {
      this.step();
    } catch (e) {
      this.m.log.warn({ err: (e as Error).message }, "Beacon step failed");
    }
  }

  private step(): void {
    const { chain, log } = this.m;
    const s = chain.beacon;
    const next = chain.head.height + 1;
    const p = beaconParams(chain.preset);
    const cycle = cycleOf(next, p.cycleLength);
    // The state's committee is for the head's cycle; at a cycle boundary it changes with the block.
    const me = cycle === s.cycle ? this.myIndex(s.committee.members) : undefined;
    const sk = this.opts.validatorKey?.secretKey;

    // Prune what the chain already holds.
    for (const [k, msg] of this.pool) {
      const stale =
        msg.epoch < s.cycle ||
        (msg.kind === 1 && s.dealings.some((d) => d.dealer === msg.sender)) ||
        (msg.kind === 2 && s.complaints.some((c) => c.complainer === msg.sender)) ||
        msg.kind === 3;
      if (stale) this.pool.delete(k);
    }
    for (const r of this.partials.keys()) if (r <= s.round) this.partials.delete(r);
    // Partials are bound to the key that signed them: a new key makes every pooled one useless.
    if (s.active && this.partialsKey !== s.active.dkgCycle) {
      this.partials.clear();
      this.partialsKey = s.active.dkgCycle;
    }
    this.observe(next, p);

    if (me !== undefined && sk) {
      const phase = dkgPhase(next, p);
      if (phase === "dealing" && this.dealtCycle !== cycle && !s.dealings.some((d) => d.dealer === me)) {
        this.dealtCycle = cycle;
        const msg = dealingMessage(this.chainId, cycle, makeDealing(s.committee, me), sk);
        this.submit(msg);
        log.info({ cycle, member: me }, "Beacon: dealt");
      }
      if (phase === "complaint") {
        for (const d of s.dealings) {
          const key = `${cycle}/${d.dealer}`;
          if (this.checked.has(key)) continue;
          this.checked.add(key);
          const r = receiveShare(s.committee, d, s.committee.members.find((x) => x.index === me)!, sk);
          if ("complaint" in r) {
            this.submit(complaintMessage(cycle, r.complaint));
            log.warn({ cycle, dealer: d.dealer }, "Beacon: complained about a bad share");
          }
        }
      }
    }

    // Rounds: sign the open round with our share of the active key.
    const key = s.active;
    const round = openRound(s, next, p);
    if (key && round !== undefined && sk && !this.opts.silentCycles?.includes(cycle)) {
      const share = this.shareOf(key, sk);
      if (share) {
        // Signed afresh each time (0.3 ms): the key, or the previous output, may have changed.
        const sig = partialSign(share.value, this.chainId, round, s.output);
        this.addPartial({ round, index: share.index, signature: sig });
        // Sent on every new head until the round completes: late joiners and proposers get it.
        void this.m.network.publish(
          this.topics.partials,
          encode(partialCodec, { round, index: share.index, signature: sig }),
        );
      }
    }
  }

  private observe(next: number, p: ReturnType<typeof beaconParams>): void {
    const { chain, metrics, log } = this.m;
    const s = chain.beacon;
    const phase = dkgPhase(next, p);
    metrics?.beaconDkgPhase.set(phase === "dealing" ? 0 : phase === "complaint" ? 1 : 2);
    if (s.round !== this.lastRound) {
      const opened = this.openedAt.get(s.round);
      if (opened !== undefined && this.lastRound >= 0)
        metrics?.beaconRoundLatencySeconds.observe((Date.now() - opened) / 1000);
      for (const r of this.openedAt.keys()) if (r <= s.round) this.openedAt.delete(r);
      if (this.lastRound >= 0)
        log.info({ round: s.round, output: toHex(s.output).slice(0, 18) }, "Beacon round final");
      this.lastRound = s.round;
      metrics?.beaconRound.set(s.round);
    }
    const open = openRound(s, next, p);
    if (open !== undefined && !this.openedAt.has(open)) this.openedAt.set(open, Date.now());
    if (s.next !== undefined && this.lastDkgCycle !== s.cycle) {
      this.lastDkgCycle = s.cycle;
      metrics?.beaconDkgOutcomes.inc({ result: s.next ? "ok" : "failed" });
      if (s.next) log.info({ cycle: s.cycle, qualified: s.next.qualified }, "Beacon DKG complete");
      else log.warn({ cycle: s.cycle }, "Beacon DKG failed; the current key stays in use");
    }
  }

  private shareOf(key: ActiveKey, sk: Uint8Array): { index: number; value: bigint } | undefined {
    if (this.share?.dkgCycle === key.dkgCycle) return this.share;
    const index = this.myIndex(key.committee.members);
    if (index === undefined) return undefined;
    const self = key.committee.members.find((x) => x.index === index)!;
    const received = new Map<number, bigint>();
    for (const d of key.dealings) {
      const r = receiveShare(key.committee, d, self, sk);
      if ("share" in r) received.set(d.dealer, r.share);
    }
    this.share = { dkgCycle: key.dkgCycle, index, value: combineShares(received, key.qualified) };
    this.m.log.info({ dkgCycle: key.dkgCycle, index }, "Beacon: derived our share of the group key");
    return this.share;
  }

  private submit(msg: BeaconMessage): void {
    const data = encode(beaconMessageCodec, msg);
    this.pool.set(toHex(data), msg);
    void this.m.network.publish(this.topics.msgs, data);
  }

  private addPartial(p: PartialWire): void {
    let byIndex = this.partials.get(p.round);
    if (!byIndex) {
      byIndex = new Map();
      this.partials.set(p.round, byIndex);
    }
    byIndex.set(p.index, p.signature);
  }

  /** What a proposer adds to its block: pooled DKG messages, and a round output when it can. */
  candidates(): BeaconMessage[] {
    const out = [...this.pool.values()];
    const s = this.m.chain.beacon;
    const key = s.active;
    const round = openRound(s, this.m.chain.head.height + 1, beaconParams(this.m.chain.preset));
    const got = round !== undefined ? this.partials.get(round) : undefined;
    if (key && round !== undefined && got && got.size >= key.committee.threshold) {
      const valid = [...got]
        .filter(([index, sig]) => {
          const k = key.committee.members.findIndex((x) => x.index === index);
          return k >= 0 && verifyPartial(key.publicShares[k]!, this.chainId, round, s.output, sig);
        })
        .map(([index, signature]) => ({ index, signature }))
        .sort((a, b) => a.index - b.index)
        .slice(0, key.committee.threshold);
      if (valid.length === key.committee.threshold)
        out.push(outputMessage(round, valid, combinePartials(valid, key.committee.threshold)));
    }
    return out;
  }

  private validateMessage(msg: BeaconMessage): GossipVerdict {
    const s = this.m.chain.beacon;
    if (msg.kind === 3) return "reject"; // outputs travel only inside blocks
    if (msg.epoch !== s.cycle && msg.epoch !== s.cycle + 1) return "ignore";
    if (msg.sender < 1 || msg.sender > 10_000) return "reject";
    return "accept"; // full checks run when a proposer includes it and when validators execute the block
  }

  private validatePartial(p: PartialWire): GossipVerdict {
    const s = this.m.chain.beacon;
    const key = s.active;
    if (!key || p.round !== s.round + 1) return "ignore";
    const k = key.committee.members.findIndex((x) => x.index === p.index);
    if (k < 0) return "reject";
    return verifyPartial(key.publicShares[k]!, this.chainId, p.round, s.output, p.signature)
      ? "accept"
      : "reject";
  }
}
