// Balances for the senders benchmarks add to a genesis.
//
// Genesis accounts come out of the 120 M RACE liquidity pool (spec/rewards.md §Supply), and the
// rewards module refuses a genesis whose accounts hold more. A benchmark with 1,000 senders at
// 10^24 wei each asked for 1 B; 1,000 RACE each covers every transfer a run sends (the devnet
// ramp sends a few hundred per sender at ≤ 50 gwei × 21,000 gas ≈ 0.001 RACE each).
export const BENCH_SENDER_BALANCE = 10n ** 21n;
