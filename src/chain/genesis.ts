/**
 * Genesis files (genesis/*.json): parsed and validated on load. Every problem is reported with
 * its path, all at once, so a hand-edited file can be fixed in one pass.
 */
import { readFileSync } from "node:fs";
import {
  blsProofOfPossession,
  blsVerifyProofOfPossession,
  deriveBlsKeys,
  deriveKeys,
  privateKeyToAddress,
  TEST_MNEMONIC,
} from "../crypto/index.ts";
import { getPreset, type Preset } from "../params/index.ts";
import {
  type Account,
  type Address,
  addressKey,
  fromHex,
  OperatorError,
  parseAddress,
  toChecksumAddress,
  toHex,
  type Validator,
} from "../types/index.ts";

export interface Genesis {
  name: string;
  chainId: bigint;
  preset: Preset;
  /** Milliseconds since the Unix epoch. */
  timestamp: bigint;
  extraData: Uint8Array;
  validators: Validator[];
  alloc: { address: Address; account: Account }[];
  /** Per-module genesis sections (`modules.<name>`), handed to each module's genesis hook. */
  modules?: Record<string, unknown>;
}

export class GenesisError extends OperatorError {
  constructor(readonly problems: string[]) {
    super(`invalid genesis:\n  - ${problems.join("\n  - ")}`);
  }
}

const TOP_LEVEL = new Set([
  "name",
  "chainId",
  "preset",
  "timestamp",
  "extraData",
  "validators",
  "alloc",
  "modules",
  "comment",
]);

function parseAmount(v: unknown, path: string, problems: string[]): bigint {
  if (typeof v === "string" && /^(0x[0-9a-fA-F]+|[0-9]+)$/.test(v)) {
    const n = BigInt(v);
    if (n < 1n << 256n) return n;
  }
  if (typeof v === "number" && Number.isSafeInteger(v) && v >= 0) return BigInt(v);
  problems.push(
    `${path}: expected a non-negative integer as a decimal or 0x-hex string, got ${JSON.stringify(v)}`,
  );
  return 0n;
}

function parseHexField(v: unknown, length: number, path: string, problems: string[]): Uint8Array | undefined {
  if (typeof v === "string" && v.length === 2 + 2 * length) {
    try {
      return fromHex(v, path);
    } catch {}
  }
  problems.push(`${path}: expected 0x-hex of ${length} bytes`);
  return undefined;
}

export function parseGenesis(json: unknown, opts: { presetOverride?: string } = {}): Genesis {
  const problems: string[] = [];
  if (typeof json !== "object" || json === null || Array.isArray(json))
    throw new GenesisError(["genesis must be a JSON object"]);
  const g = json as Record<string, unknown>;
  for (const k of Object.keys(g))
    if (!TOP_LEVEL.has(k)) problems.push(`${k}: unknown field (allowed: ${[...TOP_LEVEL].join(", ")})`);

  const name = typeof g.name === "string" ? g.name : "";
  if (!name) problems.push("name: expected a non-empty string");

  let chainId = 0n;
  if (typeof g.chainId === "number" && Number.isSafeInteger(g.chainId) && g.chainId > 0)
    chainId = BigInt(g.chainId);
  else
    problems.push("chainId: expected a positive integer below 2^53 (wallets store chain ids as JS numbers)");

  let preset: Preset | undefined;
  try {
    preset = getPreset(opts.presetOverride ?? String(g.preset));
  } catch (e) {
    problems.push(`preset: ${(e as Error).message}`);
  }

  const timestamp = parseAmount(g.timestamp ?? 0, "timestamp", problems);

  let extraData: Uint8Array = new Uint8Array(0);
  if (g.extraData !== undefined) {
    if (
      typeof g.extraData === "string" &&
      /^0x([0-9a-fA-F]{2})*$/.test(g.extraData) &&
      g.extraData.length <= 66
    ) {
      extraData = new Uint8Array(Buffer.from(g.extraData.slice(2), "hex"));
    } else problems.push("extraData: expected 0x-hex of at most 32 bytes");
  }

  const validators: Validator[] = [];
  if (!Array.isArray(g.validators) || g.validators.length === 0) {
    problems.push("validators: expected a non-empty array of { address, weight, blsKey, proofOfPossession }");
  } else {
    const seen = new Set<string>();
    const seenKeys = new Set<string>();
    g.validators.forEach((v: unknown, i: number) => {
      const path = `validators[${i}]`;
      if (typeof v !== "object" || v === null) {
        problems.push(`${path}: expected an object { address, weight }`);
        return;
      }
      const rec = v as Record<string, unknown>;
      let address: Address;
      try {
        address = parseAddress(String(rec.address), `${path}.address`);
      } catch (e) {
        problems.push((e as Error).message);
        return;
      }
      const weight = parseAmount(rec.weight, `${path}.weight`, problems);
      if (weight === 0n) problems.push(`${path}.weight: must be positive`);
      if (weight >= 1n << 64n) problems.push(`${path}.weight: must be below 2^64`);
      if (seen.has(addressKey(address))) problems.push(`${path}.address: duplicate validator`);
      seen.add(addressKey(address));
      const blsKey = parseHexField(rec.blsKey, 48, `${path}.blsKey`, problems);
      const pop = parseHexField(rec.proofOfPossession, 96, `${path}.proofOfPossession`, problems);
      if (blsKey && pop && !blsVerifyProofOfPossession(blsKey, pop))
        problems.push(
          `${path}.proofOfPossession: does not verify for blsKey (a key without a valid proof cannot join)`,
        );
      if (blsKey) {
        if (seenKeys.has(toHex(blsKey))) problems.push(`${path}.blsKey: duplicate BLS key`);
        seenKeys.add(toHex(blsKey));
      }
      validators.push({ address, weight, blsKey: blsKey ?? new Uint8Array(48) });
    });
  }

  const alloc: Genesis["alloc"] = [];
  if (typeof g.alloc !== "object" || g.alloc === null || Array.isArray(g.alloc)) {
    problems.push('alloc: expected an object { "0xaddress": { "balance": "..." } }');
  } else {
    const seen = new Set<string>();
    for (const [addr, v] of Object.entries(g.alloc as Record<string, unknown>)) {
      const path = `alloc["${addr}"]`;
      let address: Address;
      try {
        address = parseAddress(addr, path);
      } catch (e) {
        problems.push((e as Error).message);
        continue;
      }
      if (seen.has(addressKey(address))) problems.push(`${path}: duplicate address (differs only in case)`);
      seen.add(addressKey(address));
      const rec = (typeof v === "object" && v !== null ? v : {}) as Record<string, unknown>;
      const balance = parseAmount(rec.balance, `${path}.balance`, problems);
      const nonce = rec.nonce === undefined ? 0n : parseAmount(rec.nonce, `${path}.nonce`, problems);
      alloc.push({ address, account: { nonce, balance } });
    }
  }
  let modules: Record<string, unknown> | undefined;
  if (g.modules !== undefined) {
    if (typeof g.modules !== "object" || g.modules === null || Array.isArray(g.modules))
      problems.push("modules: expected an object of per-module sections");
    else modules = g.modules as Record<string, unknown>;
  }
  if (problems.length > 0 || !preset) throw new GenesisError(problems);
  return { name, chainId, preset, timestamp, extraData, validators, alloc, modules };
}

export function loadGenesisFile(path: string, opts: { presetOverride?: string } = {}): Genesis {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    throw new GenesisError([
      `cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
    ]);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new GenesisError([`${path} is not valid JSON: ${(e as Error).message}`]);
  }
  return parseGenesis(json, opts);
}

/**
 * The devnet genesis for `n` validators: validator i is dev account i with the dev BLS key i
 * (both from the public test mnemonic), equal weights; the ten dev accounts are funded.
 * Deterministic, so every node of a devnet (and genesis/devnet.json for n = 4) agrees.
 */
export function devnetGenesisJson(n: number): Record<string, unknown> {
  const ETH = 10n ** 18n;
  const accounts = deriveKeys(TEST_MNEMONIC, Math.max(10, n)).map(privateKeyToAddress);
  const bls = deriveBlsKeys(TEST_MNEMONIC, n);
  return {
    name: "devnet",
    comment:
      "Local development chain. Dev accounts and validator keys come from the public test mnemonic: never hold real value.",
    chainId: 72270,
    preset: "minimal",
    timestamp: "1767225600000",
    extraData: "0x",
    validators: bls.map((k, i) => ({
      address: toChecksumAddress(accounts[i]!),
      weight: "100",
      blsKey: toHex(k.publicKey),
      proofOfPossession: toHex(blsProofOfPossession(k)),
    })),
    alloc: Object.fromEntries(
      accounts.slice(0, 10).map((a) => [toChecksumAddress(a), { balance: (10_000n * ETH).toString() }]),
    ),
  };
}
