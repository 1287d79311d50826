/** Protocol constants shared by every preset. */

/** Intrinsic gas of a transaction (EIP-2028 / EIP-2930 figures, as wallets estimate them). */
export const TX_GAS = 21_000n;
export const TX_DATA_ZERO_GAS = 4n;
export const TX_DATA_NONZERO_GAS = 16n;
export const ACCESS_LIST_ADDRESS_GAS = 2_400n;
export const ACCESS_LIST_STORAGE_KEY_GAS = 1_900n;

/**
 * Module addresses: 0x5243 ("RC") followed by 16 zero bytes and a 2-byte module id.
 * No secp256k1 key hashes to this range in practice (2^-144 chance).
 */
export const MODULE_ADDRESS_PREFIX = new Uint8Array([0x52, 0x43, ...new Array<number>(16).fill(0)]);

export function moduleAddress(id: number): Uint8Array {
  const a = new Uint8Array(20);
  a.set(MODULE_ADDRESS_PREFIX);
  a[18] = (id >> 8) & 0xff;
  a[19] = id & 0xff;
  return a;
}

export function isModuleAddress(addr: Uint8Array): boolean {
  if (addr.length !== 20) return false;
  for (let i = 0; i < 18; i++) if (addr[i] !== MODULE_ADDRESS_PREFIX[i]) return false;
  return true;
}

export const BANK_MODULE_ADDRESS = moduleAddress(1);
export const BEACON_MODULE_ADDRESS = moduleAddress(2);
export const VALIDATORS_MODULE_ADDRESS = moduleAddress(3);
export const RACE_MODULE_ADDRESS = moduleAddress(4);
export const MODELS_MODULE_ADDRESS = moduleAddress(5);
export const TASKS_MODULE_ADDRESS = moduleAddress(6);
export const REWARDS_MODULE_ADDRESS = moduleAddress(7);
export const GOVERNANCE_MODULE_ADDRESS = moduleAddress(8);
export const TRAINING_MODULE_ADDRESS = moduleAddress(9);
/** Accounts the rewards module keeps (spec/rewards.md §Supply): no key can sign for them. */
export const TRAINING_FUND_ADDRESS = moduleAddress(0x100);
export const LIQUIDITY_POOL_ADDRESS = moduleAddress(0x101);
export const HP_POOL_ADDRESS = moduleAddress(0x102);
export const FOUNDERS_VESTING_ADDRESS = moduleAddress(0x103);
