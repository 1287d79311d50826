/**
 * Reads of module state at the head that the node needs by height or cycle: validator sets (cached
 * per cycle: a cycle's set never changes once stored), beacon rounds and DKG outcomes, and the
 * beacon committee of a cycle (the top of that cycle's set).
 */
import {
  beaconDkgs,
  beacon as beaconModule,
  beaconRounds,
  type DkgRecord,
  loadBeaconState,
  type StoredRound,
  validatorSetOf,
  validators as validatorsModule,
} from "../../contracts/index.ts";
import { type BeaconCommittee, type BeaconState, selectCommittee } from "../beacon/index.ts";
import { ValidatorSet } from "../consensus/index.ts";
import { cycleOf, cycleStart, type Preset } from "../params/index.ts";
import { readStoreIn, type StateReader } from "../state/index.ts";

export class ModuleViews {
  private readonly sets = new Map<number, ValidatorSet>();

  constructor(
    private readonly preset: Preset,
    private readonly state: () => StateReader,
  ) {}

  tryValidatorsAt(height: number): ValidatorSet | undefined {
    const cycle = cycleOf(height, this.preset.cycleLength);
    let set = this.sets.get(cycle);
    if (!set) {
      const list = validatorSetOf(readStoreIn(this.state(), validatorsModule), cycle);
      if (!list) return undefined;
      set = new ValidatorSet(list);
      this.sets.set(cycle, set);
    }
    return set;
  }

  beaconRound(round: number): StoredRound | undefined {
    return beaconRounds.get(readStoreIn(this.state(), beaconModule), round);
  }

  beaconDkg(cycle: number): DkgRecord | undefined {
    return beaconDkgs.get(readStoreIn(this.state(), beaconModule), cycle);
  }

  beaconCommittee(cycle: number): BeaconCommittee {
    const set = this.tryValidatorsAt(cycleStart(cycle, this.preset.cycleLength));
    if (!set) throw new Error(`no validator set for cycle ${cycle}`);
    return selectCommittee(set.validators, this.preset.beacon.committeeSize, cycle);
  }

  /** The in-memory beacon state, rebuilt from the beacon module's entries (node start). */
  loadBeacon(): BeaconState {
    return loadBeaconState(readStoreIn(this.state(), beaconModule), (c) => this.beaconCommittee(c));
  }
}
