/**
 * The module registry: which modules a chain runs, found by id, name or address. The node builds
 * one from the default list; tests may add modules of their own.
 */
import { decode, encode } from "../src/encoding/index.ts";
import { moduleAddress } from "../src/params/index.ts";
import { type Address, addressKey, equalBytes } from "../src/types/index.ts";
import { decodeEnvelope, type Module, ModuleError, type QueryContext, type ResolvedCall } from "./module.ts";

export class ModuleRegistry {
  readonly modules: readonly Module[];
  private readonly byAddress: Map<string, Module>;
  private readonly byName: Map<string, Module>;

  constructor(modules: readonly Module[]) {
    this.modules = [...modules].sort((a, b) => a.id - b.id);
    this.byAddress = new Map();
    this.byName = new Map();
    for (const m of this.modules) {
      if (!equalBytes(m.address, moduleAddress(m.id)))
        throw new Error(`module ${m.name}: address does not match its id ${m.id}`);
      if (this.byAddress.has(addressKey(m.address))) throw new Error(`two modules with id ${m.id}`);
      if (this.byName.has(m.name)) throw new Error(`two modules named ${m.name}`);
      this.byAddress.set(addressKey(m.address), m);
      this.byName.set(m.name, m);
    }
  }

  /** A registry with more modules (test modules). */
  with(extra: readonly Module[]): ModuleRegistry {
    return new ModuleRegistry([...this.modules, ...extra]);
  }

  at(address: Address): Module | undefined {
    return this.byAddress.get(addressKey(address));
  }

  named(name: string): Module | undefined {
    return this.byName.get(name);
  }
}

/** Resolve call data sent to a module address; throws ModuleError with a reason. */
export function resolveCall(module: Module, data: Uint8Array): ResolvedCall {
  let env: ReturnType<typeof decodeEnvelope>;
  try {
    env = decodeEnvelope(data);
  } catch (e) {
    throw new ModuleError(`invalid module envelope: ${(e as Error).message}`);
  }
  const def = module.methods[env.method];
  if (!def || !Object.hasOwn(module.methods, env.method)) {
    throw new ModuleError(`module ${module.name} has no method "${env.method}"`);
  }
  try {
    return { module, method: env.method, def, args: decode(def.args, env.args) };
  } catch (e) {
    throw new ModuleError(`invalid arguments for ${module.name}.${env.method}: ${(e as Error).message}`);
  }
}

/** Run a query from an envelope (eth_call) and return its encoded result; throws ModuleError. */
export function runModuleQuery(module: Module, data: Uint8Array, ctx: QueryContext): Uint8Array {
  const env = decodeEnvelope(data);
  const q = module.queries[env.method];
  if (!q || !Object.hasOwn(module.queries, env.method))
    throw new ModuleError(`module ${module.name} has no query "${env.method}"`);
  let args: unknown;
  try {
    args = decode(q.args, env.args);
  } catch (e) {
    throw new ModuleError(`invalid arguments for ${module.name}.${env.method}: ${(e as Error).message}`);
  }
  return encode(q.result, q.run(ctx, args));
}
