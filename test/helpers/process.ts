// Real node processes for e2e tests: the same CLI a user runs, on loopback, on a temp datadir.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

let singleGenesis: string | undefined;

/** A devnet genesis with one validator (dev account 0, dev BLS key 0): a node finalises alone. */
export async function singleValidatorGenesis(): Promise<string> {
  if (!singleGenesis) {
    const { devnetGenesisJson } = await import("../../src/chain/index.ts");
    singleGenesis = join(tempDir("racecoin-genesis-"), "genesis.json");
    writeFileSync(singleGenesis, JSON.stringify(devnetGenesisJson(1)));
  }
  return singleGenesis;
}

export function tempDir(prefix = "racecoin-"): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/**
 * `n` distinct free ports: every listener stays open until all are allocated, so the OS cannot hand
 * the same port out twice (allocating them one by one sometimes did, and two nodes then collided).
 */
export async function freePorts(n: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: n },
      () =>
        new Promise<ReturnType<typeof createServer>>((resolve, reject) => {
          const s = createServer();
          s.once("error", reject);
          s.listen(0, "127.0.0.1", () => resolve(s));
        }),
    ),
  );
  const ports = servers.map((s) => (s.address() as { port: number }).port);
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  return ports;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

export interface NodeProcess {
  proc: ChildProcess;
  url: string;
  datadir: string;
  output: () => string;
  stop(): Promise<number | null>;
  kill9(): Promise<void>;
}

/**
 * Start a node process. Without `opts.port` the RPC port is a free one picked here; another process
 * on the machine can take it between the pick and the node's listen (seen under CI's parallel test
 * files), so a node that exits with "already in use" is started again on a new port, up to 3 times.
 */
export async function startNode(opts: StartOptions = {}): Promise<NodeProcess> {
  if (opts.port !== undefined) return launchNode(opts, opts.port);
  for (let attempt = 1; ; attempt++) {
    try {
      return await launchNode(opts, await freePort());
    } catch (err) {
      if (attempt >= 3 || !/RPC port \d+ .* already in use/.test(String(err))) throw err;
    }
  }
}

type StartOptions = {
  datadir?: string;
  port?: number;
  blockTimeMs?: number;
  fsync?: boolean;
  args?: string[];
  /** Genesis file; default: a one-validator devnet that this node validates alone. */
  genesis?: string;
  /** Dev validator index to sign with (default 0); -1 runs a follower. */
  validator?: number;
  p2pPort?: number;
  bootstrap?: string[];
  env?: Record<string, string>;
};

async function launchNode(opts: StartOptions, port: number): Promise<NodeProcess> {
  const datadir = opts.datadir ?? tempDir();
  const genesis = opts.genesis ?? (await singleValidatorGenesis());
  const validator = opts.validator ?? 0;
  const args = [
    "--import",
    "tsx",
    "src/cli/main.ts",
    "node",
    "--genesis",
    genesis,
    "--p2p-port",
    String(opts.p2pPort ?? 0),
    ...(validator >= 0 ? ["--dev-validator", String(validator)] : []),
    ...(opts.bootstrap && opts.bootstrap.length > 0 ? ["--bootstrap", opts.bootstrap.join(",")] : []),
    "--datadir",
    datadir,
    "--rpc-port",
    String(port),
    "--block-time-ms",
    String(opts.blockTimeMs ?? 200),
    "--log-format",
    "json",
    ...(opts.fsync ? [] : ["--no-fsync"]),
    ...(opts.args ?? []),
  ];
  const proc = spawn(process.execPath, args, {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, ...opts.env },
  });
  let out = "";
  proc.stdout!.on("data", (d) => {
    out += d;
  });
  proc.stderr!.on("data", (d) => {
    out += d;
  });
  const exited = new Promise<number | null>((resolve) => proc.once("exit", (code) => resolve(code)));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (proc.exitCode !== null)
      throw new Error(`node exited with ${proc.exitCode} before serving RPC:\n${out}`);
    try {
      const r = await fetch(`${url}/health`);
      if (r.ok) break;
    } catch {}
    if (Date.now() > deadline) {
      proc.kill("SIGKILL");
      throw new Error(`node did not serve RPC within 30 s:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    proc,
    url,
    datadir,
    output: () => out,
    async stop() {
      if (proc.exitCode === null) proc.kill("SIGTERM");
      return exited;
    },
    async kill9() {
      if (proc.exitCode === null) proc.kill("SIGKILL");
      await exited;
    },
  };
}

export async function rpc<T = unknown>(url: string, method: string, params: unknown[] = []): Promise<T> {
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }),
  });
  const body = (await res.json()) as { result?: T; error?: { message: string } };
  if (body.error) throw new Error(body.error.message);
  return body.result as T;
}

export async function waitFor<T>(
  what: string,
  fn: () => Promise<T | undefined | null | false>,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) {
      lastError = e; // not there yet (e.g. a node still starting): try again until the deadline
    }
    if (Date.now() > deadline)
      throw new Error(
        `timed out waiting for ${what}${lastError ? ` (last error: ${(lastError as Error).message})` : ""}`,
      );
    await new Promise((r) => setTimeout(r, 100));
  }
}

export interface AddressHistoryItem {
  blockNumber: number;
  transactionIndex: number;
  transactionHash: string;
  sender: boolean;
  recipient: boolean;
  logIndexes: number[];
}

/** An address's whole history through chain_getAddressHistory, page by page (newest first). */
export async function addressHistory(
  url: string,
  address: string,
  limit = 100,
): Promise<AddressHistoryItem[]> {
  const all: AddressHistoryItem[] = [];
  let cursor: string | null = null;
  do {
    const page: { transactions: AddressHistoryItem[]; next: string | null } = await rpc(
      url,
      "chain_getAddressHistory",
      [address, { limit, cursor }],
    );
    all.push(...page.transactions);
    cursor = page.next;
  } while (cursor);
  return all;
}
