/** The one route table: method name → handler (module queries are resolved by the server). */
import { addressHandlers } from "./addressHistory.ts";
import type { RpcContext } from "./context.ts";
import { ethHandlers } from "./eth.ts";
import { nativeHandlers } from "./native.ts";

export type Handler = (ctx: RpcContext, params: unknown[]) => unknown;

export const routes: ReadonlyMap<string, Handler> = new Map<string, Handler>(
  Object.entries({ ...ethHandlers, ...nativeHandlers, ...addressHandlers }) as [string, Handler][],
);
