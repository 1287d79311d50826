/**
 * What a node declares it serves (spec/tasks.md §Serving): its loaded tolerance-class models and
 * the built-in exact model when the registry lists it with the same weights.
 */
import {
  declaredModels,
  mayDeclare,
  modelEntry,
  models as modelsModule,
  registeredExactModel,
  tasksModule,
} from "../../../contracts/index.ts";
import { readStoreIn } from "../../state/index.ts";
import type { Address } from "../../types/index.ts";

/**
 * The models to declare from `cycle`, or undefined when the declaration in force then already
 * lists exactly those, or the account holds no race weight to declare with.
 */
export function servingUpdate(
  state: Parameters<typeof readStoreIn>[0],
  address: Address,
  cycle: number,
  loaded: Iterable<string>,
): string[] | undefined {
  // Sent in the cycle before `cycle`: only an account with race weight may declare.
  if (!mayDeclare({ storeOf: (m) => readStoreIn(state, m) }, address, cycle - 1)) return undefined;
  const registry = readStoreIn(state, modelsModule);
  const mine = [...loaded];
  const exact = registeredExactModel(registry);
  if (exact) mine.push(exact.spec.id);
  const want = [...new Set(mine)].filter((m) => modelEntry(registry, m)).sort();
  const have = declaredModels(readStoreIn(state, tasksModule), address, cycle);
  return have && [...have].sort().join() === want.join() ? undefined : want;
}
