/**
 * Typed errors with string codes. Codes map to JSON-RPC error codes and, later,
 * to peer-score actions: REJECT (the sender is at fault), IGNORE (stale or duplicate).
 */
export type ErrorAction = "reject" | "ignore";

export class CodedError<C extends string = string> extends Error {
  readonly code: C;
  readonly action: ErrorAction;
  constructor(code: C, message: string, action: ErrorAction = "reject") {
    super(message);
    this.code = code;
    this.action = action;
    this.name = new.target.name;
  }
}

export class EncodingError extends CodedError<"ENCODING_ERROR"> {
  constructor(message: string) {
    super("ENCODING_ERROR", message);
  }
}

/**
 * A failure the operator can fix (a bad genesis file, a datadir in use, a port taken): the CLI
 * prints its message alone, without a stack, and exits 1.
 */
export class OperatorError extends Error {}
