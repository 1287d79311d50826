export {
  type BlockListener,
  type Certifier,
  Chain,
  type ChainModules,
  ChainStartError,
  type ImportedBlock,
  type PreparedBlock,
  rsBytes,
} from "./chain.ts";
export { devnetGenesisJson, type Genesis, GenesisError, loadGenesisFile, parseGenesis } from "./genesis.ts";
