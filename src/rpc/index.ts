export type { RpcContext } from "./context.ts";
export { RpcError } from "./errors.ts";
export { routes } from "./routes.ts";
export { defaultRpcOptions, RpcServer, type RpcServerOptions } from "./server.ts";
