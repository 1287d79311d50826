/**
 * The beacon step: apply the block's beacon messages, then store what they changed in the beacon
 * module; a DKG outcome's proven faults are recorded as offences of the DKG's cycle.
 */
import {
  beacon as beaconModule,
  recordOffence,
  validators as validatorsModule,
  writeBeaconTransition,
} from "../../../contracts/index.ts";
import { applyBeacon, BeaconError, type BeaconTransition } from "../../beacon/index.ts";
import type { Preset } from "../../params/index.ts";
import type { BeaconMessage } from "../../types/index.ts";
import { BlockError, type BlockRun, storeIn, type TransitionContext } from "./context.ts";

export function beaconParams(preset: Preset) {
  return { cycleLength: preset.cycleLength, ...preset.beacon };
}

/** The pure beacon transition for `msgs` at `height`; throws BlockError("BLOCK_ERROR_BEACON"). */
export function runBeacon(
  run: Pick<BlockRun, "pre" | "ctx">,
  height: number,
  msgs: BeaconMessage[],
): BeaconTransition {
  const ctx: TransitionContext = run.ctx;
  try {
    return applyBeacon(
      run.pre.beacon,
      height,
      msgs,
      ctx.validatorsAt(height).validators,
      beaconParams(ctx.preset),
      ctx.chainId,
    );
  } catch (e) {
    if (e instanceof BeaconError) throw new BlockError("BLOCK_ERROR_BEACON", e.message);
    throw e;
  }
}

export function processBeacon(run: BlockRun, msgs: BeaconMessage[]): BeaconTransition {
  const t = runBeacon(run, run.block.height, msgs);
  writeBeaconTransition(storeIn(run.state, beaconModule), run.pre.beacon, t, msgs, run.block.height);
  if (t.dkg) {
    const store = storeIn(run.state, validatorsModule);
    for (const f of t.dkg.faults)
      recordOffence(store, run.block, f.address, t.dkg.cycle, `dkg of cycle ${t.dkg.cycle}: ${f.reason}`);
  }
  run.beacon = t;
  return t;
}

/** Block building: keep each candidate message that is valid after the ones kept before it. */
export function selectBeaconMessages(run: BlockRun, candidates: BeaconMessage[]): BeaconMessage[] {
  const kept: BeaconMessage[] = [];
  for (const m of candidates) {
    try {
      runBeacon(run, run.block.height, [...kept, m]);
      kept.push(m);
    } catch (e) {
      if (!(e instanceof BlockError)) throw e;
    }
  }
  return kept;
}
