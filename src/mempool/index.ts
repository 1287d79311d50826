export { Mempool, type MempoolOptions, type PoolTx } from "./mempool.ts";
