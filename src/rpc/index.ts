export type { InferenceRouter, LocalModels, RoutedRequest, RpcContext, StreamedToken } from "./context.ts";
export { RpcError } from "./errors.ts";
export { ApiError, handleModelServer } from "./openai.ts";
export { routes } from "./routes.ts";
export { defaultRpcOptions, RpcServer, type RpcServerOptions } from "./server.ts";
