/** The one route table (CometBFT rpc/core/routes.go): method name → handler. */
import type { RpcContext } from "./context.ts";
import { ethHandlers } from "./eth.ts";
import { nativeHandlers } from "./native.ts";

export type Handler = (ctx: RpcContext, params: unknown[]) => unknown;

export const routes: ReadonlyMap<string, Handler> = new Map<string, Handler>(
  Object.entries({ ...ethHandlers, ...nativeHandlers }) as [string, Handler][],
);
