/**
 * The consensus gossip reactor: decodes and checks proposals and votes at the edge (signature,
 * proposer, height window) against the validator set of their height, hands accepted ones to the
 * driver, and publishes the driver's own messages. It holds no consensus state.
 */
import {
  type Proposal,
  ProposerSchedule,
  proposalCodec,
  type ValidatorSet,
  verifyProposalSignature,
  verifyVoteSignature,
  voteCodec,
} from "../../consensus/index.ts";
import { headerHash } from "../../encoding/index.ts";
import {
  type GossipTopics,
  type GossipVerdict,
  gossipCodec,
  type Network,
  wrap,
} from "../../network/index.ts";
import { equalBytes, toHex, type Vote } from "../../types/index.ts";

export type ConsensusMsg = { kind: "proposal"; proposal: Proposal } | { kind: "vote"; vote: Vote };

/** What the reactor needs of the chain. */
export interface ReactorChain {
  readonly genesis: { chainId: bigint };
  readonly preset: { cycleLength: number };
  tryValidatorsAt(height: number): ValidatorSet | undefined;
}

/** Largest proposal accepted from gossip (whole blocks travel in proposals). */
const MAX_PROPOSAL_BYTES = 16 * 1024 * 1024;

export class ConsensusReactor {
  private seq = 0;
  private readonly schedules = new Map<string, ProposerSchedule>();

  constructor(
    private readonly opts: { topics: Pick<GossipTopics, "proposal" | "vote"> },
    private readonly m: {
      chain: ReactorChain;
      network: Network;
      /** The height the driver is deciding (messages far from it are ignored). */
      height(): number;
    },
  ) {}

  start(deliver: (msg: ConsensusMsg) => void): void {
    const { network } = this.m;
    network.subscribe(
      this.opts.topics.proposal,
      gossipCodec(proposalCodec, { enveloped: true, maxBytes: MAX_PROPOSAL_BYTES }),
      (p) => this.validateProposal(p),
      (proposal) => deliver({ kind: "proposal", proposal }),
    );
    network.subscribe(
      this.opts.topics.vote,
      gossipCodec(voteCodec, { enveloped: true }),
      (v) => this.validateVote(v),
      (vote) => deliver({ kind: "vote", vote }),
    );
  }

  /** Publish an own message (encoded body), in a fresh envelope so gossipsub carries re-sends. */
  publish(kind: ConsensusMsg["kind"], body: Uint8Array): Promise<void> {
    return this.m.network.publish(this.opts.topics[kind], wrap(body, this.seq++));
  }

  /** One proposer schedule per set (a set serves a whole cycle; the map keeps the last few). */
  scheduleFor(set: ValidatorSet): ProposerSchedule {
    const k = toHex(set.hash);
    let s = this.schedules.get(k);
    if (!s) {
      s = new ProposerSchedule(set, this.m.chain.preset.cycleLength);
      this.schedules.set(k, s);
      if (this.schedules.size > 4) this.schedules.delete(this.schedules.keys().next().value!);
    }
    return s;
  }

  private validateVote(vote: Vote): GossipVerdict {
    const h = this.m.height();
    if (vote.height + 1 < h || vote.height > h + 1) return "ignore";
    const set = this.m.chain.tryValidatorsAt(vote.height);
    if (!set) return "ignore"; // the next cycle's set is decided by a block we do not have yet
    const v = set.validators[vote.validator];
    if (!v) return "reject";
    return verifyVoteSignature(this.m.chain.genesis.chainId, v.blsKey, vote) ? "accept" : "reject";
  }

  private validateProposal(p: Proposal): GossipVerdict {
    const h = this.m.height();
    if (p.height < h || p.height > h + 1) return "ignore";
    const set = this.m.chain.tryValidatorsAt(p.height);
    if (!set) return "ignore";
    return proposalVerdict(p, set, this.scheduleFor(set), this.m.chain.genesis.chainId);
  }
}

/**
 * Gossip verdict on a proposal for a height whose set is known. The signature must be the round's
 * proposer's. A fresh proposal (no proof-of-lock round) carries a block that proposer built; a
 * re-proposal of the valid value (polRound > 0) carries a block built in an earlier round,
 * possibly by another validator of the set — rejecting that would penalise an honest proposer.
 */
export function proposalVerdict(
  p: Proposal,
  set: ValidatorSet,
  schedule: ProposerSchedule,
  chainId: bigint,
): GossipVerdict {
  if (p.block.header.height !== p.height || p.round > 1_000_000 || p.polRound > p.round) return "reject";
  const proposer = set.validators[schedule.proposer(p.height, p.round)]!;
  const builder = p.block.header.proposer;
  if (p.polRound === 0 ? !equalBytes(proposer.address, builder) : set.indexOf(builder) === undefined)
    return "reject";
  return verifyProposalSignature(chainId, proposer.blsKey, p, headerHash(p.block.header))
    ? "accept"
    : "reject";
}
