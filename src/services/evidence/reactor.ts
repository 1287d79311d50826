/**
 * Evidence gossip: equivocation found here (by the consensus driver) or by a peer is verified
 * against the validator set of its height, kept in the pool, and spread on the evidence topic.
 */
import { evidenceCodec, evidenceId, type ValidatorSet, verifyEvidence } from "../../consensus/index.ts";
import { encode } from "../../encoding/index.ts";
import type { Logger } from "../../logger/index.ts";
import { type GossipVerdict, gossipCodec, type Network } from "../../network/index.ts";
import { type Evidence, toHex } from "../../types/index.ts";
import type { EvidenceChain, EvidencePool } from "./pool.ts";

export interface EvidenceReactorChain extends EvidenceChain {
  readonly genesis: { chainId: bigint };
  tryValidatorsAt(height: number): ValidatorSet | undefined;
}

export class EvidenceReactor {
  constructor(
    private readonly opts: { topic: string },
    private readonly m: { chain: EvidenceReactorChain; pool: EvidencePool; network: Network; log: Logger },
  ) {}

  start(): void {
    this.m.network.subscribe(
      this.opts.topic,
      gossipCodec(evidenceCodec),
      (e) => this.validate(e),
      () => undefined,
    );
  }

  /** Evidence the consensus driver found: keep it and tell peers. */
  report(e: Evidence): void {
    if (!this.keep(e)) return;
    void this.m.network.publish(this.opts.topic, encode(evidenceCodec, e));
  }

  private keep(e: Evidence): boolean {
    if (!this.m.pool.insert(e)) return false;
    const offender = this.m.chain.tryValidatorsAt(e.a.height)?.validators[e.a.validator]?.address;
    this.m.log.warn(
      { height: e.a.height, round: e.a.round, validator: offender ? toHex(offender) : e.a.validator },
      "Equivocation detected",
    );
    return true;
  }

  private validate(e: Evidence): GossipVerdict {
    const { chain } = this.m;
    if (chain.isEvidenceCommitted(evidenceId(e))) return "ignore";
    const set = chain.tryValidatorsAt(e.a.height);
    if (!set) return "ignore";
    verifyEvidence(set, chain.genesis.chainId, e); // throws on invalid evidence: reject
    this.keep(e);
    return "accept";
  }
}
