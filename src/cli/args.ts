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
    throw new UsageError(
      `${(e as Error).message.split("\n")[0]}\nRun "racecoin ${command} --help" for the options.`,
    );
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

/** Decimal amount in ether ("1.5") → wei. */
export function parseEther(v: string, flag: string): bigint {
  const m = /^(\d+)(?:\.(\d{1,18}))?$/.exec(v);
  if (!m)
    throw new UsageError(`${flag}: expected an amount like 1 or 0.25 (ether, up to 18 decimals), got "${v}"`);
  return BigInt(m[1]!) * 10n ** 18n + BigInt((m[2] ?? "").padEnd(18, "0"));
}

export function formatEther(wei: bigint): string {
  const whole = wei / 10n ** 18n;
  const frac = (wei % 10n ** 18n).toString().padStart(18, "0").replace(/0+$/, "");
  return frac ? `${whole}.${frac}` : whole.toString();
}
