export {
  type BlockListener,
  type Certifier,
  Chain,
  type ChainModules,
  ChainStartError,
  type ImportedBlock,
  type PreparedBlock,
} from "./chain.ts";
export { devnetGenesisJson, type Genesis, GenesisError, loadGenesisFile, parseGenesis } from "./genesis.ts";
export type { GenesisBlock } from "./genesisBlock.ts";
export { rsBytes } from "./rangeImport.ts";
