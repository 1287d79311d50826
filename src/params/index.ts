export {
  ACCESS_LIST_ADDRESS_GAS,
  ACCESS_LIST_STORAGE_KEY_GAS,
  BANK_MODULE_ADDRESS,
  isModuleAddress,
  MODULE_ADDRESS_PREFIX,
  TX_DATA_NONZERO_GAS,
  TX_DATA_ZERO_GAS,
  TX_GAS,
} from "./constants.ts";
export {
  type BeaconScheduleConfig,
  type ConsensusTimeoutConfig,
  getPreset,
  mainnet,
  minimal,
  type Preset,
  type PresetName,
  presets,
  type RaceModelConfig,
} from "./presets.ts";
