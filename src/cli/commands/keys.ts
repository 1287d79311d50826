import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join, resolve } from "node:path";
import {
  blsProofOfPossession,
  decryptKeystore,
  encryptKeystore,
  isValidPrivateKey,
  privateKeyToAddress,
  randomBlsKey,
  randomPrivateKey,
  SCRYPT_LIGHT,
  SCRYPT_STANDARD,
} from "../../crypto/index.ts";
import { fromHex, parseAddress, toChecksumAddress, toHex } from "../../types/index.ts";
import { asUsage, type Command, parse, readInputFile, UsageError } from "../args.ts";

export const DEFAULT_KEYSTORE = join(homedir(), ".racecoin", "keystore");

const options = {
  keystore: { type: "string" },
  "password-file": { type: "string" },
  "key-file": { type: "string" },
  light: { type: "boolean" },
  out: { type: "string" },
  address: { type: "string" },
  weight: { type: "string" },
} as const;

export function readPassword(file: string | undefined): string {
  if (file) {
    try {
      return readFileSync(file, "utf8").replace(/\r?\n$/, "");
    } catch (e) {
      throw new UsageError(`--password-file: cannot read ${file} (${(e as NodeJS.ErrnoException).code})`);
    }
  }
  const env = process.env.RACECOIN_PASSWORD;
  if (env !== undefined) return env;
  throw new UsageError("a password is needed: pass --password-file FILE or set RACECOIN_PASSWORD");
}

function writeKeystore(dir: string, key: Uint8Array, password: string, light: boolean): string {
  const ks = encryptKeystore(key, password, light ? SCRYPT_LIGHT : SCRYPT_STANDARD);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  // geth's file naming, so the folder can be shared with other tools.
  const file = join(dir, `UTC--${new Date().toISOString().replace(/:/g, "-")}--${ks.address}`);
  writeFileSync(file, JSON.stringify(ks), { mode: 0o600 });
  return file;
}

export function listKeystore(dir: string): { address: string; file: string }[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const out: { address: string; file: string }[] = [];
  for (const name of names.sort()) {
    try {
      const ks = JSON.parse(readFileSync(join(dir, name), "utf8")) as { address?: string };
      if (typeof ks.address === "string" && /^(0x)?[0-9a-fA-F]{40}$/.test(ks.address)) {
        out.push({
          address: toChecksumAddress(fromHex(`0x${ks.address.replace(/^0x/, "")}`)),
          file: join(dir, name),
        });
      }
    } catch {
      // not a keystore file
    }
  }
  return out;
}

export function unlock(dir: string, address: string, password: string): Uint8Array {
  asUsage(() => parseAddress(address, "--from"));
  const entry = listKeystore(dir).find((e) => e.address.toLowerCase() === address.toLowerCase());
  if (!entry) throw new UsageError(`no keystore file for ${address} in ${dir} (see "racecoin keys list")`);
  return decryptKeystore(JSON.parse(readFileSync(entry.file, "utf8")), password);
}

const help = `racecoin keys — manage account keys (Ethereum V3 keystore files, scrypt)

Usage:
  racecoin keys new    [--keystore DIR] [--password-file FILE] [--light]
  racecoin keys list   [--keystore DIR]
  racecoin keys import (--key-file FILE | 0xPRIVATEKEY) [--keystore DIR] [--password-file FILE] [--light]
  racecoin keys validator --out FILE [--address 0xACCOUNT] [--weight N]

Options:
  --keystore DIR        keystore folder (default: ~/.racecoin/keystore)
  --password-file FILE  file holding the password (or set RACECOIN_PASSWORD)
  --key-file FILE       file holding a 0x-hex private key to import
  --light               cheaper scrypt (geth's --lightkdf): only for throwaway keys
  --out FILE            (validator) where to write the new BLS signing key; never overwritten
  --address, --weight   (validator) account receiving tips and the weight, for the printed entry

"keys validator" creates a BLS12-381 validator key for "racecoin node --validator-key FILE" and
prints the genesis entry { address, weight, blsKey, proofOfPossession } to paste into a genesis
file's "validators". Keep FILE secret: whoever holds it signs votes as this validator.

Files open in geth, ethers and MetaMask ("import account → JSON file").

Examples:
  echo 'correct horse' > pw.txt
  racecoin keys new --password-file pw.txt
  racecoin keys list
  racecoin keys validator --out validator-key.json --address 0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266
`;

export const keysCommand: Command = {
  name: "keys",
  summary: "create, list and import account keys (encrypted keystore files)",
  help,
  async run(argv) {
    const { values, positionals } = parse(argv, options, "keys");
    const dir = values.keystore ?? DEFAULT_KEYSTORE;
    const sub = positionals[0];
    if (sub === "new") {
      const key = randomPrivateKey();
      const file = writeKeystore(dir, key, readPassword(values["password-file"]), values.light ?? false);
      process.stdout.write(
        `${JSON.stringify({ address: toChecksumAddress(privateKeyToAddress(key)), file })}\n`,
      );
      return 0;
    }
    if (sub === "list") {
      if (!existsSync(dir)) {
        process.stderr.write(`no keystore directory at ${dir} (create a key with "racecoin keys new")\n`);
        return 1;
      }
      const entries = listKeystore(dir);
      if (entries.length === 0)
        process.stderr.write(`no keys in ${dir} (create one with "racecoin keys new")\n`);
      for (const e of entries) process.stdout.write(`${e.address}  ${e.file}\n`);
      return 0;
    }
    if (sub === "import") {
      let hex = positionals[1];
      if (values["key-file"]) hex = readInputFile(values["key-file"], "--key-file").trim();
      if (!hex) throw new UsageError("keys import: give the private key as 0x-hex or with --key-file FILE");
      const key = asUsage(() => fromHex(hex!.startsWith("0x") ? hex! : `0x${hex}`, "private key"));
      if (!isValidPrivateKey(key))
        throw new UsageError("private key: expected 32 bytes in the secp256k1 range");
      const address = toChecksumAddress(privateKeyToAddress(key));
      const existing = listKeystore(dir).find((e) => e.address === address);
      if (existing) {
        process.stderr.write(`${address} is already in the keystore (${existing.file}); nothing written\n`);
        return 1;
      }
      const file = writeKeystore(dir, key, readPassword(values["password-file"]), values.light ?? false);
      process.stdout.write(
        `${JSON.stringify({ address: toChecksumAddress(privateKeyToAddress(key)), file })}\n`,
      );
      return 0;
    }
    if (sub === "validator") {
      const out = values.out;
      if (!out) throw new UsageError("keys validator: --out FILE is required (where the secret key goes)");
      if (existsSync(out)) throw new UsageError(`keys validator: ${out} exists; refusing to overwrite a key`);
      const address = values.address ? asUsage(() => parseAddress(values.address!, "--address")) : undefined;
      const weight = values.weight ?? "1";
      if (!/^[1-9][0-9]*$/.test(weight)) throw new UsageError("--weight: expected a positive integer");
      const key = randomBlsKey();
      if (!existsSync(dirname(resolve(out))))
        throw new UsageError(
          `keys validator --out: directory ${dirname(resolve(out))} does not exist; create it first`,
        );
      writeFileSync(out, `${JSON.stringify({ blsSecretKey: toHex(key.secretKey) })}\n`, {
        mode: 0o600,
        flag: "wx",
      });
      const entry = {
        address: address ? toChecksumAddress(address) : "0x<account that receives tips>",
        weight,
        blsKey: toHex(key.publicKey),
        proofOfPossession: toHex(blsProofOfPossession(key)),
      };
      process.stdout.write(`${JSON.stringify(entry, null, 2)}\n`);
      return 0;
    }
    throw new UsageError(
      `keys: expected a subcommand new | list | import | validator${sub ? `, got "${sub}"` : ""}\nRun "racecoin keys --help".`,
    );
  },
};
