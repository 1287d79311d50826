/**
 * The miner inside the node (`racecoin node --mine`): follows the cycle schedule by itself. When
 * the race module records the cycle's seed it builds the model and mines in worker threads until
 * shortly before the commit deadline (resting between ranges by `duty`, so consensus and RPC keep
 * the cores), commits `(count, root)`, and once the sample randomness is on chain reveals the
 * sampled nonces with a multiproof. Transactions go through the local mempool and gossip like any
 * other. State per cycle lives in memory: after a restart the miner resumes with the next race.
 */
import {
  ENVELOPE_VERSION,
  envelopeCodec,
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
} from "../../../contracts/index.ts";
import type { Chain } from "../../chain/index.ts";
import { type BlsKeyPair, blsSign, privateKeyToAddress } from "../../crypto/index.ts";
import { encode } from "../../encoding/index.ts";
import type { Logger } from "../../logger/index.ts";
import type { Mempool } from "../../mempool/index.ts";
import { mine } from "../../miner/index.ts";
import {
  cycleStart,
  positionAt,
  RACE_MODULE_ADDRESS,
  VALIDATORS_MODULE_ADDRESS,
} from "../../params/index.ts";
import { buildTree, commit, multiproof, sampleIndices } from "../../race/index.ts";
import { estimateGas, readStoreIn } from "../../state/index.ts";
import { signTx } from "../../tx/index.ts";
import { type Address, equalBytes, toChecksumAddress, toHex } from "../../types/index.ts";

export interface MinerServiceOptions {
  /** The account that commits and reveals (its address earns the weight). */
  accountKey: Uint8Array;
  /** This node's validator BLS key: registered to the account, so the account can enter the set. */
  validatorKey?: BlsKeyPair;
  backend: string;
  workers: number;
  /** Fraction of time the workers compute (see mine()). */
  duty: number;
  /**
   * Test-only cheating (RACECOIN_RACE_CHEAT), to show the chain zeroes a cheater's weight:
   * "inflate" commits twice its count, "no-reveal" never reveals, "late" commits after the deadline.
   */
  cheat?: "inflate" | "no-reveal" | "late";
}

interface CycleWork {
  cycle: number;
  mining?: Promise<bigint[]>;
  /** Stops this cycle's mining when the chain nears the commit deadline. */
  stop?: AbortController;
  proofs?: bigint[];
  committed: boolean;
  revealed: boolean;
}

export class MinerService {
  private readonly address: Address;
  private work: CycleWork | undefined;
  private readonly abort = new AbortController();
  private busy = false;
  private registrationSent = false;

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
    this.address = privateKeyToAddress(opts.accountKey);
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
      const preset = chain.preset;
      const next = chain.head.height + 1;
      const pos = positionAt(preset, next);
      const cycle = pos.cycle;
      if (this.work?.cycle !== cycle) this.work = { cycle, committed: false, revealed: false };
      const w = this.work;
      const seed = raceSeeds.get(this.raceStore, cycle);
      const deadline = cycleStart(cycle, preset.cycleLength) + preset.windows.commitDeadline;
      // Mining stops when the chain is three blocks from the deadline (blocks, not a clock: block
      // times vary and the model takes a while to build), so the commitment lands in time.
      const blocksLeft = deadline - 3 - next;
      if (w.mining && blocksLeft <= 0) w.stop?.abort();
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
          signal,
        }).then((r) => {
          this.m.log.info(
            { cycle, nonces: r.nonces, proofs: r.proofs.length, noncesPerSec: Math.round(r.noncesPerSec) },
            "Race: mined",
          );
          w.proofs = r.proofs;
          void this.step();
          return r.proofs;
        });
        w.mining.catch((e) => this.m.log.warn({ cycle, err: (e as Error).message }, "Race: mining failed"));
      }
      const committed = raceCommits.get(this.raceStore, [cycle, this.address]);
      const cheat = this.opts.cheat;
      const commitDue =
        cheat === "late"
          ? pos.offset >= preset.windows.commitDeadline && pos.offset < preset.windows.revealStart
          : pos.commitOpen;
      if (w.proofs && !w.committed && !committed && commitDue) {
        const c = commit(w.proofs);
        const count = cheat === "inflate" ? 2 * c.count + 1 : c.count;
        await this.send("commit", encode(raceCommitArgs, { count, root: c.root }));
        w.committed = true;
        this.m.log.info({ cycle, count: c.count }, "Race: committed");
      }
      const randomness = raceSampleSeeds.get(this.raceStore, cycle);
      const revealed = raceReveals.has(this.raceStore, [cycle, this.address]);
      if (
        cheat !== "no-reveal" &&
        committed &&
        committed.count > 0 &&
        w.proofs &&
        randomness &&
        !w.revealed &&
        !revealed &&
        pos.revealOpen
      ) {
        const { revealed: indices } = sampleIndices(
          randomness,
          this.address,
          w.proofs.length,
          preset.race.samples,
        );
        const proofs = w.proofs;
        const args = {
          nonces: indices.map((index) => ({ index, nonce: proofs[index]! })),
          proof: multiproof(buildTree(proofs), indices),
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

  /**
   * Sign and submit through the local mempool and gossip (which publishes it again until it is
   * included). Nothing is sent while the node has no peers: it would wait in this pool alone.
   */
  private async send(method: string, args: Uint8Array, to: Address = RACE_MODULE_ADDRESS): Promise<void> {
    if (this.m.peers() === 0) throw new Error(`no peers to send the ${method} transaction to`);
    const { chain, mempool } = this.m;
    const data = encode(envelopeCodec, { version: ENVELOPE_VERSION, method, args });
    const env = {
      chainId: chain.ctx.chainId,
      preset: chain.preset,
      height: chain.head.height + 1,
      modules: chain.modules,
    };
    let gas: bigint;
    try {
      gas = estimateGas(chain.state, { from: this.address, to, value: 0n, data }, env);
    } catch (e) {
      // A cheating test miner sends what the chain will refuse, to show it is refused on chain.
      if (!this.opts.cheat) throw e;
      gas = 200_000n;
    }
    const baseFee = mempool.pendingBaseFee();
    const tip = 1_000_000_000n;
    const tx = signTx(
      {
        type: 2,
        chainId: chain.ctx.chainId,
        nonce: mempool.pendingNonce(this.address),
        maxPriorityFeePerGas: tip,
        maxFeePerGas: 2n * baseFee + tip,
        gasLimit: gas + gas / 5n,
        to,
        value: 0n,
        data,
        accessList: [],
      },
      this.opts.accountKey,
    );
    await mempool.add(tx.raw);
    this.m.broadcastTx(tx.raw);
  }
}
