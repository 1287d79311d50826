/**
 * Race verification inside the node (spec/race-cycle.md §Verifiers). Every node learns the race's
 * threshold as soon as the seed is on chain (from its miner's calibration, or by calibrating in a
 * low-priority worker), so a block carrying a nonce fraud proof never waits for calibration. A mining node also verifies: for each reveal of the cycle it learns from its
 * BLS-VRF whether it was chosen to verify that miner (probability min(1, V · weight / total));
 * chosen (or with `verify: "all"`), it recomputes the sampled nonces and posts an attestation when
 * they are proofs, or a nonce fraud proof when one is not. Any node may check anything: one honest
 * checker is enough for a fraud proof to land.
 */
import {
  RACE_VERIFY_DOMAIN,
  RaceClaimState,
  raceAttestArgs,
  raceAttestations,
  raceClaims,
  raceFrauds,
  raceJudgeArgs,
  raceJudgements,
  race as raceModule,
  raceNonceFraudArgs,
  raceOpenClaims,
  raceReveals,
  raceSampleSeeds,
  raceSeeds,
  raceVerifierChosen,
  raceVerifierInput,
  validatorSetOf,
  validators as validatorsModule,
} from "../../../contracts/index.ts";
import { vrfProve } from "../../beacon/index.ts";
import type { Chain } from "../../chain/index.ts";
import type { BlsKeyPair } from "../../crypto/index.ts";
import { encode } from "../../encoding/index.ts";
import type { Logger } from "../../logger/index.ts";
import { getBackend, mine } from "../../miner/index.ts";
import { positionAt, RACE_MODULE_ADDRESS } from "../../params/index.ts";
import {
  type LoadedRace,
  raceThreshold,
  rememberThreshold,
  thresholdKnown,
  verifyNonces,
} from "../../race/index.ts";
import { readStoreIn } from "../../state/index.ts";
import { type Address, equalBytes, toChecksumAddress, toHex, u32be } from "../../types/index.ts";
import type { ModuleTxSender } from "./sender.ts";

export type VerifyMode = "chosen" | "all";

export interface RaceVerifierOptions {
  /** Backend for calibration and verification ("reference" calibrates in slices on the main thread). */
  backend: string;
  /** The node's miner calibrates each race and hands the threshold to the oracle. */
  minerCalibrates: boolean;
  /** Verification duty: the account that attests and its validator key (the VRF key). Absent: warm only. */
  duty?: { sender: ModuleTxSender; validatorKey: BlsKeyPair; mode: VerifyMode };
}

export class RaceVerifier {
  private busy = false;
  private loaded: { seed: Uint8Array; race: Promise<LoadedRace> } | undefined;
  /** `${cycle}:${miner}` already handled. */
  private readonly done = new Set<string>();

  constructor(
    private readonly opts: RaceVerifierOptions,
    private readonly m: { chain: Chain; log: Logger },
  ) {}

  start(): void {
    this.m.chain.onBlock(() => void this.step());
  }

  async stop(): Promise<void> {
    await this.release();
  }

  /**
   * Free the loaded model. A mining node's miner loads the next cycle's model in its worker as soon
   * as that cycle's seed is on chain; holding the last cycle's here as well would double the
   * node's peak memory (two 2.3 GB models on mainnet).
   */
  private async release(): Promise<void> {
    const l = this.loaded;
    this.loaded = undefined;
    if (l) await (await l.race).close();
  }

  private async step(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      const { chain } = this.m;
      const preset = chain.preset;
      const pos = positionAt(preset, chain.head.height + 1);
      const store = readStoreIn(chain.state, raceModule);
      const seed = raceSeeds.get(store, pos.cycle);
      // Duties end with the cycle's fraud window; a model of another cycle is never needed again.
      if (
        this.loaded &&
        (!seed || !equalBytes(this.loaded.seed, seed) || pos.offset >= preset.windows.fraudEnd)
      )
        await this.release();
      if (!seed) return;
      if (!thresholdKnown(seed, preset.race)) {
        // A mining node's miner calibrates and hands the threshold over; compute it here only
        // without one, or if it has not arrived by the commit deadline (the miner's workers run
        // at the lowest priority and a loaded box may starve them). Past the deadline no race
        // compute is left to protect, and fraud proofs need the threshold before the fraud
        // window closes: compute it at normal priority then.
        const late = pos.offset >= preset.windows.commitDeadline;
        if (this.opts.minerCalibrates && !late) return;
        const started = Date.now();
        const r = await mine({
          backend: this.opts.backend,
          raceSeed: seed,
          config: preset.race,
          miner: new Uint8Array(20),
          durationMs: 0,
          workers: 1,
          nice: late ? 0 : 19,
        });
        rememberThreshold(seed, preset.race, r.threshold);
        this.m.log.info(
          { cycle: pos.cycle, threshold: r.threshold.toString(), ms: Date.now() - started },
          "Race: threshold computed",
        );
      }
      const duty = this.opts.duty;
      if (!duty || pos.offset < preset.windows.revealStart || pos.offset >= preset.windows.fraudEnd - 1)
        return;
      for (const [[, miner], reveal] of raceReveals.entries(store, u32be(pos.cycle))) {
        const key = `${pos.cycle}:${toHex(miner)}`;
        if (this.done.has(key) || equalBytes(miner, duty.sender.address)) continue;
        this.done.add(key);
        await this.check(pos.cycle, seed, miner, reveal.sampled, reveal.nonces, duty);
      }
      await this.judgeClaims(pos.cycle, seed, duty);
    } catch (e) {
      this.m.log.warn({ err: (e as Error).message }, "Race verification step failed");
    } finally {
      this.busy = false;
    }
  }

  private async check(
    cycle: number,
    seed: Uint8Array,
    miner: Address,
    sampled: number[],
    revealed: { index: number; nonce: bigint }[],
    duty: NonNullable<RaceVerifierOptions["duty"]>,
  ): Promise<void> {
    const { chain, log } = this.m;
    const raceStore = readStoreIn(chain.state, raceModule);
    const randomness = raceSampleSeeds.get(raceStore, cycle);
    if (!randomness) return;
    const { proof } = vrfProve(
      duty.validatorKey.secretKey,
      RACE_VERIFY_DOMAIN,
      raceVerifierInput(randomness, cycle, miner),
    );
    const chosen =
      raceVerifierChosen(
        readStoreIn(chain.state, validatorsModule),
        raceStore,
        cycle,
        miner,
        duty.sender.address,
        proof,
        chain.preset.raceVerifiers,
      ) === true;
    if (!chosen && duty.mode === "chosen") return;
    const race = await this.model(seed);
    const threshold = raceThreshold(seed, chain.preset.race);
    const byIndex = new Map(revealed.map((r) => [r.index, r.nonce]));
    const nonces = sampled.map((i) => byIndex.get(i)!);
    const verdicts = await verifyNonces(race, threshold, miner, nonces);
    const bad = verdicts.findIndex((v) => !v.success);
    const who = toChecksumAddress(miner);
    if (bad >= 0) {
      if (raceFrauds.has(readStoreIn(chain.state, raceModule), [cycle, miner])) return;
      const args = { miner, index: sampled[bad]!, nonce: nonces[bad]!, proof: [] };
      if (raceClaims.has(raceStore, [[cycle, miner], args.index])) return;
      await duty.sender.send(RACE_MODULE_ADDRESS, "fraudNonce", encode(raceNonceFraudArgs, args));
      log.warn(
        { cycle, miner: who, nonce: args.nonce.toString(), distance: verdicts[bad]!.distance },
        "Race: a sampled nonce is not a proof; fraud claim sent (bond locked until judged)",
      );
      return;
    }
    if (!chosen) {
      log.info(
        { cycle, miner: who, samples: nonces.length },
        "Race: checked samples (not chosen): all proofs",
      );
      return;
    }
    if (raceAttestations.has(raceStore, [[cycle, miner], duty.sender.address])) return;
    await duty.sender.send(RACE_MODULE_ADDRESS, "attest", encode(raceAttestArgs, { miner, proof }));
    log.info(
      { cycle, miner: who, samples: nonces.length },
      "Race: chosen by VRF, samples verified, attested",
    );
  }

  /**
   * Judge the cycle's pending nonce fraud claims (race-cycle.md §Fraud claims) as a member of the
   * cycle's validator set: one forward pass each with the loaded backend, off the chain, then
   * `judge`. The chain never runs the pass; it counts the judged weight.
   */
  private async judgeClaims(
    cycle: number,
    seed: Uint8Array,
    duty: NonNullable<RaceVerifierOptions["duty"]>,
  ): Promise<void> {
    const { chain, log } = this.m;
    const me = duty.sender.address;
    const set = validatorSetOf(readStoreIn(chain.state, validatorsModule), cycle) ?? [];
    if (!set.some((v) => equalBytes(v.address, me))) return;
    const store = readStoreIn(chain.state, raceModule);
    // One claim per miner per step: once one is upheld the rest lapse unjudged, so a flood of
    // claims against one commitment costs this node one pass, not one per claim.
    const judgedNow = new Set<string>();
    for (const [[, miner], index] of raceOpenClaims.keys(store, u32be(cycle))) {
      const key = `judge:${cycle}:${toHex(miner)}:${index}`;
      if (this.done.has(key) || equalBytes(miner, me) || judgedNow.has(toHex(miner))) continue;
      if (raceFrauds.has(store, [cycle, miner])) continue;
      if (raceJudgements.has(store, [[[cycle, miner], index], me])) continue;
      const claim = raceClaims.get(store, [[cycle, miner], index]);
      if (claim?.state !== RaceClaimState.pending) continue;
      judgedNow.add(toHex(miner));
      this.done.add(key);
      const race = await this.model(seed);
      const threshold = raceThreshold(seed, chain.preset.race);
      const [verdict] = await verifyNonces(race, threshold, miner, [claim.nonce]);
      const fraud = verdict!.success ? 0 : 1;
      await duty.sender.send(RACE_MODULE_ADDRESS, "judge", encode(raceJudgeArgs, { miner, index, fraud }));
      log.info(
        { cycle, miner: toChecksumAddress(miner), index, distance: verdict!.distance, fraud: fraud === 1 },
        "Race: judged a nonce fraud claim",
      );
    }
  }

  /** The race model for verification, loaded once per seed with the node's backend. */
  private model(seed: Uint8Array): Promise<LoadedRace> {
    if (this.loaded && equalBytes(this.loaded.seed, seed)) return this.loaded.race;
    const previous = this.loaded;
    void previous?.race.then((r) => r.close());
    const race = getBackend(this.opts.backend).load(seed, this.m.chain.preset.race);
    this.loaded = { seed, race };
    return race;
  }
}
