/**
 * The miner inside the node (`racecoin node --mine`): follows the cycle schedule by itself. When
 * the race module records the cycle's seed it builds the model and mines in worker threads until
 * shortly before the commit deadline (resting between ranges by `duty`, so consensus and RPC keep
 * the cores), commits `(count, root)`, and once the sample randomness is on chain reveals the
 * sampled nonces with a multiproof. Transactions go through the local mempool and gossip like any
 * other. State per cycle lives in memory: after a restart the miner resumes with the next race.
 */
import {
  models as modelsModule,
  priceVotes,
  raceCommitArgs,
  raceCommits,
  race as raceModule,
  raceRevealArgs,
  raceReveals,
  raceSampleSeeds,
  raceSeeds,
  registerArgs,
  registrationMessage,
  registrations,
  validators as validatorsModule,
  votePriceArgs,
  voterWeights,
} from "../../../contracts/index.ts";
import type { Chain } from "../../chain/index.ts";
import { type BlsKeyPair, blsSign } from "../../crypto/index.ts";
import { encode } from "../../encoding/index.ts";
import type { Logger } from "../../logger/index.ts";
import type { Mempool } from "../../mempool/index.ts";
import { mine } from "../../miner/index.ts";
import {
  cycleStart,
  MODELS_MODULE_ADDRESS,
  positionAt,
  RACE_MODULE_ADDRESS,
  VALIDATORS_MODULE_ADDRESS,
} from "../../params/index.ts";
import { multiproof, rememberThreshold, rootOf, sampleIndices, treeOver } from "../../race/index.ts";
import { readStoreIn } from "../../state/index.ts";
import { type Address, equalBytes, toChecksumAddress, toHex } from "../../types/index.ts";
import { ModuleTxSender } from "./sender.ts";

export interface MinerServiceOptions {
  /** The account that commits and reveals (its address earns the weight). */
  accountKey: Uint8Array;
  /** This node's validator BLS key: registered to the account, so the account can enter the set. */
  validatorKey?: BlsKeyPair;
  /** The price per unit of compute (wei) this miner votes for (spec/inference.md §Price); absent: no vote. */
  unitPrice?: bigint;
  backend: string;
  workers: number;
  /** Fraction of time the workers compute (see mine()). */
  duty: number;
  /**
   * Test-only cheating (RACECOIN_RACE_CHEAT, a comma list: the first for cycle 1, the next for
   * cycle 2, …, the last for every later cycle), to show the chain zeroes a cheater's weight:
   * "inflate" commits twice its count, "no-reveal" never reveals, "late" commits after the deadline,
   * "nonproof" pads its set with seven non-proof nonces per proof, "duplicate" commits every nonce
   * twice, "honest" does not cheat that cycle.
   */
  cheats?: RaceCheat[];
}

export const RACE_CHEATS = ["honest", "inflate", "no-reveal", "late", "nonproof", "duplicate"] as const;
export type RaceCheat = (typeof RACE_CHEATS)[number];

/** What a cheater commits in place of its proof set (sorted for "nonproof", duplicated for "duplicate"). */
function cheatSet(proofs: bigint[], cheat: RaceCheat | undefined): bigint[] {
  if (cheat === "nonproof") {
    // Nonces from 2^39 on were never evaluated: each is a proof with probability 1/900.
    const pad = Array.from({ length: 7 * Math.max(1, proofs.length) }, (_, i) => (1n << 39n) + BigInt(i));
    return [...proofs, ...pad];
  }
  // With no proof of its own, a nonce never evaluated, twice.
  if (cheat === "duplicate")
    return proofs.length > 0 ? proofs.flatMap((n) => [n, n]) : [1n << 39n, 1n << 39n];
  return proofs;
}

interface CycleWork {
  cycle: number;
  mining?: Promise<bigint[]>;
  /** Stops this cycle's mining when the chain nears the commit deadline. */
  stop?: AbortController;
  proofs?: bigint[];
  /** Proofs streamed by the workers so far (committed as they are if mining has not ended by the stop). */
  found: bigint[];
  /** The leaves actually committed (the proofs, or a test cheater's set). */
  leaves?: bigint[];
  committed: boolean;
  revealed: boolean;
}

export class MinerService {
  private readonly address: Address;
  private work: CycleWork | undefined;
  private readonly abort = new AbortController();
  private busy = false;
  private registrationSent = false;
  private priceVoteSent: bigint | undefined;
  /** The mining account's transaction sender (the verifier shares it: one nonce sequence). */
  readonly sender: ModuleTxSender;

  constructor(
    private readonly opts: MinerServiceOptions,
    private readonly m: {
      chain: Chain;
      mempool: Mempool;
      broadcastTx: (raw: Uint8Array) => void;
      /** Connected peers: a transaction gossiped with none would reach no one. */
      peers: () => number;
      log: Logger;
    },
  ) {
    // A cheating test miner sends what the chain will refuse, to show it is refused on chain.
    this.sender = new ModuleTxSender(opts.accountKey, m, opts.cheats?.length ? 200_000n : undefined);
    this.address = this.sender.address;
  }

  start(): void {
    this.m.log.info(
      { account: toChecksumAddress(this.address), backend: this.opts.backend, duty: this.opts.duty },
      "Miner on: racing every cycle from its beacon seed",
    );
    this.m.chain.onBlock(() => void this.step());
    void this.step();
  }

  stop(): void {
    this.abort.abort();
  }

  private get raceStore() {
    return readStoreIn(this.m.chain.state, raceModule);
  }

  /** One look at the head: start mining, commit, or reveal, whichever is due. Never throws. */
  private async step(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      const { chain } = this.m;
      await this.registerIfNeeded();
      await this.votePriceIfNeeded();
      const preset = chain.preset;
      const next = chain.head.height + 1;
      const pos = positionAt(preset, next);
      const cycle = pos.cycle;
      if (this.work?.cycle !== cycle) this.work = { cycle, found: [], committed: false, revealed: false };
      const w = this.work;
      const seed = raceSeeds.get(this.raceStore, cycle);
      const deadline = cycleStart(cycle, preset.cycleLength) + preset.windows.commitDeadline;
      // Mining stops when the chain is three blocks from the deadline (blocks, not a clock: block
      // times vary and the model takes a while to build), so the commitment lands in time.
      const blocksLeft = deadline - 3 - next;
      if (w.mining && blocksLeft <= 0) {
        w.stop?.abort();
        // Workers starved of CPU (they run at the lowest priority) may not return in time: commit
        // what they streamed so far rather than miss the deadline.
        w.proofs ??= [...w.found].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
      }
      if (seed && !w.mining && pos.commitOpen && blocksLeft > 0) {
        w.stop = new AbortController();
        const signal = AbortSignal.any([this.abort.signal, w.stop.signal]);
        this.m.log.info({ cycle, seed: toHex(seed).slice(0, 18), blocksLeft }, "Race: mining");
        w.mining = mine({
          backend: this.opts.backend,
          raceSeed: seed,
          config: preset.race,
          miner: this.address,
          durationMs: 10 * blocksLeft * preset.blockTimeMs,
          workers: this.opts.workers,
          duty: this.opts.duty,
          // Lowest priority: block production, voting and RPC keep the cores (race-cycle.md §Mining).
          nice: 19,
          signal,
          onProof: (nonce) => w.found.push(nonce),
          // The threshold is what the transition needs for nonce fraud proofs: hand it over.
          onThreshold: (t) => rememberThreshold(seed, preset.race, t),
        }).then((r) => {
          this.m.log.info(
            { cycle, nonces: r.nonces, proofs: r.proofs.length, noncesPerSec: Math.round(r.noncesPerSec) },
            "Race: mined",
          );
          w.proofs ??= r.proofs;
          void this.step();
          return r.proofs;
        });
        w.mining.catch((e) => this.m.log.warn({ cycle, err: (e as Error).message }, "Race: mining failed"));
      }
      const committed = raceCommits.get(this.raceStore, [cycle, this.address]);
      const cheats = this.opts.cheats ?? [];
      const cheat = cheats[Math.max(0, Math.min(cycle - 1, cheats.length - 1))];
      const commitDue =
        cheat === "late"
          ? pos.offset >= preset.windows.commitDeadline && pos.offset < preset.windows.revealStart
          : pos.commitOpen;
      if (w.proofs && !w.committed && !committed && commitDue) {
        const leaves = cheatSet(w.proofs, cheat);
        const root = rootOf(treeOver(leaves));
        const count = cheat === "inflate" ? 2 * leaves.length + 1 : leaves.length;
        await this.send("commit", encode(raceCommitArgs, { count, root }));
        w.leaves = leaves;
        w.committed = true;
        this.m.log.info({ cycle, count: w.proofs.length }, "Race: committed");
      }
      const randomness = raceSampleSeeds.get(this.raceStore, cycle);
      const revealed = raceReveals.has(this.raceStore, [cycle, this.address]);
      if (
        cheat !== "no-reveal" &&
        committed &&
        committed.count > 0 &&
        w.leaves &&
        randomness &&
        !w.revealed &&
        !revealed &&
        pos.revealOpen
      ) {
        const leaves = w.leaves;
        const indices = sampleIndices(randomness, this.address, leaves.length, preset.race.samples);
        const args = {
          nonces: indices.map((index) => ({ index, nonce: leaves[index]! })),
          proof: multiproof(treeOver(leaves), indices),
        };
        await this.send("reveal", encode(raceRevealArgs, args));
        w.revealed = true;
        this.m.log.info({ cycle, revealed: indices.length }, "Race: revealed samples");
      }
    } catch (e) {
      this.m.log.warn({ err: (e as Error).message }, "Race step failed");
    } finally {
      this.busy = false;
    }
  }

  /** Vote the configured unit price once it differs from this miner's vote and the miner has weight. */
  private async votePriceIfNeeded(): Promise<void> {
    const want = this.opts.unitPrice;
    if (want === undefined || this.priceVoteSent === want || this.m.peers() === 0) return;
    const { chain } = this.m;
    const cycle = positionAt(chain.preset, chain.head.height + 1).cycle;
    const store = readStoreIn(chain.state, modelsModule);
    if (priceVotes.get(store, this.address) === want) {
      this.priceVoteSent = want;
      return;
    }
    const voters = voterWeights(
      readStoreIn(chain.state, raceModule),
      readStoreIn(chain.state, validatorsModule),
      cycle,
    );
    if (!voters.some(([a, w]) => w > 0n && equalBytes(a, this.address))) return;
    await this.send("votePrice", encode(votePriceArgs, { price: want }), MODELS_MODULE_ADDRESS);
    this.priceVoteSent = want;
    this.m.log.info({ cycle, unitPrice: want.toString() }, "Voted the price per unit of compute");
  }

  /**
   * An account outside genesis enters a validator set only with a registered BLS key: register
   * this node's key to the mining account once (validators.md §Registration).
   */
  private async registerIfNeeded(): Promise<void> {
    const key = this.opts.validatorKey;
    if (!key || this.registrationSent || this.m.peers() === 0) return;
    const { chain } = this.m;
    const existing = registrations.get(readStoreIn(chain.state, validatorsModule), this.address);
    if (existing) {
      this.registrationSent = true;
      if (!equalBytes(existing.blsKey, key.publicKey))
        this.m.log.warn("Miner account is registered with another BLS key: this node will not sign for it");
      return;
    }
    const proof = blsSign(
      key.secretKey,
      "register",
      registrationMessage(chain.ctx.chainId, this.address, key.publicKey),
    );
    await this.send(
      "register",
      encode(registerArgs, { blsKey: key.publicKey, proof, peerId: new Uint8Array(0) }),
      VALIDATORS_MODULE_ADDRESS,
    );
    this.registrationSent = true;
    this.m.log.info(
      { account: toChecksumAddress(this.address) },
      "Registered the validator key to the mining account",
    );
  }

  private send(method: string, args: Uint8Array, to: Address = RACE_MODULE_ADDRESS): Promise<void> {
    return this.sender.send(to, method, args);
  }
}
