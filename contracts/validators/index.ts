/**
 * validators: who may validate, and the validator set of every cycle, as chain state
 * (spec/validators.md). The set for cycle c + 1 is stored by endCycle in the last block of cycle c;
 * consensus, certificates, sync, the beacon committee and RPC read the set of the height in
 * question from here. Accounts register a BLS key with a proof bound to their address, so accounts
 * not in genesis can later enter a set; other modules (the race) feed next-cycle weights through
 * `setNextWeight`. Proven offences (equivocation evidence, DKG faults) are recorded here per cycle
 * by the state transition: the rewards module forfeits the offender's rewards of that cycle, and the
 * next set built keeps the offender out.
 */
import { blsVerify, keccak256 } from "../../src/crypto/index.ts";
import {
  address20,
  bytes,
  list,
  quantity,
  str,
  struct,
  uint,
  validatorListCodec,
} from "../../src/encoding/index.ts";
import { cycleOf, VALIDATORS_MODULE_ADDRESS } from "../../src/params/index.ts";
import {
  type Address,
  compareBytes,
  concatBytes,
  equalBytes,
  toChecksumAddress,
  toHex,
  u64be,
  type Validator,
} from "../../src/types/index.ts";
import { emit, event } from "../events.ts";
import {
  type GenesisContext,
  InvariantError,
  type Module,
  type ModuleContext,
  ModuleError,
} from "../module.ts";
import {
  addressKey20,
  bytesKey,
  pairKey,
  type RawStore,
  type ReadStore,
  StoreMap,
  u32Key,
} from "../store.ts";

export interface Registration {
  blsKey: Uint8Array;
  /** libp2p peer id bytes, empty if not given. */
  peerId: Uint8Array;
  /** Height of the registration (0 for genesis validators). */
  height: number;
}

const registrationCodec = struct<Registration>("validators.Registration", {
  blsKey: bytes({ length: 48 }),
  peerId: bytes({ max: 64 }),
  height: uint,
});

/** A proven offence: what was proven and the height of the block that carried the proof. */
export interface Offence {
  reason: string;
  height: number;
}
const offenceCodec = struct<Offence>("validators.Offence", { reason: str(256), height: uint });

/** cycle → the set that validates every height of that cycle. */
export const validatorSets = new StoreMap("set", u32Key, validatorListCodec);
/** account → its registered BLS key. */
export const registrations = new StoreMap("reg", addressKey20, registrationCodec);
/** BLS key → the account it is registered to (one account per key). */
export const keyOwners = new StoreMap("keyOwner", bytesKey, address20);
/** account → weight proposed for the next cycle (cleared at every cycle end). */
export const nextWeights = new StoreMap("nextWeight", addressKey20, quantity);
/** (cycle of the offence, offender) → the first offence proven for that cycle. */
export const offences = new StoreMap("offence", pairKey(u32Key, 4, addressKey20), offenceCodec);
/** (cycle whose set and weights it is kept out of, offender) → the cycle of the offence. */
export const exclusions = new StoreMap("excluded", pairKey(u32Key, 4, addressKey20), uint);

export interface RegisterArgs {
  blsKey: Uint8Array;
  proof: Uint8Array;
  peerId: Uint8Array;
}
export const registerArgs = struct<RegisterArgs>("validators.register", {
  blsKey: bytes({ length: 48 }),
  proof: bytes({ length: 96 }),
  peerId: bytes({ max: 64 }),
});
export const cycleQueryArgs = struct<{ cycle: number }>("validators.set", { cycle: uint });
export const validatorSetResult = struct<{ validators: Validator[] }>("validators.set.result", {
  validators: validatorListCodec,
});
/** An offence as the `offences` query shows it: who, what, where, and the set it is kept out of. */
export interface OffenceView extends Offence {
  address: Address;
  excludedFrom: number;
}
export const offencesResult = struct<{ offences: OffenceView[] }>("validators.offences.result", {
  offences: list(
    struct<OffenceView>("validators.OffenceView", {
      address: address20,
      reason: str(256),
      height: uint,
      excludedFrom: uint,
    }),
    1024,
  ),
});
export const registrationQueryArgs = struct<{ address: Address }>("validators.registration", {
  address: address20,
});
export const registrationResult = struct<{ registrations: Registration[] }>(
  "validators.registration.result",
  {
    registrations: list(registrationCodec, 1),
  },
);

/** What a registration proof signs (under the "register" BLS domain): chain id ‖ account ‖ key. */
export function registrationMessage(chainId: bigint, account: Address, blsKey: Uint8Array): Uint8Array {
  return concatBytes(u64be(chainId), account, blsKey);
}

/** The set of a cycle; undefined if that cycle's set is not decided yet. */
export function validatorSetOf(store: ReadStore, cycle: number): Validator[] | undefined {
  return validatorSets.get(store, cycle);
}

/** Propose `address`'s weight for the next cycle (the race module calls this at its cycle end). */
export function setNextWeight(store: RawStore, address: Address, weight: bigint): void {
  if (weight < 0n) throw new Error("weight must not be negative");
  nextWeights.set(store, address, weight);
}

/**
 * Record a proven offence of `offender` in cycle `cycle`, found in the block `block` (spec/validators.md
 * §Offences). Its rewards of `cycle` are forfeited at settlement; it is kept out of the first set
 * not yet decided — the one built at the end of the block's own cycle — and of that cycle's weights.
 * One penalty per offender and offence cycle: a second proof for the same cycle (another
 * equivocation, a DKG fault beside it) changes nothing, so repeated proofs cost nothing more.
 */
export function recordOffence(
  store: RawStore,
  block: { height: number; cycle: number },
  offender: Address,
  cycle: number,
  reason: string,
): void {
  if (offences.has(store, [cycle, offender])) return;
  offences.set(store, [cycle, offender], { reason: reason.slice(0, 256), height: block.height });
  if (!exclusions.has(store, [block.cycle + 1, offender]))
    exclusions.set(store, [block.cycle + 1, offender], cycle);
}

/** The offences proven for `cycle`, by offender address. */
export function offencesOf(store: ReadStore, cycle: number): [Address, Offence][] {
  return offences.entries(store, u32Key.encode(cycle)).map(([[, a], o]) => [a, o]);
}

/** Accounts kept out of `cycle`'s set and weights, as hex keys (a range scan of that cycle only). */
export function excludedFrom(store: ReadStore, cycle: number): Set<string> {
  return new Set(exclusions.keys(store, u32Key.encode(cycle)).map(([, a]) => toHex(a)));
}

/**
 * The set of cycle `next`: if weights were proposed this cycle, the top `maxValidators` registered
 * accounts with weight > 0 (by weight, then address); otherwise, or if none qualifies, the
 * current set. Either way without the accounts excluded from `next` for an offence — unless that
 * would leave no validator at all, when the current set carries forward whole: a chain every one of
 * whose validators offended keeps running, and its rewards are forfeited all the same.
 */
export function nextValidatorSet(
  store: ReadStore,
  current: Validator[],
  maxValidators: number,
  next: number,
): Validator[] {
  const excluded = excludedFrom(store, next);
  const proposed = nextWeights.entries(store);
  const chosen: Validator[] = [];
  for (const [address, weight] of proposed) {
    if (weight === 0n || excluded.has(toHex(address))) continue;
    const reg = registrations.get(store, address);
    if (reg) chosen.push({ address, weight, blsKey: reg.blsKey });
  }
  chosen.sort(byWeightThenAddress);
  // A race set that one fault could halt (fewer than four members) is worse than last cycle's:
  // keep that one, as when no race settled (race-cycle.md §Small sets).
  const top = chosen.slice(0, maxValidators);
  if (top.length >= MIN_RACE_SET) return capBelowThird(top).sort(byWeightThenAddress);
  const kept = current.filter((v) => !excluded.has(toHex(v.address)));
  return kept.length > 0 ? kept : current;
}

const byWeightThenAddress = (a: Validator, b: Validator) =>
  a.weight === b.weight ? compareBytes(a.address, b.address) : a.weight > b.weight ? -1 : 1;

/** Fewest members a race-built set may have: with four, one member can fail and > 2/3 remains. */
export const MIN_RACE_SET = 4;

/**
 * Cap every weight at the largest c with 3c < Σ min(w, c), so no single member holds a third of
 * the voting weight however lucky its count (race-cycle.md §Small sets). Needs ≥ 4 members (c = 1
 * always qualifies then); Σ min(w, c) − 3c rises then falls in c, so the qualifying c form an
 * interval from 1 and a binary search finds its end. Order and membership are unchanged.
 */
export function capBelowThird(set: Validator[]): Validator[] {
  const total = set.reduce((t, v) => t + v.weight, 0n);
  const max = set.reduce((m, v) => (v.weight > m ? v.weight : m), 0n);
  if (3n * max < total) return set;
  const fits = (c: bigint) => 3n * c < set.reduce((t, v) => t + (v.weight < c ? v.weight : c), 0n);
  let lo = 1n;
  let hi = max;
  while (lo < hi) {
    const mid = (lo + hi + 1n) / 2n;
    if (fits(mid)) lo = mid;
    else hi = mid - 1n;
  }
  return set.map((v) => (v.weight > lo ? { ...v, weight: lo } : v));
}

function registerGenesis(ctx: GenesisContext): void {
  validatorSets.set(ctx.store, 0, [...ctx.validators]);
  for (const v of ctx.validators) {
    registrations.set(ctx.store, v.address, { blsKey: v.blsKey, peerId: new Uint8Array(0), height: 0 });
    keyOwners.set(ctx.store, v.blsKey, v.address);
  }
}

function endCycle(ctx: ModuleContext): void {
  const { cycle, preset } = ctx.block;
  const current = validatorSets.get(ctx.store, cycle);
  if (!current) throw new InvariantError(`no validator set for cycle ${cycle}`);
  const next = nextValidatorSet(ctx.store, current, preset.maxValidators, cycle + 1);
  validatorSets.set(ctx.store, cycle + 1, next);
  for (const a of nextWeights.keys(ctx.store)) nextWeights.delete(ctx.store, a);
}

/** Logged by `register` (spec/events.md); the key itself is in validators_registration. */
export const Registered = event("Registered(address indexed account, bytes32 blsKeyHash)");

export const validators: Module = {
  id: 3,
  name: "validators",
  address: VALIDATORS_MODULE_ADDRESS,
  genesis: registerGenesis,
  endCycle,
  methods: {
    register: {
      args: registerArgs,
      gas: 60_000n,
      execute(ctx, args: RegisterArgs) {
        const who = toChecksumAddress(ctx.sender);
        if (registrations.has(ctx.store, ctx.sender))
          throw new ModuleError(`account ${who} is already registered`);
        const owner = keyOwners.get(ctx.store, args.blsKey);
        if (owner)
          throw new ModuleError(
            equalBytes(owner, ctx.sender)
              ? `account ${who} is already registered`
              : `BLS key is already registered to ${toChecksumAddress(owner)}`,
          );
        const msg = registrationMessage(ctx.block.chainId, ctx.sender, args.blsKey);
        if (!blsVerify(args.blsKey, "register", msg, args.proof))
          throw new ModuleError("registration proof does not verify for this key, account and chain");
        registrations.set(ctx.store, ctx.sender, {
          blsKey: args.blsKey,
          peerId: args.peerId,
          height: ctx.block.height,
        });
        keyOwners.set(ctx.store, args.blsKey, ctx.sender);
        emit(ctx, Registered, ctx.sender, keccak256(args.blsKey));
      },
    },
  },
  queries: {
    set: {
      args: cycleQueryArgs,
      result: validatorSetResult,
      run: (ctx, a: { cycle: number }) => ({ validators: validatorSets.get(ctx.store, a.cycle) ?? [] }),
    },
    offences: {
      args: cycleQueryArgs,
      result: offencesResult,
      run: (ctx, a: { cycle: number }) => ({
        offences: offencesOf(ctx.store, a.cycle)
          .slice(0, 1024)
          .map(([address, o]) => ({
            address,
            ...o,
            excludedFrom: cycleOf(o.height, ctx.preset.cycleLength) + 1,
          })),
      }),
    },
    registration: {
      args: registrationQueryArgs,
      result: registrationResult,
      run: (ctx, a: { address: Address }) => {
        const r = registrations.get(ctx.store, a.address);
        return { registrations: r ? [r] : [] };
      },
    },
  },
};
