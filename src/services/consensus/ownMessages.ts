/**
 * Our own proposals and votes: the double-sign guard (fsynced before any signature exists) →
 * sign → WAL append with fsync → publish. Each is kept for rebroadcast while its height is
 * undecided. Test-only: a Byzantine mode that also signs a conflicting prevote.
 */
import {
  type Proposal,
  proposalCodec,
  proposalSignBytes,
  voteCodec,
  voteSignBytes,
} from "../../consensus/index.ts";
import { type BlsKeyPair, blsSign } from "../../crypto/index.ts";
import { encode, headerHash } from "../../encoding/index.ts";
import type { Logger } from "../../logger/index.ts";
import { type Block, fromHex, toHex, type Vote, VoteType } from "../../types/index.ts";
import { crashPoint, DoubleSignError, type LastSignGuard, type Wal } from "../../wal/index.ts";
import type { ConsensusMsg, ConsensusReactor } from "./reactor.ts";

export class OwnMessages {
  private own: { kind: ConsensusMsg["kind"]; body: Uint8Array }[] = [];

  constructor(
    private readonly opts: { chainId: bigint; key?: BlsKeyPair; byzantine?: "double-prevote" },
    private readonly m: {
      reactor: ConsensusReactor;
      log: Logger;
      wal: () => Wal;
      guard: () => LastSignGuard;
    },
  ) {}

  /** A new height: nothing of ours to rebroadcast yet. */
  reset(): void {
    this.own = [];
  }

  /** An own message found in the WAL on replay: it will be rebroadcast like a fresh one. */
  remember(kind: ConsensusMsg["kind"], body: Uint8Array): void {
    this.own.push({ kind, body });
  }

  rebroadcast(): void {
    for (const o of this.own) void this.m.reactor.publish(o.kind, o.body);
  }

  /** Sign, log durably and publish a proposal; undefined if the guard refused. */
  async propose(
    height: number,
    round: number,
    validRound: number,
    block: Block,
  ): Promise<Proposal | undefined> {
    const hash = headerHash(block.header);
    const fields = { height, round, polRound: validRound + 1 };
    const signature = this.signGuarded(
      height,
      round,
      1,
      "proposal",
      proposalSignBytes(this.opts.chainId, fields, hash),
    );
    if (!signature) return undefined;
    const proposal: Proposal = { ...fields, block, signature };
    const body = encode(proposalCodec, proposal);
    this.m.wal().writeDurable({ t: "msg", height, kind: "proposal", data: body, own: true });
    crashPoint("after-own-proposal-wal");
    this.own.push({ kind: "proposal", body });
    await this.m.reactor.publish("proposal", body);
    this.m.log.debug(
      { height, round, txs: block.txs.length, hash: toHex(hash).slice(0, 18) },
      "Proposed block",
    );
    return proposal;
  }

  /** Sign, log durably and publish a vote; undefined if the guard refused. */
  async vote(
    height: number,
    round: number,
    type: VoteType,
    hashHex: string,
    validator: number,
  ): Promise<Vote | undefined> {
    const unsigned = {
      type,
      height,
      round,
      blockHash: hashHex ? fromHex(hashHex) : new Uint8Array(0),
      validator,
    };
    const step = type === VoteType.prevote ? 2 : 3;
    const signature = this.signGuarded(
      height,
      round,
      step,
      "vote",
      voteSignBytes(this.opts.chainId, unsigned),
    );
    if (!signature) return undefined;
    const vote: Vote = { ...unsigned, signature };
    const body = encode(voteCodec, vote);
    this.m.wal().writeDurable({ t: "msg", height, kind: "vote", data: body, own: true });
    crashPoint("after-own-vote-wal");
    this.own.push({ kind: "vote", body });
    await this.m.reactor.publish("vote", body);
    this.m.log.info(
      {
        height,
        round,
        type: type === VoteType.prevote ? "prevote" : "precommit",
        block: hashHex.slice(0, 16) || "nil",
      },
      "Signed vote",
    );
    if (this.opts.byzantine === "double-prevote" && type === VoteType.prevote)
      await this.equivocate(unsigned);
    return vote;
  }

  /** Sign only what the double-sign guard allows (it fsyncs the position first); undefined if refused. */
  private signGuarded(
    height: number,
    round: number,
    step: 1 | 2 | 3,
    domain: "proposal" | "vote",
    signBytes: Uint8Array,
  ): Uint8Array | undefined {
    try {
      this.m.guard().check(height, round, step, signBytes);
    } catch (e) {
      if (!(e instanceof DoubleSignError)) throw e;
      this.m.log.error({ err: e.message }, `Refused to sign a ${domain}`);
      return undefined;
    }
    return blsSign(this.opts.key!.secretKey, domain, signBytes);
  }

  /** Test-only: sign a second, conflicting prevote, bypassing the guard. */
  private async equivocate(v: Omit<Vote, "signature">): Promise<void> {
    const other = {
      ...v,
      blockHash: v.blockHash.length === 0 ? new Uint8Array(32).fill(0xee) : new Uint8Array(0),
    };
    const sig = blsSign(this.opts.key!.secretKey, "vote", voteSignBytes(this.opts.chainId, other));
    await this.m.reactor.publish("vote", encode(voteCodec, { ...other, signature: sig }));
    this.m.log.warn({ height: v.height, round: v.round }, "Byzantine test mode: sent a conflicting prevote");
  }
}
