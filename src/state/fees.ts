import type { Preset } from "../params/index.ts";

/**
 * EIP-1559 base fee of the block after `parent`, with a floor (spec/fees.md): blocks on this
 * chain are often empty, and without a floor the fee decays to a few wei and stops pricing spam.
 */
export function nextBaseFee(
  parent: { baseFee: bigint; gasUsed: bigint; gasLimit: bigint },
  preset: Preset,
): bigint {
  const target = parent.gasLimit / preset.elasticityMultiplier;
  let fee = parent.baseFee;
  if (parent.gasUsed > target) {
    const delta = (parent.baseFee * (parent.gasUsed - target)) / target / preset.baseFeeChangeDenominator;
    fee = parent.baseFee + (delta > 1n ? delta : 1n);
  } else if (parent.gasUsed < target) {
    fee =
      parent.baseFee -
      (parent.baseFee * (target - parent.gasUsed)) / target / preset.baseFeeChangeDenominator;
  }
  return fee < preset.minBaseFee ? preset.minBaseFee : fee;
}
