// The race module driven block by block without a network: its hooks and methods over a state
// overlay, with beacon outputs written where the beacon module keeps them. Used by the module's
// unit tests, the race-cycle vectors (generator and replay) and bench:race-cycle.
import { beacon, beaconHead, beaconRounds, type Module, race } from "../../contracts/index.ts";
import type { Preset } from "../../src/params/index.ts";
import { blockInfo, moduleContext, StateOverlay, storeIn, WorldState } from "../../src/state/index.ts";
import { type Address, type Log, ZERO_ADDRESS } from "../../src/types/index.ts";

export function raceHarness(preset: Preset, chainId: bigint) {
  const state = new StateOverlay(new WorldState());
  const ctx = (height: number, module: Module = race) =>
    moduleContext(blockInfo({ chainId, preset }, height, ZERO_ADDRESS), state, module);
  /** Logs emitted by the calls so far (cleared by the caller when it reads them). */
  const logs: Log[] = [];
  const callCtx = (height: number, sender: Address) => ({
    ...ctx(height),
    sender,
    emit: (topics: Uint8Array[], data: Uint8Array) => logs.push({ address: race.address, topics, data }),
  });
  const call = (height: number, sender: Address, method: string, args: unknown) =>
    race.methods[method]!.execute(callCtx(height, sender), args);
  /** The race module's endBlock for every height in [from, to]. */
  const endBlocks = (from: number, to: number) => {
    for (let h = from; h <= to; h++) race.endBlock!(ctx(h));
  };
  const beaconStore = storeIn(state, beacon);
  let round = 0;
  /** A completed beacon round at `height` with this output (the race module reads the latest). */
  /**
   * A beacon round completing at `height`. `opened` numbers it as the real beacon does — round r
   * opens at r × roundInterval and rounds complete in order, so it is the latest round open by
   * `height` — which the race needs (it takes seeds only from rounds that opened inside their
   * window). A number is the round itself (a late round: opened long before it lands). Without it
   * rounds are numbered 1, 2, 3, … (the tasks and rewards tests' receipts name them).
   */
  const beaconOutput = (height: number, output: Uint8Array, opened: boolean | number = false) => {
    round =
      typeof opened === "number"
        ? opened
        : opened
          ? Math.max(round + 1, Math.floor(height / preset.beacon.roundInterval))
          : round + 1;
    beaconRounds.set(beaconStore, round, {
      round,
      output,
      signature: new Uint8Array(96),
      signers: [1, 2, 3],
      height,
      previous: new Uint8Array(32),
      groupKey: new Uint8Array(48),
      dkgCycle: 0,
    });
    beaconHead.set(beaconStore, {
      cycle: Math.floor(height / preset.cycleLength),
      round,
      output,
      active: 1,
      next: 0,
    });
    return output;
  };
  return { state, ctx, callCtx, call, logs, endBlocks, beaconOutput, store: storeIn(state, race) };
}
