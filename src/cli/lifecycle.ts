import type { Logger } from "../logger/index.ts";
import type { RacecoinNode } from "../node/index.ts";

/** Start a node, stop it cleanly on SIGINT/SIGTERM. Resolves with the exit code. */
export async function runUntilSignal(
  node: RacecoinNode,
  log: Logger,
  onStarted?: () => void,
): Promise<number> {
  await node.start();
  onStarted?.();
  return new Promise((resolve) => {
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) return;
      stopping = true;
      log.info({ signal }, "Shutting down");
      node.stop().then(
        () => resolve(0),
        () => resolve(1),
      );
    };
    process.once("SIGINT", () => stop("SIGINT"));
    process.once("SIGTERM", () => stop("SIGTERM"));
  });
}
