export * from "./address.ts";
export * from "./block.ts";
export * from "./bytes.ts";
export * from "./errors.ts";
