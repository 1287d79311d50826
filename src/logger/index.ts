/** pino structured logs; each module gets a child logger (`log.child({ module: "chain" })`). */
import { type Logger, pino } from "pino";
import pretty from "pino-pretty";

export type { Logger } from "pino";

export interface LoggerOptions {
  level?: string;
  /** "pretty" for people at a terminal, "json" for files and log shippers. */
  format?: "pretty" | "json";
  /** Where to write; defaults to stdout. */
  destination?: NodeJS.WritableStream;
}

export function createLogger(opts: LoggerOptions = {}): Logger {
  const level = opts.level ?? "info";
  const format = opts.format ?? (process.stdout.isTTY ? "pretty" : "json");
  if (format === "pretty") {
    return pino(
      { level },
      pretty({
        colorize: process.stdout.isTTY,
        ignore: "pid,hostname",
        translateTime: "HH:MM:ss.l",
        singleLine: true,
        destination: opts.destination ?? 1,
        sync: true,
      }),
    );
  }
  return pino(
    { level, base: undefined },
    (opts.destination as pino.DestinationStream | undefined) ?? pino.destination({ dest: 1, sync: false }),
  );
}

/** A logger that writes nothing (unit tests, benchmarks). */
export function silentLogger(): Logger {
  return pino({ level: "silent" });
}
