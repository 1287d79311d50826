export { TxGossip } from "./gossip.ts";
export { TxJournal } from "./journal.ts";
export { Mempool, type MempoolOptions, type PoolTx } from "./mempool.ts";
