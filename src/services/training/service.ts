/**
 * The training service (spec/training.md §Driving it from a node): for each job governance granted,
 * each round, a node with `--train` registers, trains H inner steps from the job's checkpoint on the
 * shard the round's seed gives it, commits its pseudo-gradient's hash, serves the pseudo-gradient
 * to its peers, fetches theirs by the committed hashes, and once the score seed is on chain
 * computes the round (scores and the next checkpoint) — and sends the scores if the chain drew it
 * as a verifier. Every node that computed a round keeps the next checkpoint and its validation
 * loss: the job's loss curve (`training_lossCurve`).
 *
 * All the arithmetic is src/training's (the same code the verifiers and the vectors run); this
 * file only moves bytes and sends transactions. Never throws out of a block listener.
 */
import { readFileSync } from "node:fs";
import {
  trainingCommitArgs as commitArgs,
  trainingCommitments as commitments,
  type TrainingJob as Job,
  trainingJobs as jobs,
  trainingParticipants as participants,
  type TrainingRound as Round,
  TrainingRoundStatus as RoundStatus,
  trainingRegisterArgs as registerArgs,
  trainingRoundAt as roundAt,
  trainingRoundRecord as roundRecord,
  runningTrainingJobs as runningJobs,
  trainingScoreArgs as scoreArgs,
  trainingSubmissions as submissions,
  training as trainingModule,
} from "../../../contracts/index.ts";
import type { Chain } from "../../chain/index.ts";
import { decode, encode } from "../../encoding/index.ts";
import type { Logger } from "../../logger/index.ts";
import type { Network } from "../../network/index.ts";
import { readStoreIn } from "../../state/index.ts";
import {
  type Checkpoint,
  checkpointHash,
  commitmentHash,
  type Dataset,
  DEFAULT_CORPUS_PATH,
  datasetFilesHash,
  decodeCheckpoint,
  decodeDelta,
  deltaHash,
  encodeCheckpoint,
  encodeVector,
  freeRiderDelta,
  genesisCheckpoint,
  poisonDelta,
  prepareDataset,
  pseudoGradient,
  settleRound,
  type TrainingConfig,
  trainInnerSliced,
  trainingPresets,
  validationLoss,
  ZERO_DELTA_HASH,
} from "../../training/index.ts";
import { type Address, equalBytes, toHex } from "../../types/index.ts";
import type { ModuleTxSender } from "../miner/sender.ts";
import { TRAINING_LIMITS, TRAINING_PROTOCOL, WantKind, wantCodec } from "./protocol.ts";

/** Test-only behaviours (test/e2e/training.test.ts), set by RACECOIN_TRAIN_CHEAT. */
export const TRAINING_CHEATS = ["free-rider", "poison"] as const;
export type TrainingCheat = (typeof TRAINING_CHEATS)[number];

export interface TrainingServiceOptions {
  sender: ModuleTxSender;
  cheat?: TrainingCheat;
  /** The corpus this node trains on (default: the one shipped in the repository). */
  corpusPath?: string;
}

/** One point of a job's loss curve: the checkpoint a round left, and its validation loss. */
export interface LossPoint {
  round: number;
  checkpointHash: string;
  /** Mean loss over the whole held-out part, Q16 nats (src/training validationLoss). */
  lossQ16: number;
  loss: number;
}

interface RoundWork {
  /** Height each transaction was last sent at: resent if it has not landed RESEND_BLOCKS later. */
  sent: Partial<Record<"register" | "commit" | "score", number>>;
  delta?: Int32Array;
  hash?: Uint8Array;
  /** What is committed on chain: commitmentHash(this node's address, hash). */
  commitment?: Uint8Array;
  /** The round as this node computed it: scores in commit order and the next checkpoint's hash. */
  settled?: { scores: bigint[]; next: Uint8Array };
}

const RESEND_BLOCKS = 5;

/** Whether `what` is due: never sent, or sent RESEND_BLOCKS ago and still not on chain. */
function due(w: RoundWork, what: keyof RoundWork["sent"], height: number): boolean {
  const at = w.sent[what];
  if (at !== undefined && height - at < RESEND_BLOCKS) return false;
  w.sent[what] = height;
  return true;
}

/** Rounds of pseudo-gradients kept to serve peers (the current one and the one before). */
const KEEP_ROUNDS = 2;

/**
 * Node-local policy: a job is joined only if its H is at most this many times its preset's (the
 * chain admits up to 1,000,000; the core up to 100,000). Training runs between blocks, in slices,
 * but a round of 100,000 inner steps (~100 s of CPU on the minimal preset) cannot land its
 * commitment in a commit window of seconds, and would hold this node's other jobs meanwhile.
 */
export const JOIN_INNER_STEPS_FACTOR = 16;

/** Blocks a verifier keeps asking for a missing Δ before it counts as withheld (a third of the score window, ≤ 3). */
function missingWaitBlocks(job: Job): number {
  return Math.min(3, Math.floor(job.scoreBlocks / 3));
}

/** Training yields to the event loop every this many inner steps. */
const SLICE_STEPS = 8;
const pause = () => new Promise<void>((r) => setImmediate(r));

export class TrainingService {
  private busy = false;
  private readonly address: Address;
  /** Checkpoints held, by hash (hex), with the configuration that reads them. */
  private readonly checkpoints = new Map<string, { cp: Checkpoint; config: TrainingConfig }>();
  /**
   * Pseudo-gradients held, by commitment (hex): this node's and the peers' it fetched; served only
   * from `from` (the round's exchange window) on: served during the commit window, a delta whose
   * commitment is on chain could be fetched, perturbed and committed again as a near-copy.
   */
  private readonly deltas = new Map<
    string,
    { bytes: Uint8Array; job: number; round: number; from: number }
  >();
  private readonly work = new Map<string, RoundWork>();
  private readonly curves = new Map<number, LossPoint[]>();
  private readonly datasets = new Map<string, Dataset>();
  private readonly corpus: Uint8Array;
  private readonly warned = new Set<string>();

  constructor(
    private readonly opts: TrainingServiceOptions,
    private readonly m: { chain: Chain; network: Network; log: Logger },
  ) {
    this.address = opts.sender.address;
    this.corpus = readFileSync(opts.corpusPath ?? DEFAULT_CORPUS_PATH);
    // Every preset's canonical first checkpoint: a job whose model hash is one starts from it.
    for (const config of Object.values(trainingPresets)) {
      const cp = genesisCheckpoint(config);
      this.checkpoints.set(toHex(checkpointHash(cp)), { cp, config });
    }
  }

  async start(): Promise<void> {
    await this.m.network.handle(TRAINING_PROTOCOL, TRAINING_LIMITS, async (req) => this.serve(req));
    this.m.log.info(
      { account: toHex(this.address), cheat: this.opts.cheat },
      "Training on: joining jobs the fund granted",
    );
    this.m.chain.onBlock(() => void this.step());
  }

  /** The loss curve of a job as this node computed it (empty if it followed none of its rounds). */
  lossCurve(job: number): LossPoint[] {
    return [...(this.curves.get(job) ?? [])];
  }

  private serve(req: Uint8Array): Uint8Array {
    const want = decode(wantCodec, req);
    const k = toHex(want.hash);
    if (want.kind === WantKind.delta) {
      const held = this.deltas.get(k);
      // Not before the commit window has closed (its last block is `from` − 1, the head's height).
      return held && this.m.chain.head.height + 1 >= held.from ? held.bytes : new Uint8Array(0);
    }
    if (want.kind === WantKind.checkpoint) {
      const held = this.checkpoints.get(k);
      return held ? encodeCheckpoint(held.cp) : new Uint8Array(0);
    }
    throw new Error(`unknown want kind ${want.kind}`);
  }

  /** Earliest time (ms) of the next ask to each peer: asks stay under its rate limit. */
  private readonly nextAsk = new Map<string, number>();

  /** Wait for a slot under the peer's rate (TRAINING_LIMITS.ratePerSec): past it, it refuses and penalises. */
  private async paced(peer: string): Promise<void> {
    const now = Date.now();
    const at = Math.max(now, this.nextAsk.get(peer) ?? 0);
    this.nextAsk.set(peer, at + Math.ceil(1000 / TRAINING_LIMITS.ratePerSec));
    if (at > now) await new Promise((r) => setTimeout(r, at - now));
  }

  /**
   * Ask the connected peers in turn for bytes by hash, starting at peer `start` (mod their number,
   * so side-by-side fetches spread over the peers), each ask paced under the peer's rate limit;
   * the first whose bytes check out wins.
   */
  private async fetch(kind: number, hash: Uint8Array, check: (bytes: Uint8Array) => boolean, start = 0) {
    const req = encode(wantCodec, { kind, hash });
    const peers = this.m.network.peers();
    for (let i = 0; i < peers.length; i++) {
      const peer = peers[(start + i) % peers.length]!;
      try {
        await this.paced(peer);
        const res = await this.m.network.request(peer, TRAINING_PROTOCOL, req, TRAINING_LIMITS);
        if (res.length > 0 && check(res)) return res;
      } catch (e) {
        this.m.log.debug({ peer, err: (e as Error).message }, "Training: ask failed");
      }
    }
    return undefined;
  }

  private warnOnce(key: string, msg: string, fields: Record<string, unknown> = {}): void {
    if (this.warned.has(key)) return;
    this.warned.add(key);
    this.m.log.warn(fields, msg);
  }

  private datasetFor(job: Job, config: TrainingConfig): Dataset | undefined {
    if (!equalBytes(job.datasetHash, datasetFilesHash(this.corpus))) {
      this.warnOnce(
        `data/${job.id}`,
        "Training: this node lacks the job's dataset (its files hash differs); not joining",
        {
          job: job.id,
        },
      );
      return undefined;
    }
    let d = this.datasets.get(config.name);
    if (!d) {
      d = prepareDataset(this.corpus, config);
      this.datasets.set(config.name, d);
    }
    return d;
  }

  /** The checkpoint a hash names: held, or fetched from a peer (its layout is the job's first checkpoint's). */
  private async checkpoint(hash: Uint8Array, config: TrainingConfig | undefined) {
    const k = toHex(hash);
    const held = this.checkpoints.get(k);
    if (held) return held;
    if (!config) return undefined;
    const bytes = await this.fetch(WantKind.checkpoint, hash, (b) => {
      try {
        return equalBytes(checkpointHash(decodeCheckpoint(b, config)), hash);
      } catch {
        return false;
      }
    });
    if (!bytes) return undefined;
    const got = { cp: decodeCheckpoint(bytes, config), config };
    this.checkpoints.set(k, got);
    return got;
  }

  private async step(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      const store = readStoreIn(this.m.chain.state, trainingModule);
      const next = this.m.chain.head.height + 1;
      const running = runningJobs(store);
      // One job's failure (a configuration the core refuses, a missing file) stays that job's.
      for (const job of running)
        await this.stepJob(job, next).catch((e) =>
          this.warnOnce(`fail/${job.id}`, "Training: a job's step failed", {
            job: job.id,
            err: (e as Error).message,
          }),
        );
      // A job that just finished: its last round's checkpoint still joins the curve.
      for (const [id, curve] of this.curves) {
        const job = running.some((j) => j.id === id) ? undefined : jobs.get(store, id);
        if (job && curve[curve.length - 1]!.round < job.roundsDone) {
          const first = this.checkpoints.get(toHex(job.modelHash));
          const data = first && this.datasetFor(job, first.config);
          if (first && data) await this.follow(job, { ...first.config, innerSteps: job.innerSteps }, data);
        }
      }
      this.prune(running);
    } catch (e) {
      this.m.log.warn({ err: (e as Error).message }, "Training step failed");
    } finally {
      this.busy = false;
    }
  }

  private async stepJob(job: Job, next: number): Promise<void> {
    const store = readStoreIn(this.m.chain.state, trainingModule);
    const first = this.checkpoints.get(toHex(job.modelHash));
    if (!first) {
      this.warnOnce(
        `model/${job.id}`,
        "Training: the job's model is not a checkpoint this node holds; not joining",
        {
          job: job.id,
          modelHash: toHex(job.modelHash),
        },
      );
      return;
    }
    const config: TrainingConfig = { ...first.config, innerSteps: job.innerSteps };
    if (job.innerSteps > JOIN_INNER_STEPS_FACTOR * first.config.innerSteps) {
      this.warnOnce(
        `steps/${job.id}`,
        "Training: the job's inner steps exceed what this node trains in a round; not joining",
        { job: job.id, innerSteps: job.innerSteps, max: JOIN_INNER_STEPS_FACTOR * first.config.innerSteps },
      );
      return;
    }
    const data = this.datasetFor(job, config);
    if (!data) return;
    const at = roundAt(job, next);
    // The round that just closed: adopt the checkpoint the majority chose.
    await this.follow(job, config, data);
    if (!at) return;
    const { round, phase, windows } = at;
    const rec = roundRecord(store, job.id, round);
    if (!rec) return;
    const key = `${job.id}/${round}`;
    let w = this.work.get(key);
    if (!w) {
      w = { sent: {} };
      this.work.set(key, w);
    }
    const me = participants.get(store, [job.id, round, this.address]);
    if (phase === "register" && me === undefined && due(w, "register", next)) {
      await this.send("register", encode(registerArgs, { job: job.id, round }));
      this.m.log.info({ job: job.id, round }, "Training: registered for the round");
      return;
    }
    // A drawn verifier scores whether or not it trains this round (a full round leaves most nodes
    // unregistered; skipping them would leave their seats absent and void the round).
    const drawn = rec.verifiers.some((s) => equalBytes(s.address, this.address));
    if (
      phase === "score" &&
      rec.status === RoundStatus.scoring &&
      next < windows.end &&
      (me !== undefined || drawn)
    )
      return this.score(job, round, config, data, w, next);
    if (me === undefined) return;
    if ((phase === "register" || phase === "commit") && !w.delta) {
      const held = await this.checkpoint(job.checkpointHash, config);
      if (!held) {
        this.warnOnce(`cp/${key}`, "Training: the round's checkpoint is not held nor offered by a peer", {
          job: job.id,
          round,
        });
        return;
      }
      const t0 = performance.now();
      const thetaH = await trainInnerSliced(
        config,
        data,
        held.cp.theta,
        rec.shardSeed,
        this.address,
        pause,
        SLICE_STEPS,
      );
      const honest = pseudoGradient(held.cp.theta, thetaH);
      const delta =
        this.opts.cheat === "free-rider"
          ? freeRiderDelta(config)
          : this.opts.cheat === "poison"
            ? poisonDelta(honest, 4)
            : honest;
      w.delta = delta;
      w.hash = deltaHash(delta);
      w.commitment = commitmentHash(this.address, w.hash);
      if (!equalBytes(w.hash, ZERO_DELTA_HASH))
        this.deltas.set(toHex(w.commitment), {
          bytes: encodeVector(delta),
          job: job.id,
          round,
          from: windows.exchangeStart,
        });
      this.m.log.info(
        { job: job.id, round, innerSteps: config.innerSteps, ms: Math.round(performance.now() - t0) },
        "Training: trained the round's inner steps",
      );
    }
    if (phase === "commit" && w.commitment && me === 0 && due(w, "commit", next)) {
      await this.send("commit", encode(commitArgs, { job: job.id, round, deltaHash: w.commitment }));
      this.m.log.info(
        { job: job.id, round, commitment: toHex(w.commitment).slice(0, 18) },
        "Training: committed",
      );
    }
  }

  /**
   * Compute the round once the score seed is on chain: fetch every committed pseudo-gradient (a
   * withheld one counts as the zero Δ: it contributes nothing), score them and take the outer step.
   * A drawn verifier sends the scores and the next checkpoint's hash.
   */
  private async score(
    job: Job,
    round: number,
    config: TrainingConfig,
    data: Dataset,
    w: RoundWork,
    height: number,
  ) {
    const store = readStoreIn(this.m.chain.state, trainingModule);
    const rec = roundRecord(store, job.id, round)!;
    if (w.settled) return this.sendScores(job, round, rec, w, height);
    const held = await this.checkpoint(job.checkpointHash, config);
    if (!held) return;
    const list = Array.from({ length: rec.committed }, (_, i) => commitments.get(store, [job.id, round, i])!);
    const deltas: Int32Array[] = [];
    let missing = 0;
    const windows = roundAt(job, height)?.windows;
    const from = windows?.exchangeStart ?? height;
    // Side by side: a peer that stalls every answer costs one stall, not one per commitment.
    const fetched = await Promise.all(
      list.map((c, i) => this.deltaOf(c.deltaHash, c.participant, config, job.id, round, from, i)),
    );
    for (const d of fetched) {
      if (!d) missing++;
      deltas.push(d ?? new Int32Array(held.cp.theta.length));
    }
    // A Δ missing at the window's start is asked again for a few blocks before it counts as
    // withheld: one served to another verifier alone reaches this one through it (every fetched
    // Δ is served on), so selective serving no longer splits the verifiers by itself.
    if (missing > 0 && windows && height < windows.scoreStart + missingWaitBlocks(job)) {
      this.m.log.debug(
        { job: job.id, round, missing },
        "Training: pseudo-gradients missing; asking again next block",
      );
      return;
    }
    // The copy rule on the deltas' own hashes: a commitment is bound to its committer, so two
    // participants holding one Δ commit different values; the earliest keeps the score.
    const outcome = settleRound(config, data, held.cp, deltas, deltas.map(deltaHash), rec.scoreSeed);
    w.settled = { scores: outcome.scores.map((x) => BigInt(x)), next: checkpointHash(outcome.next) };
    this.checkpoints.set(toHex(w.settled.next), { cp: outcome.next, config: held.config });
    this.m.log.info(
      { job: job.id, round, scores: outcome.scores, missing, next: toHex(w.settled.next).slice(0, 18) },
      "Training: scored the round's contributions",
    );
    await this.sendScores(job, round, rec, w, height);
  }

  private async sendScores(job: Job, round: number, rec: Round, w: RoundWork, height: number) {
    const store = readStoreIn(this.m.chain.state, trainingModule);
    const drawn = rec.verifiers.some((s) => equalBytes(s.address, this.address));
    if (!drawn || !w.settled || submissions.has(store, [job.id, round, this.address])) return;
    if (!due(w, "score", height)) return;
    await this.send(
      "score",
      encode(scoreArgs, { job: job.id, round, scores: w.settled.scores, checkpointHash: w.settled.next }),
    );
    this.m.log.info({ job: job.id, round }, "Training: drawn as a verifier, scores sent");
  }

  /**
   * The Δ a commitment names: bytes whose delta hash, bound to the committer, gives the commitment
   * (held, or asked of the peers). A commitment lifted from another's transaction matches no bytes.
   */
  private async deltaOf(
    commitment: Uint8Array,
    participant: Address,
    config: TrainingConfig,
    job: number,
    round: number,
    from: number,
    start = 0,
  ) {
    if (equalBytes(commitment, commitmentHash(participant, ZERO_DELTA_HASH))) return freeRiderDelta(config);
    const binds = (b: Uint8Array) => {
      try {
        return equalBytes(commitmentHash(participant, deltaHash(decodeDelta(b, config))), commitment);
      } catch {
        return false;
      }
    };
    const k = toHex(commitment);
    let bytes = this.deltas.get(k)?.bytes;
    if (bytes && !binds(bytes)) bytes = undefined;
    if (!bytes) {
      bytes = await this.fetch(WantKind.delta, commitment, binds, start);
      if (!bytes) return undefined;
      this.deltas.set(k, { bytes, job, round, from });
    }
    return decodeDelta(bytes, config);
  }

  /** Record the loss of each checkpoint the job adopted, once this node holds it. */
  private async follow(job: Job, config: TrainingConfig, data: Dataset): Promise<void> {
    const curve = this.curves.get(job.id) ?? [];
    if (curve.length === 0) {
      const first = this.checkpoints.get(toHex(job.modelHash))!;
      const lossQ16 = validationLoss(config, data, first.cp.theta);
      curve.push({ round: 0, checkpointHash: toHex(job.modelHash), lossQ16, loss: lossQ16 / 65536 });
      this.curves.set(job.id, curve);
    }
    if (job.roundsDone === 0 || curve[curve.length - 1]!.round >= job.roundsDone) return;
    const held = await this.checkpoint(job.checkpointHash, config);
    if (!held) return;
    const lossQ16 =
      curve[curve.length - 1]!.checkpointHash === toHex(job.checkpointHash)
        ? curve[curve.length - 1]!.lossQ16
        : validationLoss(config, data, held.cp.theta);
    curve.push({
      round: job.roundsDone,
      checkpointHash: toHex(job.checkpointHash),
      lossQ16,
      loss: lossQ16 / 65536,
    });
    this.m.log.info(
      { job: job.id, round: job.roundsDone, loss: (lossQ16 / 65536).toFixed(4) },
      "Training: checkpoint adopted",
    );
  }

  /** Forget pseudo-gradients of rounds older than KEEP_ROUNDS and the work of finished rounds. */
  private prune(running: Job[]): void {
    const current = new Map(running.map((j) => [j.id, j.roundsDone + 1]));
    for (const [k, d] of this.deltas) {
      const now = current.get(d.job);
      if (now === undefined || d.round <= now - KEEP_ROUNDS) this.deltas.delete(k);
    }
    for (const k of this.work.keys()) {
      const [job, round] = k.split("/").map(Number) as [number, number];
      const now = current.get(job);
      if (now === undefined || round < now - 1) this.work.delete(k);
    }
  }

  private async send(method: string, args: Uint8Array): Promise<void> {
    try {
      await this.opts.sender.send(trainingModule.address, method, args);
    } catch (e) {
      this.m.log.warn({ method, err: (e as Error).message }, "Training: a transaction was not sent");
    }
  }
}
