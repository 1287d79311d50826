// Generates spec/vectors/{encoding,tx,consensus,beacon,state}/*.json. Deterministic: fixed keys, fixed values.
// Usage: node --import tsx scripts/gen-vectors.ts [--check]   (--check fails if files would change)

import { keccak_256 } from "@noble/hashes/sha3.js";
import { weightedMedian } from "../contracts/index.ts";
import {
  combinePartials,
  deal,
  encryptShare,
  partialSign,
  proveSharedKey,
  roundMessage,
  roundOutput,
  scalarFromSeed,
  scalarToBytes,
  shareFor,
  thresholdFor,
  vrfProve,
} from "../src/beacon/index.ts";
import {
  localCertificate,
  makeEvidence,
  ProposerSchedule,
  proposalSignBytes,
  signVote,
  ValidatorSet,
  voteSignBytes,
} from "../src/consensus/index.ts";
import { deriveBlsKeys, deriveKeys, privateKeyToAddress, TEST_MNEMONIC } from "../src/crypto/index.ts";
import {
  accountCodec,
  beaconMessageCodec,
  beaconMsgsRoot,
  blockCodec,
  encode,
  evidenceRoot,
  headerCodec,
  headerHash,
  merkleRoot,
  receiptCodec,
  rlpEncodeBytes,
  rlpEncodeList,
  txRoot,
  voteCodec,
} from "../src/encoding/index.ts";
import { signTx, type TxFields } from "../src/tx/index.ts";
import { type BeaconMessage, type BlockHeader, fromHex, toHex } from "../src/types/index.ts";
import { vectorFiles } from "./vectorFiles.ts";

const { write, done } = vectorFiles();

const h = (b: number) => new Uint8Array(32).fill(b);
const header: BlockHeader = {
  chainId: 72270n,
  height: 42,
  parentHash: h(1),
  time: 1767225601000n,
  proposer: fromHex("0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266"),
  stateRoot: h(2),
  txRoot: h(3),
  receiptsRoot: h(4),
  evidenceRoot: h(6),
  beaconMsgsRoot: h(7),
  validatorSetHash: h(5),
  lastCommit: { round: 0, signers: new Uint8Array(0), signature: new Uint8Array(0) },
  gasLimit: 30_000_000n,
  gasUsed: 21_000n,
  baseFee: 1_000_000_000n,
  cycle: 0,
  raceRoot: new Uint8Array(32),
  beacon: new Uint8Array(32),
  extra: new Uint8Array(0),
};
const headerJson = (x: BlockHeader) => ({
  ...x,
  chainId: x.chainId.toString(),
  time: x.time.toString(),
  gasLimit: x.gasLimit.toString(),
  gasUsed: x.gasUsed.toString(),
  baseFee: x.baseFee.toString(),
  parentHash: toHex(x.parentHash),
  proposer: toHex(x.proposer),
  stateRoot: toHex(x.stateRoot),
  txRoot: toHex(x.txRoot),
  receiptsRoot: toHex(x.receiptsRoot),
  evidenceRoot: toHex(x.evidenceRoot),
  beaconMsgsRoot: toHex(x.beaconMsgsRoot),
  validatorSetHash: toHex(x.validatorSetHash),
  lastCommit: {
    round: x.lastCommit.round,
    signers: toHex(x.lastCommit.signers),
    signature: toHex(x.lastCommit.signature),
  },
  raceRoot: toHex(x.raceRoot),
  beacon: toHex(x.beacon),
  extra: toHex(x.extra),
});
const big = {
  ...header,
  height: 0xffffffff,
  time: (1n << 64n) - 1n,
  baseFee: 0n,
  extra: new Uint8Array(32).fill(0xee),
};
const headerBytes = encode(headerCodec, header);

write("spec/vectors/encoding/header.json", {
  kind: "header",
  description: "BlockHeader canonical msgpack encoding and hash = keccak256(encoding)",
  cases: [header, big].map((x, i) => ({
    name: `header-${i}`,
    value: headerJson(x),
    encoding: toHex(encode(headerCodec, x)),
    hash: toHex(headerHash(x)),
  })),
  invalid: [
    { name: "trailing-byte", encoding: toHex(new Uint8Array([...headerBytes, 0])) },
    { name: "truncated", encoding: toHex(headerBytes.subarray(0, headerBytes.length - 1)) },
    // fixarray of 17 → array16 holding the same 17 fields: same value, non-shortest length form.
    {
      name: "array16-length",
      encoding: toHex(new Uint8Array([0xdc, 0x00, 0x11, ...headerBytes.subarray(1)])),
    },
    { name: "map-not-array", encoding: "0x81a161c3" },
    { name: "empty", encoding: "0x" },
  ],
});

const receipt = {
  status: 1,
  gasUsed: 21_000n,
  cumulativeGasUsed: 42_000n,
  effectiveGasPrice: 1_000_000_001n,
  from: header.proposer,
  error: "",
  // A bank Transfer log (spec/events.md): topic0 = keccak256("Transfer(address,address,uint256)").
  logs: [
    {
      address: fromHex("0x5243000000000000000000000000000000000001"),
      topics: [
        keccak_256(new TextEncoder().encode("Transfer(address,address,uint256)")),
        new Uint8Array(32).fill(0xaa),
        new Uint8Array(32).fill(0xbb),
      ],
      data: new Uint8Array(32).fill(1),
    },
  ],
};
const failed = { ...receipt, status: 0, error: "insufficient balance for transfer", logs: [] };
write("spec/vectors/encoding/receipt.json", {
  kind: "receipt",
  description: "Receipt encoding, and receiptsRoot = merkleRoot(encodings)",
  cases: [receipt, failed].map((r, i) => ({
    name: `receipt-${i}`,
    value: {
      ...r,
      gasUsed: r.gasUsed.toString(),
      cumulativeGasUsed: r.cumulativeGasUsed.toString(),
      effectiveGasPrice: r.effectiveGasPrice.toString(),
      from: toHex(r.from),
      logs: r.logs.map((l) => ({
        address: toHex(l.address),
        topics: l.topics.map(toHex),
        data: toHex(l.data),
      })),
    },
    encoding: toHex(encode(receiptCodec, r)),
  })),
  root: toHex(merkleRoot([receipt, failed].map((r) => encode(receiptCodec, r)))),
});

write("spec/vectors/encoding/account.json", {
  kind: "account",
  description:
    "Account flat-storage encoding (msgpack) and trie value (RLP [nonce, balance, emptyRoot, keccak('')])",
  cases: [
    { nonce: 0n, balance: 0n },
    { nonce: 1n, balance: 10n ** 22n },
  ].map((a, i) => ({
    name: `account-${i}`,
    value: { nonce: a.nonce.toString(), balance: a.balance.toString() },
    encoding: toHex(encode(accountCodec, a)),
  })),
  invalid: [
    { name: "quantity-leading-zero", encoding: "0x92c40100c400" },
    { name: "uint-instead-of-quantity", encoding: "0x920000" },
  ],
});

write("spec/vectors/encoding/merkle.json", {
  kind: "merkle",
  description: "Binary Merkle root: leaf keccak256(0x00‖x), node keccak256(0x01‖l‖r), odd node promoted",
  cases: [0, 1, 2, 3, 5].map((n) => {
    const leaves = Array.from({ length: n }, (_, i) => keccak_256(new Uint8Array([i])));
    return { name: `leaves-${n}`, leaves: leaves.map(toHex), root: toHex(merkleRoot(leaves)) };
  }),
});

// Transactions signed by the test mnemonic's accounts.
const keys = deriveKeys(TEST_MNEMONIC, 2);
const to = privateKeyToAddress(keys[1]!);
const base: TxFields = {
  type: 2,
  chainId: 72270n,
  nonce: 0n,
  maxPriorityFeePerGas: 1_000_000_000n,
  maxFeePerGas: 3_000_000_000n,
  gasLimit: 21_000n,
  to,
  value: 10n ** 18n,
  data: new Uint8Array(0),
  accessList: [],
};
const valid = [
  { name: "eip1559-transfer", fields: base },
  {
    name: "legacy-eip155-transfer",
    fields: {
      ...base,
      type: 0 as const,
      maxFeePerGas: 2_000_000_000n,
      maxPriorityFeePerGas: 2_000_000_000n,
      nonce: 1n,
    },
  },
  {
    name: "eip1559-with-data-and-access-list",
    fields: {
      ...base,
      nonce: 2n,
      gasLimit: 30_000n,
      data: new Uint8Array([0, 1, 2, 0]),
      accessList: [{ address: to, storageKeys: [h(9)] }],
    },
  },
].map(({ name, fields }) => {
  const tx = signTx(fields, keys[0]!);
  return {
    name,
    raw: toHex(tx.raw),
    hash: toHex(tx.hash),
    signingHash: toHex(tx.signingHash),
    sender: toHex(privateKeyToAddress(keys[0]!)),
    type: tx.type,
    chainId: tx.chainId.toString(),
    nonce: tx.nonce.toString(),
    gasLimit: tx.gasLimit.toString(),
    value: tx.value.toString(),
  };
});
const good = signTx(base, keys[0]!);
const legacyGood = signTx({ ...base, type: 0, maxFeePerGas: 1n, maxPriorityFeePerGas: 1n }, keys[0]!);
const unprotected = rlpEncodeList([
  rlpEncodeBytes(new Uint8Array(0)),
  rlpEncodeBytes(new Uint8Array([1])),
  rlpEncodeBytes(new Uint8Array([0x52, 0x08])),
  rlpEncodeBytes(to),
  rlpEncodeBytes(new Uint8Array(0)),
  rlpEncodeBytes(new Uint8Array(0)),
  rlpEncodeBytes(new Uint8Array([27])),
  rlpEncodeBytes(h(1)),
  rlpEncodeBytes(h(2)),
]);
write("spec/vectors/tx/transactions.json", {
  kind: "transactions",
  description: "Signed transactions: decode, hash = keccak256(raw), sender recovered from signingHash",
  valid,
  invalid: [
    { name: "empty", raw: "0x", code: "TX_MALFORMED" },
    { name: "type-1-unsupported", raw: "0x01c0", code: "TX_TYPE_UNSUPPORTED" },
    { name: "type-3-unsupported", raw: "0x03c0", code: "TX_TYPE_UNSUPPORTED" },
    { name: "trailing-byte", raw: toHex(new Uint8Array([...good.raw, 0])), code: "TX_MALFORMED" },
    { name: "truncated", raw: toHex(good.raw.subarray(0, good.raw.length - 3)), code: "TX_MALFORMED" },
    { name: "pre-eip155-unprotected", raw: toHex(unprotected), code: "TX_UNPROTECTED" },
    {
      name: "legacy-wrong-field-count",
      raw: toHex(rlpEncodeList([rlpEncodeBytes(new Uint8Array(0))])),
      code: "TX_MALFORMED",
    },
    { name: "high-s", raw: toHex(highS()), code: "TX_BAD_SIGNATURE" },
    { name: "legacy-nonce-leading-zero", raw: toHex(leadingZeroNonce(legacyGood.raw)), code: "TX_MALFORMED" },
  ],
});

/** Replace s by n - s (same signature, malleated): EIP-2 forbids it. */
function highS(): Uint8Array {
  const n = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
  const t = signTx(base, keys[0]!);
  const s = n - t.s;
  const sBytes = fromHex(`0x${s.toString(16).padStart(64, "0")}`);
  const rBytes = fromHex(`0x${t.r.toString(16).padStart(64, "0")}`);
  const items = [
    rlpEncodeBytes(fromHex("0x011a4e")),
    rlpEncodeBytes(new Uint8Array(0)),
    rlpEncodeBytes(fromHex("0x3b9aca00")),
    rlpEncodeBytes(fromHex("0xb2d05e00")),
    rlpEncodeBytes(fromHex("0x5208")),
    rlpEncodeBytes(to),
    rlpEncodeBytes(fromHex("0x0de0b6b3a7640000")),
    rlpEncodeBytes(new Uint8Array(0)),
    rlpEncodeList([]),
    rlpEncodeBytes(t.recovery ? new Uint8Array(0) : new Uint8Array([1])),
    rlpEncodeBytes(rBytes),
    rlpEncodeBytes(sBytes),
  ];
  return new Uint8Array([2, ...rlpEncodeList(items)]);
}

/** Legacy tx whose nonce is encoded as 0x00 (non-canonical integer). */
function leadingZeroNonce(raw: Uint8Array): Uint8Array {
  // raw = list prefix ‖ nonce (0x80 for zero) ‖ …; swap 0x80 for the single byte 0x00.
  const body = raw.subarray(raw[0]! >= 0xf8 ? 2 : 1);
  if (body[0] !== 0x80) throw new Error("vector generator: expected empty nonce");
  return rlpEncodeList([new Uint8Array([0x00]), body.subarray(1)]);
}

// ---- consensus -------------------------------------------------------------------------------
const blsKeys = deriveBlsKeys(TEST_MNEMONIC, 4);
const devAddrs = deriveKeys(TEST_MNEMONIC, 4).map(privateKeyToAddress);
const makeSet = (weights: bigint[]) =>
  new ValidatorSet(
    weights.map((weight, i) => ({
      address: devAddrs[i % 4]!.map((b, j) => (j === 19 ? (b + Math.floor(i / 4)) & 0xff : b)),
      weight,
      blsKey: blsKeys[i % 4]!.publicKey,
    })),
  );
const proposerSets: { name: string; weights: bigint[]; cycleLength: number }[] = [
  { name: "four equal", weights: [100n, 100n, 100n, 100n], cycleLength: 60 },
  { name: "weighted 40/30/20/10", weights: [40n, 30n, 20n, 10n], cycleLength: 60 },
  { name: "skewed 1/1/1000", weights: [1n, 1n, 1000n], cycleLength: 60 },
  { name: "cycle boundary resets priorities", weights: [3n, 2n, 1n], cycleLength: 5 },
];
write("spec/vectors/consensus/proposer.json", {
  kind: "proposer",
  comment: "proposer index of (height, round) from fresh priorities at each cycle start (spec/consensus.md)",
  cases: proposerSets.map(({ name, weights, cycleLength }) => {
    const set = makeSet(weights);
    const schedule = new ProposerSchedule(set, cycleLength);
    const proposers: [number, number, number][] = [];
    for (let h = 1; h <= 12; h++) for (const r of [0, 1, 3]) proposers.push([h, r, schedule.proposer(h, r)]);
    return {
      name,
      cycleLength,
      validators: set.validators.map((v) => ({ address: toHex(v.address), weight: v.weight.toString() })),
      proposers,
    };
  }),
});

const certSet = makeSet([40n, 30n, 20n, 10n]);
const blockHash = keccak_256(new TextEncoder().encode("racecoin certificate vector"));
const sks = blsKeys.map((k) => k.secretKey);
const cert = (signers: (Uint8Array | undefined)[], height = 7) =>
  localCertificate(certSet, 72270n, signers, height, blockHash);
const certJson = (c: ReturnType<typeof cert>) => ({
  round: c.round,
  signers: toHex(c.signers),
  signature: toHex(c.signature),
});
const full = cert(sks);
write("spec/vectors/consensus/certificate.json", {
  kind: "certificate",
  comment: "commit certificates over validators with weights 40/30/20/10 (chain 72270, height 7)",
  chainId: "72270",
  height: 7,
  blockHash: toHex(blockHash),
  validators: certSet.validators.map((v) => ({
    address: toHex(v.address),
    weight: v.weight.toString(),
    blsKey: toHex(v.blsKey),
  })),
  validatorSetHash: toHex(certSet.hash),
  signBytes: {
    precommit: toHex(voteSignBytes(72270n, { type: 2, height: 7, round: 0, blockHash })),
    nilPrevote: toHex(voteSignBytes(72270n, { type: 1, height: 7, round: 2, blockHash: new Uint8Array(0) })),
    proposal: toHex(proposalSignBytes(72270n, { height: 7, round: 1, polRound: 0 }, blockHash)),
  },
  cases: [
    { name: "all four sign", cert: certJson(full), valid: true },
    { name: "40+30 (70 %) is a quorum", cert: certJson(cert([sks[0], sks[1]])), valid: true },
    {
      name: "40+20 (60 %) is not",
      cert: certJson(cert([sks[0], undefined, sks[2]])),
      error: "CERT_ERROR_NO_QUORUM",
    },
    {
      name: "signer claimed who did not sign",
      cert: { ...certJson(cert([sks[0], sks[1]])), signers: "0x07" },
      error: "CERT_ERROR_SIGNATURE",
    },
    { name: "certificate of another height", cert: certJson(cert(sks, 8)), error: "CERT_ERROR_SIGNATURE" },
    {
      name: "bits beyond the set",
      cert: { ...certJson(full), signers: "0x1f" },
      error: "CERT_ERROR_BITFIELD",
    },
    { name: "empty", cert: { round: 0, signers: "0x", signature: "0x" }, error: "CERT_ERROR_EMPTY" },
  ],
});

// ---- a whole block: transaction, evidence, beacon message ---------------------------------------
{
  const [bk] = deriveBlsKeys(TEST_MNEMONIC, 1);
  const vote = (blockHash: Uint8Array) =>
    signVote(72270n, bk!.secretKey, { type: 1, height: 41, round: 2, blockHash, validator: 0 });
  const evidence = [makeEvidence(vote(h(9)), vote(new Uint8Array(0)))];
  const beacon: BeaconMessage[] = [
    {
      kind: 2,
      sender: 3,
      epoch: 0,
      body: new Uint8Array([0x93, 0x01, 0xc4, 0x00, 0xc4, 0x00]),
      signature: new Uint8Array(0),
    },
  ];
  const txs = [good.raw];
  const blockHeader: BlockHeader = {
    ...header,
    txRoot: txRoot([good.hash]),
    evidenceRoot: evidenceRoot(evidence),
    beaconMsgsRoot: beaconMsgsRoot(beacon),
  };
  const block = { header: blockHeader, txs, evidence, beacon };
  const enc = encode(blockCodec, block);
  const voteEnc = encode(voteCodec, evidence[0]!.a);
  const msgEnc = encode(beaconMessageCodec, beacon[0]!);
  // Invalid: change one byte of a valid encoding where the field value sits.
  const patch = (b: Uint8Array, at: number, v: number) => Uint8Array.from(b, (x, i) => (i === at ? v : x));
  write("spec/vectors/encoding/block.json", {
    kind: "block",
    description: "Block = [header, txs, evidence, beacon] with one of each; header roots commit to the body",
    encoding: toHex(enc),
    hash: toHex(headerHash(blockHeader)),
    txRoot: toHex(blockHeader.txRoot),
    evidenceRoot: toHex(blockHeader.evidenceRoot),
    beaconMsgsRoot: toHex(blockHeader.beaconMsgsRoot),
    vote: toHex(voteEnc),
    beaconMessage: toHex(msgEnc),
    invalid: [
      { name: "vote type 3", codec: "vote", encoding: toHex(patch(voteEnc, 1, 3)) },
      { name: "beacon kind 4", codec: "beaconMessage", encoding: toHex(patch(msgEnc, 1, 4)) },
      {
        name: "vote hash of 1 byte",
        codec: "vote",
        encoding: toHex(
          Uint8Array.from([...voteEnc.subarray(0, 4), 0xc4, 0x01, 0x00, ...voteEnc.subarray(4 + 34)]),
        ),
      },
    ],
  });
}

// ---- beacon ----------------------------------------------------------------------------------
{
  const seed = new TextEncoder().encode("racecoin beacon vectors v1");
  const n = 5;
  const t = thresholdFor(n);
  const d = deal(t, { seed, label: "dealer" });
  const shares = Array.from({ length: n }, (_, k) => shareFor(d, k + 1));
  const members = deriveBlsKeys(TEST_MNEMONIC, n);
  const encrypted = shares.map((x, k) =>
    encryptShare(x, members[k]!.publicKey, 1, k + 1, scalarFromSeed(seed, `ephemeral/${k}`)),
  );
  const complaint = proveSharedKey(
    members[1]!.secretKey,
    encrypted[1]!.ephemeral,
    scalarFromSeed(seed, "dleq"),
  );
  write("spec/vectors/beacon/sharing.json", {
    kind: "beacon-sharing",
    comment: `one dealer, n = ${n}, t = ${t}: coefficients from SHA-256(seed, label); member i is dev BLS key i-1`,
    threshold: t,
    coefficients: d.coefficients.map((c) => toHex(scalarToBytes(c))),
    commitments: d.commitments.map(toHex),
    shares: shares.map((x) => toHex(scalarToBytes(x))),
    memberKeys: members.map((m) => toHex(m.publicKey)),
    encryptedShares: encrypted.map((e) => ({
      ephemeral: toHex(e.ephemeral),
      ciphertext: toHex(e.ciphertext),
    })),
    complaintOfMember2: { sharedKey: toHex(complaint.shared), proof: toHex(complaint.proof) },
  });
  const chainIdB = 72270n;
  const previous = new Uint8Array(32);
  const partials = shares.map((x, k) => ({ index: k + 1, signature: partialSign(x, chainIdB, 1, previous) }));
  const signature = combinePartials(partials.slice(0, t), t);
  write("spec/vectors/beacon/threshold.json", {
    kind: "beacon-threshold",
    comment:
      "round 1 over the sharing vector's polynomial (group key = commitments[0]); previous = 32 zero bytes",
    chainId: chainIdB.toString(),
    round: 1,
    previous: toHex(previous),
    threshold: t,
    groupKey: toHex(d.commitments[0]!),
    roundMessage: toHex(roundMessage(chainIdB, 1, previous)),
    partials: partials.map((p) => ({ index: p.index, signature: toHex(p.signature) })),
    signature: toHex(signature),
    output: toHex(roundOutput(signature)),
  });
  const vrfInput = keccak_256(new TextEncoder().encode("beacon output"));
  const vrfCases = members.slice(0, 3).map((m, k) => {
    const domain = k === 2 ? "ai-task" : "race-verifier";
    const { proof, output } = vrfProve(m.secretKey, domain, vrfInput);
    return {
      publicKey: toHex(m.publicKey),
      domain,
      input: toHex(vrfInput),
      proof: toHex(proof),
      output: toHex(output),
    };
  });
  write("spec/vectors/beacon/vrf.json", { kind: "beacon-vrf", cases: vrfCases });
}

await stateVectors();

/**
 * State transition with modules: the devnet genesis (module storage in its state root), then a
 * few blocks of module calls (bank transfer and memo, a validator registration, one that fails),
 * then empty blocks through the first cycle's end (endCycle stores cycle 1's validator set).
 */
async function stateVectors() {
  const { Chain, devnetGenesisJson, parseGenesis } = await import("../src/chain/index.ts");
  const { ChainDb, MemoryKV } = await import("../src/db/index.ts");
  const { inlineRecovery, blsSign } = await import("../src/crypto/index.ts");
  const { silentLogger } = await import("../src/logger/index.ts");
  const contracts = await import("../contracts/index.ts");
  const { VALIDATORS_MODULE_ADDRESS, BANK_MODULE_ADDRESS } = await import("../src/params/index.ts");
  const { commitCodec } = await import("../src/encoding/index.ts");
  const genesisJson = devnetGenesisJson(4);
  const genesis = parseGenesis(genesisJson);
  const chain = await Chain.open(genesis, {
    db: new ChainDb(new MemoryKV()),
    recovery: inlineRecovery,
    log: silentLogger(),
  });
  const g = Chain.genesisBlock(genesis);
  const keys = deriveKeys(TEST_MNEMONIC, 10);
  const addrs = keys.map(privateKeyToAddress);
  const bls = deriveBlsKeys(TEST_MNEMONIC, 10);
  const nonces = new Map<number, bigint>();
  const call = (from: number, to: Uint8Array, method: string, args: Uint8Array) => {
    const nonce = nonces.get(from) ?? 0n;
    nonces.set(from, nonce + 1n);
    const tx = signTx(
      {
        type: 2,
        chainId: genesis.chainId,
        nonce,
        maxPriorityFeePerGas: 1_000_000_000n,
        maxFeePerGas: 10_000_000_000n,
        gasLimit: 200_000n,
        to,
        value: 0n,
        data: encode(contracts.envelopeCodec, { version: 1, method, args }),
        accessList: [],
      },
      keys[from]!,
    );
    return { tx, sender: addrs[from]! };
  };
  const register = (from: number, proofFor: number) => {
    const k = bls[from]!;
    const msg = contracts.registrationMessage(genesis.chainId, addrs[proofFor]!, k.publicKey);
    const args = encode(contracts.registerArgs, {
      blsKey: k.publicKey,
      proof: blsSign(k.secretKey, "register", msg),
      peerId: new Uint8Array(0),
    });
    return call(from, VALIDATORS_MODULE_ADDRESS, "register", args);
  };
  const bodies = [
    [
      call(
        1,
        BANK_MODULE_ADDRESS,
        "transfer",
        encode(contracts.transferArgs, { to: addrs[7]!, amount: 12345n }),
      ),
      call(
        2,
        BANK_MODULE_ADDRESS,
        "memo",
        encode(contracts.memoArgs, { memo: new TextEncoder().encode("hello") }),
      ),
    ],
    [register(5, 5), register(6, 5)],
    [
      call(
        5,
        BANK_MODULE_ADDRESS,
        "transfer",
        encode(contracts.transferArgs, { to: addrs[1]!, amount: 10n ** 30n }),
      ),
    ],
  ];
  const certify = (height: number, hash: Uint8Array) =>
    localCertificate(
      chain.validatorsAt(height),
      genesis.chainId,
      bls.slice(0, 4).map((k) => k.secretKey),
      height,
      hash,
    );
  const blocks = [];
  const end = genesis.preset.cycleLength + 1;
  for (let height = 1; height <= end; height++) {
    const txs = bodies[height - 1] ?? [];
    const proposer = chain.validatorsAt(height).validators[height % 4]!.address;
    const built = await chain.produceBlock(
      () => txs,
      proposer,
      genesis.timestamp + BigInt(height) * 500n,
      certify,
    );
    blocks.push({
      height,
      block: toHex(encode(blockCodec, built.block)),
      commit: toHex(encode(commitCodec, (await chain.commitAt(height))!)),
      stateRoot: toHex(built.block.header.stateRoot),
      receipts: built.receipts.map((r) => ({
        status: r.status,
        gasUsed: r.gasUsed.toString(),
        error: r.error,
      })),
    });
  }
  const slot = (m: { storeKey(k: never): Uint8Array }, k: unknown) =>
    toHex(contracts.storageSlot(m.storeKey(k as never)));
  const valueAt = async (module: Uint8Array, s: string) =>
    (await chain.getStorageProof(chain.head.stateRoot, module, fromHex(s))).value;
  const storageChecks = [];
  for (const [module, m, k] of [
    [VALIDATORS_MODULE_ADDRESS, contracts.validatorSets, 0],
    [VALIDATORS_MODULE_ADDRESS, contracts.validatorSets, 1],
    [VALIDATORS_MODULE_ADDRESS, contracts.registrations, addrs[5]],
    [VALIDATORS_MODULE_ADDRESS, contracts.registrations, addrs[6]],
  ] as const) {
    const s = slot(m as never, k);
    const v = await valueAt(module, s);
    storageChecks.push({ module: toHex(module), slot: s, value: v ? toHex(v) : null });
  }
  write("spec/vectors/state/modules.json", {
    kind: "state-modules",
    comment:
      "devnet genesis with modules; blocks 1-3 carry module calls (bank transfer and memo; validators.register valid, then with another account's proof; a failing bank transfer); empty blocks to the first cycle end (block 59 stores cycle 1's validator set) and one more. Import every block with its certificate into a fresh chain: each state root and receipt must match, and the storage checks hold at the last block.",
    genesis: genesisJson,
    genesisStateRoot: toHex(g.header.stateRoot),
    genesisHash: toHex(headerHash(g.header)),
    blocks,
    storageChecks,
  });
}

// Price: the race-weighted median of unit-price votes (spec/inference.md §Price).
const voter = (i: number) => `0x${i.toString(16).padStart(40, "0")}`;
const medianCases: { name: string; votes: [number, string, string][] }[] = [
  {
    name: "three voters, median in the middle",
    votes: [
      [1, "5", "100"],
      [2, "3", "50"],
      [3, "4", "300"],
    ],
  },
  {
    name: "cumulative weight exactly half: the lower price",
    votes: [
      [1, "1", "10"],
      [2, "1", "20"],
    ],
  },
  {
    name: "one heavy voter decides",
    votes: [
      [1, "100", "7"],
      [2, "1", "1"],
      [3, "1", "1000"],
    ],
  },
  {
    name: "zero-weight voters are ignored",
    votes: [
      [1, "0", "1"],
      [2, "2", "40"],
      [3, "1", "60"],
    ],
  },
  {
    name: "equal prices ordered by voter address",
    votes: [
      [9, "2", "5"],
      [3, "2", "5"],
      [4, "1", "9"],
    ],
  },
  { name: "no weight: no median", votes: [[1, "0", "5"]] },
];
write("spec/vectors/models/price-median.json", {
  kind: "price-median",
  description:
    "Unit price of the next cycle = the lowest vote price at which the cumulative weight of votes sorted by (price, voter) reaches at least half the total; null when the total weight is 0 (the current price is kept). Each vote is [voter, weight, price].",
  cases: medianCases.map((c) => {
    const votes = c.votes.map(([v, w, p]) => ({ voter: voter(v), weight: w, price: p }));
    const m = weightedMedian(
      votes.map((x) => ({ voter: fromHex(x.voter), weight: BigInt(x.weight), price: BigInt(x.price) })),
    );
    return { name: c.name, votes, median: m === undefined ? null : m.toString() };
  }),
});

done();
