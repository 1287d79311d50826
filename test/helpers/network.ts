// Multi-process networks for e2e tests: N real node processes on loopback, described as data.
import { freePorts, type NodeProcess, rpc, startNode, tempDir } from "./process.ts";

export { rpc, waitFor } from "./process.ts";

export interface NetNodeSpec {
  /** Dev validator index, or -1 for a follower. */
  validator: number;
  env?: Record<string, string>;
  fsync?: boolean;
  args?: string[];
}

export interface TestNetwork {
  nodes: NodeProcess[];
  p2pPorts: number[];
  genesis: string;
  /** Start (or restart) node i on its datadir and ports. */
  start(i: number, datadir?: string): Promise<NodeProcess>;
  stop(): Promise<void>;
}

export async function status(url: string) {
  return rpc<{ height: number; finalizedHeight: number; peers: number; headHash: string; round: number }>(
    url,
    "chain_getStatus",
  );
}

export async function startNetwork(
  specs: NetNodeSpec[],
  opts: { genesis?: string; blockTimeMs?: number } = {},
): Promise<TestNetwork> {
  const genesis = opts.genesis ?? "genesis/devnet.json";
  const ports = await freePorts(2 * specs.length);
  const p2pPorts = ports.slice(0, specs.length);
  const rpcPorts = ports.slice(specs.length);
  const datadirs = specs.map(() => tempDir("racecoin-net-"));
  const nodes: NodeProcess[] = [];
  const start = async (i: number, datadir = datadirs[i]!) => {
    const node = await startNode({
      datadir,
      port: rpcPorts[i],
      genesis,
      validator: specs[i]!.validator,
      p2pPort: p2pPorts[i],
      bootstrap: p2pPorts.filter((_, j) => j !== i).map((p) => `/ip4/127.0.0.1/tcp/${p}`),
      env: specs[i]!.env,
      fsync: specs[i]!.fsync,
      args: specs[i]!.args,
      blockTimeMs: opts.blockTimeMs,
    });
    nodes[i] = node;
    return node;
  };
  await Promise.all(specs.map((_, i) => start(i)));
  return {
    nodes,
    p2pPorts,
    genesis,
    start,
    async stop() {
      await Promise.all(nodes.map((n) => n.stop()));
    },
  };
}

/** Black-box invariant over RPC: every node has the same hash at every height all of them have. */
export async function assertSameChain(urls: string[]): Promise<number> {
  const heights = await Promise.all(urls.map(async (u) => (await status(u)).height));
  const top = Math.min(...heights);
  for (let h = 1; h <= top; h++) {
    const hashes = await Promise.all(
      urls.map(
        async (u) =>
          (await rpc<{ hash: string }>(u, "eth_getBlockByNumber", [`0x${h.toString(16)}`, false])).hash,
      ),
    );
    if (new Set(hashes).size !== 1) throw new Error(`nodes disagree at height ${h}: ${hashes.join(", ")}`);
  }
  return top;
}
