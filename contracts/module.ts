/**
 * On-chain modules: deterministic state-transition code reached by transactions to reserved
 * addresses (spec/modules.md). No I/O, no clock, no randomness but what the chain gives.
 *
 * Call data is a canonical msgpack envelope [version, method, args], where args is the canonical
 * msgpack of the method's own argument struct. eth_call uses the same envelope for queries.
 */
import { bytes, type Codec, decode, str, struct, uint } from "../src/encoding/index.ts";
import type { Account, Address } from "../src/types/index.ts";

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

/** What a module may touch: accounts through the block's state overlay. */
export interface ModuleState {
  getAccount(address: Address): Account;
  setAccount(address: Address, account: Account): void;
}

export interface CallContext {
  sender: Address;
  height: number;
  state: ModuleState;
}

/** A call that fails for a reason the caller controls: the transaction is included with status 0. */
export class ModuleError extends Error {}

export interface MethodDef<A> {
  args: Codec<A>;
  /** Gas charged on top of the intrinsic gas. */
  gas: bigint;
  execute(ctx: CallContext, args: A): void;
}

export interface QueryDef<A, R> {
  args: Codec<A>;
  result: Codec<R>;
  run(state: Pick<ModuleState, "getAccount">, args: A): R;
}

export interface Module {
  id: number;
  name: string;
  address: Address;
  // biome-ignore lint/suspicious/noExplicitAny: each method has its own argument type
  methods: Record<string, MethodDef<any>>;
  // biome-ignore lint/suspicious/noExplicitAny: each query has its own argument and result types
  queries: Record<string, QueryDef<any, any>>;
}

export interface ResolvedCall {
  module: Module;
  method: string;
  // biome-ignore lint/suspicious/noExplicitAny: matches MethodDef<any>
  def: MethodDef<any>;
  args: unknown;
}

/** Decode and check an envelope against a module's methods or queries; throws with a clear reason. */
export function decodeEnvelope(data: Uint8Array): Envelope {
  const env = decode(envelopeCodec, data);
  if (env.version !== ENVELOPE_VERSION) throw new ModuleError(`unsupported envelope version ${env.version}`);
  return env;
}
