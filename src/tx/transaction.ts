/**
 * Ethereum-compatible signed transactions (spec/transactions.md): legacy with EIP-155 replay
 * protection, and EIP-1559 (type 2). Decoding is strict: canonical RLP, no leading zeros in
 * integers, exact field counts, low-s signatures. Contract creation and other types are refused
 * with their own messages. The sender is not known after decoding: it is recovered separately
 * (in worker threads) from `signingHash` and the signature.
 */
import { keccak256, SECP256K1_HALF_N, signDigest } from "../crypto/index.ts";
import { type RlpValue, rlpDecode, rlpEncodeBytes, rlpEncodeList } from "../encoding/index.ts";
import {
  ACCESS_LIST_ADDRESS_GAS,
  ACCESS_LIST_STORAGE_KEY_GAS,
  TX_DATA_NONZERO_GAS,
  TX_DATA_ZERO_GAS,
  TX_GAS,
} from "../params/index.ts";
import { bigintToBytes, bytesToBigint, concatBytes, plain } from "../types/index.ts";
import { TxError } from "./errors.ts";

export type AccessList = { address: Uint8Array; storageKeys: Uint8Array[] }[];

export interface TxFields {
  type: 0 | 2;
  chainId: bigint;
  nonce: bigint;
  /** Legacy: gasPrice. Type 2: maxFeePerGas. */
  maxFeePerGas: bigint;
  /** Legacy: equal to gasPrice. */
  maxPriorityFeePerGas: bigint;
  gasLimit: bigint;
  to: Uint8Array | null;
  value: bigint;
  data: Uint8Array;
  accessList: AccessList;
}

export interface SignedTx extends TxFields {
  v: bigint;
  r: bigint;
  s: bigint;
  recovery: 0 | 1;
  raw: Uint8Array;
  hash: Uint8Array;
  signingHash: Uint8Array;
}

const MAX_UINT64 = (1n << 64n) - 1n;

function asBytes(v: RlpValue | undefined, field: string): Uint8Array {
  if (!(v instanceof Uint8Array)) throw new TxError("TX_MALFORMED", `rlp: expected bytes for ${field}`);
  return plain(v);
}

function asUint(v: RlpValue | undefined, field: string, max = (1n << 256n) - 1n): bigint {
  const b = asBytes(v, field);
  if (b.length > 0 && b[0] === 0)
    throw new TxError("TX_MALFORMED", `rlp: non-canonical integer (leading zero bytes) for ${field}`);
  if (b.length > 32) throw new TxError("TX_MALFORMED", `rlp: integer too large for ${field}`);
  const n = bytesToBigint(b);
  if (n > max) throw new TxError("TX_MALFORMED", `rlp: ${field} out of range`);
  return n;
}

function asTo(v: RlpValue | undefined): Uint8Array | null {
  const b = asBytes(v, "to");
  if (b.length === 0) return null;
  if (b.length !== 20)
    throw new TxError(
      "TX_MALFORMED",
      "rlp: input string too short for common.Address, decoding into (types.Transaction).To",
    );
  return b;
}

function asAccessList(v: RlpValue | undefined): AccessList {
  if (!Array.isArray(v)) throw new TxError("TX_MALFORMED", "rlp: expected list for accessList");
  return v.map((entry) => {
    if (!Array.isArray(entry) || entry.length !== 2)
      throw new TxError("TX_MALFORMED", "rlp: bad access list entry");
    const address = asBytes(entry[0], "accessList.address");
    if (address.length !== 20) throw new TxError("TX_MALFORMED", "rlp: access list address must be 20 bytes");
    const keys = entry[1];
    if (!Array.isArray(keys)) throw new TxError("TX_MALFORMED", "rlp: expected list of storage keys");
    const storageKeys = keys.map((k) => {
      const key = asBytes(k, "accessList.storageKey");
      if (key.length !== 32) throw new TxError("TX_MALFORMED", "rlp: storage key must be 32 bytes");
      return key;
    });
    return { address, storageKeys };
  });
}

function encodeAccessList(list: AccessList): Uint8Array {
  return rlpEncodeList(
    list.map((e) =>
      rlpEncodeList([rlpEncodeBytes(e.address), rlpEncodeList(e.storageKeys.map(rlpEncodeBytes))]),
    ),
  );
}

const int = (n: bigint) => rlpEncodeBytes(bigintToBytes(n));

/** The digest the sender signs. */
export function signingHash(tx: TxFields): Uint8Array {
  if (tx.type === 2) {
    return keccak256(concatBytes(new Uint8Array([2]), rlpEncodeList(unsignedType2Items(tx))));
  }
  return keccak256(
    rlpEncodeList([
      int(tx.nonce),
      int(tx.maxFeePerGas),
      int(tx.gasLimit),
      rlpEncodeBytes(tx.to ?? new Uint8Array(0)),
      int(tx.value),
      rlpEncodeBytes(tx.data),
      int(tx.chainId),
      int(0n),
      int(0n),
    ]),
  );
}

function unsignedType2Items(tx: TxFields): Uint8Array[] {
  return [
    int(tx.chainId),
    int(tx.nonce),
    int(tx.maxPriorityFeePerGas),
    int(tx.maxFeePerGas),
    int(tx.gasLimit),
    rlpEncodeBytes(tx.to ?? new Uint8Array(0)),
    int(tx.value),
    rlpEncodeBytes(tx.data),
    encodeAccessList(tx.accessList),
  ];
}

function checkSignatureValues(r: bigint, s: bigint): void {
  if (r === 0n || s === 0n || s > SECP256K1_HALF_N || r >= SECP256K1_HALF_N * 2n + 1n) {
    throw new TxError("TX_BAD_SIGNATURE", "invalid transaction v, r, s values");
  }
}

export function decodeTx(raw: Uint8Array, maxBytes = 128 * 1024): SignedTx {
  if (!(raw instanceof Uint8Array) || raw.length === 0)
    throw new TxError("TX_MALFORMED", "typed transaction too short");
  if (raw.length > maxBytes) throw new TxError("TX_OVERSIZED", "oversized data");
  raw = plain(raw);
  const first = raw[0]!;
  let items: RlpValue;
  const body = first === 2 ? raw.subarray(1) : raw;
  if (first < 0x7f && first !== 2) {
    throw new TxError("TX_TYPE_UNSUPPORTED", "transaction type not supported");
  }
  try {
    items = rlpDecode(body);
  } catch (e) {
    throw new TxError("TX_MALFORMED", `rlp: ${(e as Error).message}`);
  }
  if (!Array.isArray(items))
    throw new TxError("TX_MALFORMED", "rlp: expected input list for types.Transaction");
  const hash = keccak256(raw);

  if (first === 2) {
    if (items.length !== 12)
      throw new TxError(
        "TX_MALFORMED",
        `rlp: expected 12 fields in a type-2 transaction, got ${items.length}`,
      );
    const yParity = asUint(items[9], "yParity", 1n);
    const r = asUint(items[10], "r");
    const s = asUint(items[11], "s");
    checkSignatureValues(r, s);
    const fields: TxFields = {
      type: 2,
      chainId: asUint(items[0], "chainId"),
      nonce: asUint(items[1], "nonce", MAX_UINT64),
      maxPriorityFeePerGas: asUint(items[2], "maxPriorityFeePerGas"),
      maxFeePerGas: asUint(items[3], "maxFeePerGas"),
      gasLimit: asUint(items[4], "gas", MAX_UINT64),
      to: asTo(items[5]),
      value: asUint(items[6], "value"),
      data: asBytes(items[7], "input"),
      accessList: asAccessList(items[8]),
    };
    return {
      ...fields,
      v: yParity,
      r,
      s,
      recovery: Number(yParity) as 0 | 1,
      raw,
      hash,
      signingHash: signingHash(fields),
    };
  }

  if (items.length !== 9)
    throw new TxError("TX_MALFORMED", `rlp: expected 9 fields in a legacy transaction, got ${items.length}`);
  const v = asUint(items[6], "v");
  const r = asUint(items[7], "r");
  const s = asUint(items[8], "s");
  if (v === 27n || v === 28n) {
    throw new TxError("TX_UNPROTECTED", "only replay-protected (EIP-155) transactions allowed over RPC");
  }
  if (v < 35n) throw new TxError("TX_BAD_SIGNATURE", "invalid transaction v, r, s values");
  checkSignatureValues(r, s);
  const chainId = (v - 35n) / 2n;
  const gasPrice = asUint(items[1], "gasPrice");
  const fields: TxFields = {
    type: 0,
    chainId,
    nonce: asUint(items[0], "nonce", MAX_UINT64),
    maxFeePerGas: gasPrice,
    maxPriorityFeePerGas: gasPrice,
    gasLimit: asUint(items[2], "gas", MAX_UINT64),
    to: asTo(items[3]),
    value: asUint(items[4], "value"),
    data: asBytes(items[5], "input"),
    accessList: [],
  };
  return {
    ...fields,
    v,
    r,
    s,
    recovery: Number((v - 35n) % 2n) as 0 | 1,
    raw,
    hash,
    signingHash: signingHash(fields),
  };
}

/** Sign and serialise; the inverse of decodeTx. Used by the CLI, tests and benchmarks. */
export function signTx(fields: TxFields, privateKey: Uint8Array): SignedTx {
  const digest = signingHash(fields);
  const sig = signDigest(digest, privateKey);
  let raw: Uint8Array;
  if (fields.type === 2) {
    raw = concatBytes(
      new Uint8Array([2]),
      rlpEncodeList([...unsignedType2Items(fields), int(BigInt(sig.recovery)), int(sig.r), int(sig.s)]),
    );
  } else {
    const v = fields.chainId * 2n + 35n + BigInt(sig.recovery);
    raw = rlpEncodeList([
      int(fields.nonce),
      int(fields.maxFeePerGas),
      int(fields.gasLimit),
      rlpEncodeBytes(fields.to ?? new Uint8Array(0)),
      int(fields.value),
      rlpEncodeBytes(fields.data),
      int(v),
      int(sig.r),
      int(sig.s),
    ]);
  }
  return decodeTx(raw);
}

/** Gas charged before any module work: base, calldata and access list (EIP-2028/2930 figures). */
export function intrinsicGas(tx: Pick<TxFields, "data" | "accessList">): bigint {
  let gas = TX_GAS;
  for (const b of tx.data) gas += b === 0 ? TX_DATA_ZERO_GAS : TX_DATA_NONZERO_GAS;
  for (const e of tx.accessList) {
    gas += ACCESS_LIST_ADDRESS_GAS + ACCESS_LIST_STORAGE_KEY_GAS * BigInt(e.storageKeys.length);
  }
  return gas;
}

/** Price per gas this transaction pays at a given base fee. */
export function effectiveGasPrice(tx: TxFields, baseFee: bigint): bigint {
  const tip =
    tx.maxFeePerGas - baseFee < tx.maxPriorityFeePerGas ? tx.maxFeePerGas - baseFee : tx.maxPriorityFeePerGas;
  return baseFee + tip;
}
