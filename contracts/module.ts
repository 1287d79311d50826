/**
 * On-chain modules: deterministic state-transition code reached by transactions to reserved
 * addresses (spec/modules.md). No I/O, no clock, no randomness but what the chain gives.
 *
 * A module declares its id and address, how it initialises from genesis, its transaction methods
 * (typed args, fixed gas), its queries (eth_call and its own RPC namespace), and hooks that the
 * state transition runs in every block (beginBlock, endBlock) and in the last block of each cycle
 * (endCycle). Its state lives in its storage trie, reached through typed items and maps.
 *
 * Call data is a canonical msgpack envelope [version, method, args], where args is the canonical
 * msgpack of the method's own argument struct. eth_call uses the same envelope for queries.
 */
import { bytes, type Codec, decode, str, struct, uint } from "../src/encoding/index.ts";
import type { Preset } from "../src/params/index.ts";
import type { Account, Address, Validator } from "../src/types/index.ts";
import type { RawStore, ReadStore } from "./store.ts";

export const ENVELOPE_VERSION = 1;

export interface Envelope {
  version: number;
  method: string;
  args: Uint8Array;
}

export const envelopeCodec = struct<Envelope>("ModuleEnvelope", {
  version: uint,
  method: str(64),
  args: bytes({ max: 64 * 1024 }),
});

/** What a module may touch of accounts: through the block's state overlay. */
export interface ModuleState {
  getAccount(address: Address): Account;
  setAccount(address: Address, account: Account): void;
}

export interface BlockInfo {
  chainId: bigint;
  preset: Preset;
  height: number;
  cycle: number;
  proposer: Address;
}

/** What a method or hook sees: the block, accounts, its own store and other modules' stores. */
export interface ModuleContext {
  block: BlockInfo;
  state: ModuleState;
  store: RawStore;
  /** Another module's store, for that module's exported functions (never raw keys). */
  storeOf(module: Pick<Module, "address">): RawStore;
}

export interface CallContext extends ModuleContext {
  sender: Address;
  /** Append a log to this call's receipt (contracts/events.ts); discarded if the call fails. */
  emit(topics: Uint8Array[], data: Uint8Array): void;
}

export interface QueryContext {
  height: number;
  preset: Preset;
  state: Pick<ModuleState, "getAccount">;
  store: ReadStore;
  storeOf(module: Pick<Module, "address">): ReadStore;
}

export interface GenesisContext {
  chainId: bigint;
  preset: Preset;
  validators: readonly Validator[];
  /** The module's own section of the genesis file (`modules.<name>`), if any. */
  section: unknown;
  state: ModuleState;
  store: RawStore;
  /** Sum of the genesis file's alloc balances. */
  allocated: bigint;
}

/** A call that fails for a reason the caller controls: the transaction is included with status 0. */
export class ModuleError extends Error {}

/**
 * The chain's state is already inconsistent (a module's ledger and its account disagree, a record
 * every block relies on is missing): no block built on it can be trusted, so the node stops.
 * Everything else a method throws fails only its own call (spec/modules.md §Failures); throw this
 * for what no caller's input can cause, never for a refusal.
 */
export class InvariantError extends Error {}

export interface MethodDef<A> {
  args: Codec<A>;
  /**
   * Gas charged on top of the intrinsic gas: fixed, or a function of the decoded arguments for a
   * method whose work grows with them (charged whether the call succeeds or is refused).
   */
  gas: bigint | ((args: A) => bigint);
  execute(ctx: CallContext, args: A): void;
}

export interface QueryDef<A, R> {
  args: Codec<A>;
  result: Codec<R>;
  run(ctx: QueryContext, args: A): R;
}

/**
 * A module parameter that governance may change (spec/governance.md §Parameters): a non-negative
 * integer within [min, max], read and written through the module's own store. A module lists only
 * what is safe to change between cycles; what it does not list, no proposal can touch.
 */
export interface GovernableParam {
  min: bigint;
  max: bigint;
  get(store: ReadStore): bigint;
  set(store: RawStore, value: bigint): void;
}

export interface Module {
  id: number;
  name: string;
  address: Address;
  /** Parameters governance may change, by name (absent: none). */
  governable?: Record<string, GovernableParam>;
  // biome-ignore lint/suspicious/noExplicitAny: each method has its own argument type
  methods: Record<string, MethodDef<any>>;
  // biome-ignore lint/suspicious/noExplicitAny: each query has its own argument and result types
  queries: Record<string, QueryDef<any, any>>;
  genesis?(ctx: GenesisContext): void;
  beginBlock?(ctx: ModuleContext): void;
  endBlock?(ctx: ModuleContext): void;
  /** Runs after endBlock in the last block of each cycle. */
  endCycle?(ctx: ModuleContext): void;
}

export interface ResolvedCall {
  module: Module;
  method: string;
  // biome-ignore lint/suspicious/noExplicitAny: matches MethodDef<any>
  def: MethodDef<any>;
  args: unknown;
}

/** The gas a resolved call is charged on top of the intrinsic gas. */
export function methodGas(call: Pick<ResolvedCall, "def" | "args">): bigint {
  return typeof call.def.gas === "function" ? call.def.gas(call.args) : call.def.gas;
}

/** Decode and check an envelope against a module's methods or queries; throws with a clear reason. */
export function decodeEnvelope(data: Uint8Array): Envelope {
  const env = decode(envelopeCodec, data);
  if (env.version !== ENVELOPE_VERSION) throw new ModuleError(`unsupported envelope version ${env.version}`);
  return env;
}
