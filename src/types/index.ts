export * from "./bytes.ts";
export * from "./address.ts";
export * from "./errors.ts";
