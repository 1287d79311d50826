/**
 * What the transition does with what a module throws (spec/modules.md §Failures).
 *
 * In a method, a ModuleError is a refusal: its reason goes in the receipt. Anything else except an
 * InvariantError is a module bug the caller reached: the same failed receipt (gas charged, writes
 * discarded), under a fixed text, since an engine's messages may differ between Node versions and
 * the receipts root must not; the error itself goes back to the node to log. An InvariantError,
 * and anything a hook throws (there is no transaction to fail), stops the node, named with the
 * module and the method or hook.
 */
import { InvariantError, ModuleError } from "../../contracts/index.ts";
import { MAX_RECEIPT_ERROR_BYTES } from "../encoding/index.ts";

/** A method that failed with an internal error: what the node logs about it. */
export interface MethodFault {
  /** The transaction's index in the block and its hash. */
  tx: number;
  hash: Uint8Array;
  module: string;
  method: string;
  error: unknown;
}

/** The receipt's `error` for a failed call: identical on every node. */
export function receiptError(e: unknown, module: string, method: string): string {
  if (e instanceof ModuleError) return truncateUtf8(e.message, MAX_RECEIPT_ERROR_BYTES);
  return `internal error in ${module}.${method}`;
}

/** Whether an error stops the node rather than fail a call. */
export function isFatal(e: unknown): e is InvariantError {
  return e instanceof InvariantError;
}

/** A broken invariant naming where it broke, e.g. "tasks.endBlock at height 12". */
export function brokenInvariant(e: unknown, where: string): InvariantError {
  const message = e instanceof Error ? e.message : String(e);
  return new InvariantError(`${where}: ${message}`, { cause: e });
}

/** The longest prefix of `s` within `maxBytes` of UTF-8, never splitting a character. */
export function truncateUtf8(s: string, maxBytes: number): string {
  const bytes = Buffer.from(s, "utf8");
  if (bytes.length <= maxBytes) return s;
  let end = maxBytes;
  while (end > 0 && (bytes[end]! & 0xc0) === 0x80) end--;
  return bytes.subarray(0, end).toString("utf8");
}
