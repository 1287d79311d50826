export {
  type BlockListener,
  Chain,
  type ChainModules,
  ChainStartError,
  type ImportedBlock,
  type PreparedBlock,
  rsBytes,
} from "./chain.ts";
export { type Genesis, GenesisError, loadGenesisFile, parseGenesis } from "./genesis.ts";
