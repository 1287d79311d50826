import { readFileSync } from "node:fs";
import { type ParseArgsConfig, parseArgs } from "node:util";

/** A mistake in how the command was called: printed with a pointer to --help, exit code 2. */
export class UsageError extends Error {}

/** Run a parser of user input; any error it throws becomes a UsageError with the same message. */
export function asUsage<T>(parseInput: () => T): T {
  try {
    return parseInput();
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

export interface Command {
  name: string;
  summary: string;
  help: string;
  run(argv: string[]): Promise<number>;
}

export function parse<T extends NonNullable<ParseArgsConfig["options"]>>(
  argv: string[],
  options: T,
  command: string,
) {
  try {
    return parseArgs({
      args: argv,
      options: { ...options, help: { type: "boolean", short: "h" } },
      allowPositionals: true,
      strict: true,
    });
  } catch (e) {
    const msg = (e as Error).message;
    // "--value -1": parseArgs takes -1 for an option; say what to write instead.
    const ambiguous = /Option '(--[\w-]+)[^']*' argument is ambiguous/.exec(msg);
    const first = ambiguous
      ? `${ambiguous[1]}: its value is ambiguous (it starts with "-", like an option); write it as ${ambiguous[1]}=-…`
      : msg.split("\n")[0];
    throw new UsageError(`${first}\nRun "racecoin ${command} --help" for the options.`);
  }
}

export function parsePort(v: string | undefined, flag: string, dflt: number): number {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    throw new UsageError(`${flag}: expected a port number 0-65535, got "${v}"`);
  return n;
}

export function parsePositiveInt(v: string | undefined, flag: string): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0)
    throw new UsageError(`${flag}: expected a positive integer, got "${v}"`);
  return n;
}

/** Read a file a flag names; a missing or unreadable file is a usage mistake with a clear message. */
export function readInputFile(path: string, flag: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOENT") throw new UsageError(`${flag}: no such file: ${path}`);
    if (code === "EISDIR") throw new UsageError(`${flag}: ${path} is a directory, not a file`);
    if (code === "EACCES") throw new UsageError(`${flag}: permission denied reading ${path}`);
    throw new UsageError(`${flag}: cannot read ${path}: ${(e as Error).message}`);
  }
}

/** "host:port" or "host". */
export function parseHostPort(
  v: string | undefined,
  dfltHost: string,
  dfltPort: number,
): { host: string; port: number } {
  if (!v) return { host: dfltHost, port: dfltPort };
  const m = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(v);
  if (!m) throw new UsageError(`--rpc-addr: expected host or host:port, got "${v}"`);
  return { host: m[1]!.replace(/^\[|\]$/g, ""), port: parsePort(m[2], "--rpc-addr", dfltPort) };
}

/** Decimal amount in ether ("1.5", ".5", "2.") → wei, as ethers' parseEther reads it. */
export function parseEther(v: string, flag: string): bigint {
  const s = v.trim();
  if (s.startsWith("-")) throw new UsageError(`${flag}: an amount cannot be negative, got "${v}"`);
  const m = /^(\d*)(?:\.(\d*))?$/.exec(s);
  if (!m || (m[1] === "" && (m[2] ?? "") === ""))
    throw new UsageError(`${flag}: expected an amount in ether like 1, 0.25 or 1.5, got "${v}"`);
  const frac = m[2] ?? "";
  if (frac.length > 18)
    throw new UsageError(`${flag}: too many decimals (ether has 18), got "${v}"; use --value-wei for wei`);
  return BigInt(m[1] || "0") * 10n ** 18n + BigInt(frac.padEnd(18, "0") || "0");
}

export function formatEther(wei: bigint): string {
  const whole = wei / 10n ** 18n;
  const frac = (wei % 10n ** 18n).toString().padStart(18, "0").replace(/0+$/, "");
  return frac ? `${whole}.${frac}` : whole.toString();
}
