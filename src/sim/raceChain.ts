/**
 * The race module (contracts/race) on an in-memory state, called the way block execution calls
 * it: each transaction's method with its decoded arguments, then the module's endBlock at every
 * height. Beacon outputs are written where the beacon module keeps them, the cycle's validator set
 * where the validators module keeps it. Each call is timed (wall clock, reported only on request).
 */
import {
  beacon,
  beaconHead,
  beaconRounds,
  ENVELOPE_VERSION,
  envelopeCodec,
  type Module,
  race,
  validatorSets,
  validators,
} from "../../contracts/index.ts";
import { encode } from "../encoding/index.ts";
import type { Preset } from "../params/index.ts";
import { blockInfo, moduleContext, StateOverlay, storeIn, WorldState } from "../state/index.ts";
import { intrinsicGas, signTx } from "../tx/index.ts";
import { type Address, type Validator, ZERO_ADDRESS } from "../types/index.ts";

export type RaceMethod = "commit" | "reveal" | "attest" | "fraudNonce" | "judge";

export interface RaceTx {
  method: RaceMethod;
  sender: Address;
  args: unknown;
  /** Signed transaction size and gas (intrinsic + the method's). */
  bytes: number;
  gas: bigint;
}

export class RaceChain {
  readonly state = new StateOverlay(new WorldState());
  private round = 0;
  /** Signed-transaction overhead over its data, measured on one real transaction per data size class. */
  private readonly overhead = new Map<number, number>();

  constructor(
    readonly preset: Preset,
    readonly chainId: bigint,
  ) {}

  ctx(height: number, module: Module = race) {
    return moduleContext(
      blockInfo({ chainId: this.chainId, preset: this.preset }, height, ZERO_ADDRESS),
      this.state,
      module,
    );
  }

  setValidators(cycle: number, set: Validator[]): void {
    validatorSets.set(storeIn(this.state, validators), cycle, set);
  }

  fund(a: Address, wei: bigint): void {
    this.state.setAccount(a, { ...this.state.getAccount(a), balance: wei });
  }

  /** A beacon round landing at `height`, numbered as the beacon does: the latest round open by then (round × roundInterval). */
  beaconOutput(height: number, output: Uint8Array): void {
    const store = storeIn(this.state, beacon);
    this.round = Math.max(this.round + 1, Math.floor(height / this.preset.beacon.roundInterval));
    beaconRounds.set(store, this.round, {
      round: this.round,
      output,
      signature: new Uint8Array(96),
      signers: [1],
      height,
      previous: new Uint8Array(32),
      groupKey: new Uint8Array(48),
      dkgCycle: 0,
    });
    beaconHead.set(store, {
      cycle: Math.floor(height / this.preset.cycleLength),
      round: this.round,
      output,
      active: 1,
      next: 0,
    });
  }

  /** A transaction calling `method`: its real envelope, size and gas. */
  tx(method: RaceMethod, sender: Address, args: unknown): RaceTx {
    const m = race.methods[method]!;
    const data = encode(envelopeCodec, { version: ENVELOPE_VERSION, method, args: encode(m.args, args) });
    const gas = intrinsicGas({ data, accessList: [] }) + (typeof m.gas === "function" ? m.gas(args) : m.gas);
    return { method, sender, args, bytes: data.length + this.overheadFor(data.length), gas };
  }

  private overheadFor(dataBytes: number): number {
    // RLP length prefixes change at 56 bytes and every 256×: one class per prefix length.
    const cls = dataBytes < 56 ? 0 : Math.ceil(Math.log2(dataBytes + 1) / 8);
    let o = this.overhead.get(cls);
    if (o === undefined) {
      const data = new Uint8Array(dataBytes).fill(1);
      const key = new Uint8Array(32).fill(7);
      const raw = signTx(
        {
          type: 2,
          chainId: this.chainId,
          nonce: 1000n,
          maxPriorityFeePerGas: 1_000_000_000n,
          maxFeePerGas: 10_000_000_000n,
          gasLimit: 1_000_000n,
          to: race.address,
          value: 0n,
          data,
          accessList: [],
        },
        key,
      ).raw;
      o = raw.length - dataBytes;
      this.overhead.set(cls, o);
    }
    return o;
  }

  /** Apply one transaction's call; returns the wall-clock ms it took, or the error's message. */
  apply(height: number, t: RaceTx): { ms: number; error?: string } {
    const ctx = { ...this.ctx(height), sender: t.sender, emit: () => {} };
    const start = performance.now();
    try {
      race.methods[t.method]!.execute(ctx as never, t.args);
      return { ms: performance.now() - start };
    } catch (e) {
      return { ms: performance.now() - start, error: (e as Error).message };
    }
  }

  endBlock(height: number): number {
    const start = performance.now();
    race.endBlock!(this.ctx(height));
    return performance.now() - start;
  }
}
