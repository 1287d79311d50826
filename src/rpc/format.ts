/** Chain data → Ethereum JSON-RPC shapes (quantities as minimal hex, data as 0x-hex). */
import { keccak256 } from "../crypto/index.ts";
import { blockCodec, encode, rlpEncodeList } from "../encoding/index.ts";
import type { SignedTx } from "../tx/index.ts";
import {
  type Address,
  type BlockHeader,
  type Log,
  type Receipt,
  toChecksumAddress,
  toHex,
  toQuantity,
} from "../types/index.ts";

const EMPTY_UNCLES_HASH = toHex(keccak256(rlpEncodeList([])));
const ZERO_HASH_HEX = `0x${"00".repeat(32)}`;

export interface TxPlace {
  blockHash: Uint8Array;
  blockNumber: number;
  index: number;
  /** Block-wide index of this transaction's first log. */
  firstLogIndex?: number;
  baseFee: bigint;
  /** Seconds. */
  timestamp: bigint;
}

export function formatTx(tx: SignedTx, from: Address, place: TxPlace | null): Record<string, unknown> {
  const common = {
    blockHash: place ? toHex(place.blockHash) : null,
    blockNumber: place ? toQuantity(place.blockNumber) : null,
    transactionIndex: place ? toQuantity(place.index) : null,
    hash: toHex(tx.hash),
    from: toChecksumAddress(from),
    to: tx.to ? toChecksumAddress(tx.to) : null,
    nonce: toQuantity(tx.nonce),
    gas: toQuantity(tx.gasLimit),
    value: toQuantity(tx.value),
    input: toHex(tx.data),
    chainId: toQuantity(tx.chainId),
    r: toQuantity(tx.r),
    s: toQuantity(tx.s),
    ...(place ? { blockTimestamp: toQuantity(place.timestamp) } : {}),
  };
  if (tx.type === 2) {
    const tip = tx.maxFeePerGas - (place?.baseFee ?? 0n);
    const price = place
      ? place.baseFee + (tip < tx.maxPriorityFeePerGas ? tip : tx.maxPriorityFeePerGas)
      : tx.maxFeePerGas;
    return {
      ...common,
      type: "0x2",
      gasPrice: toQuantity(price),
      maxFeePerGas: toQuantity(tx.maxFeePerGas),
      maxPriorityFeePerGas: toQuantity(tx.maxPriorityFeePerGas),
      accessList: tx.accessList.map((e) => ({
        address: toChecksumAddress(e.address),
        storageKeys: e.storageKeys.map(toHex),
      })),
      v: toQuantity(tx.v),
      yParity: toQuantity(tx.v),
    };
  }
  return { ...common, type: "0x0", gasPrice: toQuantity(tx.maxFeePerGas), v: toQuantity(tx.v) };
}

export function formatReceipt(tx: SignedTx, receipt: Receipt, place: TxPlace): Record<string, unknown> {
  return {
    transactionHash: toHex(tx.hash),
    transactionIndex: toQuantity(place.index),
    blockHash: toHex(place.blockHash),
    blockNumber: toQuantity(place.blockNumber),
    from: toChecksumAddress(receipt.from),
    to: tx.to ? toChecksumAddress(tx.to) : null,
    cumulativeGasUsed: toQuantity(receipt.cumulativeGasUsed),
    gasUsed: toQuantity(receipt.gasUsed),
    effectiveGasPrice: toQuantity(receipt.effectiveGasPrice),
    contractAddress: null,
    logs: receipt.logs.map((l, i) =>
      formatLog(l, {
        blockHash: place.blockHash,
        blockNumber: place.blockNumber,
        transactionHash: tx.hash,
        transactionIndex: place.index,
        logIndex: (place.firstLogIndex ?? 0) + i,
      }),
    ),
    logsBloom: toHex(logsBloom(receipt.logs)),
    type: toQuantity(tx.type),
    status: toQuantity(receipt.status),
  };
}

export function formatBlock(
  hash: Uint8Array,
  header: BlockHeader,
  rawTxs: Uint8Array[],
  transactions: unknown[],
  bloom: Uint8Array = new Uint8Array(256),
): Record<string, unknown> {
  return {
    number: toQuantity(header.height),
    hash: toHex(hash),
    parentHash: toHex(header.parentHash),
    nonce: "0x0000000000000000",
    sha3Uncles: EMPTY_UNCLES_HASH,
    logsBloom: toHex(bloom),
    transactionsRoot: toHex(header.txRoot),
    stateRoot: toHex(header.stateRoot),
    receiptsRoot: toHex(header.receiptsRoot),
    miner: toChecksumAddress(header.proposer),
    difficulty: "0x0",
    extraData: toHex(header.extra),
    size: toQuantity(encode(blockCodec, { header, txs: rawTxs, evidence: [], beacon: [] }).length), // evidence and beacon bytes not counted
    gasLimit: toQuantity(header.gasLimit),
    gasUsed: toQuantity(header.gasUsed),
    timestamp: toQuantity(header.time / 1000n),
    mixHash: ZERO_HASH_HEX,
    baseFeePerGas: toQuantity(header.baseFee),
    transactions,
    uncles: [],
  };
}

/** Ethereum's logs bloom: 3 bits per address and topic, from the low 11 bits of keccak pairs. */
export function logsBloom(logs: readonly Log[], into = new Uint8Array(256)): Uint8Array {
  const add = (b: Uint8Array) => {
    const h = keccak256(b);
    for (let i = 0; i < 6; i += 2) {
      const bit = ((h[i]! << 8) | h[i + 1]!) & 2047;
      into[255 - (bit >> 3)]! |= 1 << (bit & 7);
    }
  };
  for (const l of logs) {
    add(l.address);
    for (const t of l.topics) add(t);
  }
  return into;
}

export interface LogPlace {
  blockHash: Uint8Array;
  blockNumber: number;
  transactionHash: Uint8Array;
  transactionIndex: number;
  logIndex: number;
}

export function formatLog(l: Log, p: LogPlace): Record<string, unknown> {
  return {
    address: toChecksumAddress(l.address),
    topics: l.topics.map((t) => toHex(t)),
    data: toHex(l.data),
    blockHash: toHex(p.blockHash),
    blockNumber: toQuantity(p.blockNumber),
    transactionHash: toHex(p.transactionHash),
    transactionIndex: toQuantity(p.transactionIndex),
    logIndex: toQuantity(p.logIndex),
    removed: false,
  };
}
