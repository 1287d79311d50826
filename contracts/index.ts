import { decode } from "../src/encoding/index.ts";
import { type Address, addressKey } from "../src/types/index.ts";
import { bank } from "./bank/index.ts";
import { decodeEnvelope, type Module, ModuleError, type ResolvedCall } from "./module.ts";

export { accountQueryArgs, accountQueryResult, bank, memoArgs, transferArgs } from "./bank/index.ts";
export * from "./module.ts";

export const modules: Module[] = [bank];
const byAddress = new Map(modules.map((m) => [addressKey(m.address), m]));

export function moduleAt(address: Address): Module | undefined {
  return byAddress.get(addressKey(address));
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
