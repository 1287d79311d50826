/** The genesis block and state: the alloc's accounts, then each module's genesis hook (spec/blocks.md §Genesis). */
import type { ModuleRegistry } from "../../contracts/index.ts";
import { EMPTY_CERTIFICATE, ValidatorSet } from "../consensus/index.ts";
import { EMPTY_MERKLE_ROOT } from "../encoding/index.ts";
import { StateOverlay, type StorageChange, storeIn, WorldState } from "../state/index.ts";
import { type Account, type Address, type BlockHeader, ZERO_ADDRESS, ZERO_HASH } from "../types/index.ts";
import type { Genesis } from "./genesis.ts";

export interface GenesisBlock {
  header: BlockHeader;
  changes: { address: Address; account: Account }[];
  trie: WorldState["trie"];
  /** The full genesis state (accounts, module storage, tries). */
  world: WorldState;
  storage: StorageChange[];
}

function genesisState(genesis: Genesis, modules: ModuleRegistry) {
  const overlay = new StateOverlay(new WorldState());
  for (const a of genesis.alloc) overlay.setAccount(a.address, a.account);
  const allocated = genesis.alloc.reduce((t, a) => t + a.account.balance, 0n);
  for (const m of modules.modules) {
    m.genesis?.({
      chainId: genesis.chainId,
      preset: genesis.preset,
      validators: genesis.validators,
      section: genesis.modules?.[m.name],
      state: { getAccount: (a) => overlay.getAccount(a), setAccount: (a, v) => overlay.setAccount(a, v) },
      store: storeIn(overlay, m),
      allocated,
    });
  }
  const storage = [...overlay.storage.values()];
  // Every account the genesis wrote: the alloc's and those module hooks funded (rewards' pools).
  const changes = [...overlay.changes.values()].map((c) => ({ address: c.address, account: c.account }));
  const world = WorldState.fromRecords(
    changes.map((c) => [c.address, c.account] as [Uint8Array, Account]),
    storage.map((s) => ({ module: s.module, key: s.key, value: s.value! })),
  );
  return { world, storage, changes };
}

export function genesisBlock(genesis: Genesis, modules: ModuleRegistry): GenesisBlock {
  const { world, storage, changes } = genesisState(genesis, modules);
  const header: BlockHeader = {
    chainId: genesis.chainId,
    height: 0,
    parentHash: ZERO_HASH,
    time: genesis.timestamp,
    proposer: ZERO_ADDRESS,
    stateRoot: world.trie.rootHash(),
    txRoot: EMPTY_MERKLE_ROOT,
    receiptsRoot: EMPTY_MERKLE_ROOT,
    evidenceRoot: EMPTY_MERKLE_ROOT,
    beaconMsgsRoot: EMPTY_MERKLE_ROOT,
    validatorSetHash: new ValidatorSet(genesis.validators).hash,
    lastCommit: EMPTY_CERTIFICATE,
    gasLimit: genesis.preset.blockGasLimit,
    gasUsed: 0n,
    baseFee: genesis.preset.initialBaseFee,
    cycle: 0,
    raceRoot: new Uint8Array(32),
    beacon: new Uint8Array(32),
    extra: genesis.extraData,
  };
  return { header, changes, trie: world.trie, world, storage };
}
