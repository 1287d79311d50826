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
