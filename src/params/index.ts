export { getPreset, mainnet, minimal, type Preset, type PresetName, presets, type RaceModelConfig } from "./presets.ts";
export {
  BANK_MODULE_ADDRESS,
  isModuleAddress,
  MODULE_ADDRESS_PREFIX,
  TX_GAS,
  TX_DATA_ZERO_GAS,
  TX_DATA_NONZERO_GAS,
  ACCESS_LIST_ADDRESS_GAS,
  ACCESS_LIST_STORAGE_KEY_GAS,
} from "./constants.ts";
