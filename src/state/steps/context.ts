/** Types shared by the steps of the state transition, and the run a block's steps share. */
import {
  type BlockInfo,
  defaultModules,
  type Module,
  type ModuleContext,
  type ModuleRegistry,
  type QueryContext,
  type RawStore,
  type ReadStore,
} from "../../../contracts/index.ts";
import type { BeaconState, BeaconTransition } from "../../beacon/index.ts";
import type { ValidatorSet } from "../../consensus/index.ts";
import { cycleOf, type Preset } from "../../params/index.ts";
import type { Trie } from "../../trie/index.ts";
import type { SignedTx } from "../../tx/index.ts";
import { type Address, CodedError, type Receipt } from "../../types/index.ts";
import type { MethodFault } from "../failures.ts";
import { type StateOverlay, type StateReader, storageKeys } from "../overlay.ts";

export type BlockErrorCode =
  | "BLOCK_ERROR_PARENT_MISMATCH"
  | "BLOCK_ERROR_HEADER"
  | "BLOCK_ERROR_TX_INVALID"
  | "BLOCK_ERROR_GAS"
  | "BLOCK_ERROR_ROOT_MISMATCH"
  | "BLOCK_ERROR_LAST_COMMIT"
  | "BLOCK_ERROR_EVIDENCE"
  | "BLOCK_ERROR_BEACON";

export class BlockError extends CodedError<BlockErrorCode> {}

export interface TransitionContext {
  preset: Preset;
  chainId: bigint;
  /** The validator set active at a height (its hash is in that height's header). */
  validatorsAt(height: number): ValidatorSet;
  /** Evidence already included in an earlier block (by evidenceId), within the evidence window. */
  isEvidenceCommitted(id: string): boolean;
  /** The modules this chain runs (default: bank, beacon, validators). */
  modules?: ModuleRegistry;
}

export interface RecoveredTx {
  tx: SignedTx;
  sender: Address;
}

export interface PreState {
  /** Accounts and module storage after the parent. */
  accounts: StateReader;
  trie: Trie;
  /** Storage tries of module accounts, by addressKey (absent: no module holds storage). */
  storageTries?: ReadonlyMap<string, Trie>;
  beacon: BeaconState;
}

/** What the steps of one block share while it executes. */
export interface BlockRun {
  ctx: TransitionContext;
  modules: ModuleRegistry;
  pre: PreState;
  block: BlockInfo;
  state: StateOverlay;
  beacon?: BeaconTransition;
  receipts: Receipt[];
  gasUsed: bigint;
  /** Methods that failed with an internal error, for the node to log (failures.ts). */
  faults: MethodFault[];
}

export function registryOf(ctx: TransitionContext): ModuleRegistry {
  return ctx.modules ?? defaultModules;
}

export function blockInfo(
  ctx: Pick<TransitionContext, "chainId" | "preset">,
  height: number,
  proposer: Address,
): BlockInfo {
  return {
    chainId: ctx.chainId,
    preset: ctx.preset,
    height,
    cycle: cycleOf(height, ctx.preset.cycleLength),
    proposer,
  };
}

export function storeIn(state: StateOverlay, module: Pick<Module, "address">): RawStore {
  const a = module.address;
  return {
    get: (k) => state.getStorage(a, k),
    set: (k, v) => state.setStorage(a, k, v),
    delete: (k) => state.setStorage(a, k, null),
    keys: (p, r) => storageKeys(state, a, p, r),
  };
}

export function readStoreIn(state: StateReader, module: Pick<Module, "address">): ReadStore {
  const a = module.address;
  return { get: (k) => state.getStorage(a, k), keys: (p, r) => storageKeys(state, a, p, r) };
}

export function moduleContext(block: BlockInfo, state: StateOverlay, module: Module): ModuleContext {
  return {
    block,
    state: { getAccount: (a) => state.getAccount(a), setAccount: (a, v) => state.setAccount(a, v) },
    store: storeIn(state, module),
    storeOf: (m) => storeIn(state, m),
  };
}

export function queryContext(
  state: StateReader,
  module: Module,
  height: number,
  preset: Preset,
): QueryContext {
  return {
    height,
    preset,
    state: { getAccount: (a) => state.getAccount(a) },
    store: readStoreIn(state, module),
    storeOf: (m) => readStoreIn(state, m),
  };
}
