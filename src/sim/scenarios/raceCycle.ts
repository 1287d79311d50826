/**
 * One mainnet race cycle with M miners: every miner is a WAN node that commits `(count, root)`
 * over its proof set (real ordered Merkle tree, src/race), reveals the samples the later beacon
 * output picks (real sampleIndices + multiproof), and validators chosen by their real BLS-VRF
 * (contracts/race verifierChosen) verify and attest; a few miners cheat and are claimed and
 * judged. Every transaction travels over the WAN to the validators, waits in the mempool, is
 * packed into blocks under the mainnet gas limit and is applied through the race module's own
 * methods and endBlock. Proof sets are random nonces (no model is run): the chain cannot tell,
 * it checks the trees, and forward passes are counted and charged, not run.
 */
import {
  RACE_VERIFY_DOMAIN,
  race,
  raceSampleSeeds,
  raceSettled,
  raceVerifierInput,
  raceWeights,
} from "../../../contracts/index.ts";
import { selectedByWeight, vrfProve } from "../../beacon/index.ts";
import { blsKeyFromIkm } from "../../crypto/index.ts";
import { mainnet } from "../../params/index.ts";
import { buildTree, commit, multiproof, sampleIndices } from "../../race/index.ts";
import { storeIn } from "../../state/index.ts";
import type { Address } from "../../types/index.ts";
import { Simulator } from "../engine.ts";
import { RaceChain, type RaceTx } from "../raceChain.ts";
import { Rng } from "../rng.ts";
import { mean, percentile, r } from "../stats.ts";
import { spreadLinks, Wan } from "../wan.ts";

export interface RaceCycleOptions {
  seed: string;
  miners: number;
  validators: number;
  /** Miners whose VRF verifier selection runs for real; the rest are scaled from them. */
  vrfSample: number;
  /** Fraction of miners that reveal a false nonce and are claimed. */
  cheaters: number;
  /** Median miner speed, nonces/s (log-normal, σ = 1). */
  medianNoncesPerSec: number;
  /** One batched verification forward pass of the mainnet model (1/57 s on this CPU, bench:race-cycle). */
  passMs: number;
  /** Block interval (the finality scenario at 150 validators: 5 s pause + ~0.55 s to decide). */
  blockMs: number;
  /** Report wall-clock application times (not deterministic). */
  measure: boolean;
}

export const defaultRaceCycleOptions: RaceCycleOptions = {
  seed: "racecoin",
  miners: 1000,
  validators: 150,
  vrfSample: 1000,
  cheaters: 0.005,
  medianNoncesPerSec: 300,
  passMs: 17.5,
  blockMs: 5550,
  measure: false,
};

const SENDER_RECOVERY_MS = 0.48; // tiny-secp256k1, 2,100 recoveries/s on one core (design brief)

export function runRaceCycle(o: RaceCycleOptions): Record<string, unknown> {
  const p = mainnet;
  const w = p.windows;
  const L = p.cycleLength;
  const CYCLE = 1;
  const start = CYCLE * L;
  const rng = new Rng(o.seed);
  const sim = new Simulator();
  const chain = new RaceChain(p, 7227n);
  const V = o.validators;
  const M = o.miners;
  // Nodes 0..V-1 are validators, V..V+M-1 miners.
  const wan = new Wan(sim, rng.fork("wan"), [
    ...spreadLinks(V, rng.fork("vregions"), 100, 100),
    ...spreadLinks(M, rng.fork("mregions"), 20, 50),
  ]);
  const keyRng = rng.fork("keys");
  const vkeys = Array.from({ length: V }, () => blsKeyFromIkm(keyRng.bytes(32)));
  const vaddr = Array.from({ length: V }, (_, i) => addr(0xa0, i));
  chain.setValidators(
    CYCLE,
    vaddr.map((address, i) => ({ address, weight: 1000n, blsKey: vkeys[i]!.publicKey })),
  );
  for (const a of vaddr) chain.fund(a, 10n ** 24n);
  const timeOf = (h: number) => (h - start) * o.blockMs;

  // Miners: speed → proofs; the proof set, its tree and commitment.
  const mrng = rng.fork("miners");
  const miners = Array.from({ length: M }, (_, i) => {
    const speed = o.medianNoncesPerSec * Math.exp(mrng.normal());
    const raceSeconds = ((w.raceEnd - w.raceStart) * p.blockTimeMs) / 1000;
    const passes = Math.round(speed * raceSeconds);
    const count = Math.max(1, Math.round(passes / p.race.successRate));
    const set = new Set<bigint>();
    while (set.size < count) set.add(BigInt(mrng.nextU32()) * 256n + BigInt(mrng.int(256)));
    const nonces = [...set].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    return { address: addr(0x30, i), node: V + i, passes, nonces, cheat: mrng.next() < o.cheaters };
  });

  // Mempool and blocks.
  const mempool: { tx: RaceTx; arrived: number; from: number }[] = [];
  const blocks: {
    height: number;
    txs: number;
    bytes: number;
    gas: bigint;
    applyMs: number;
    byMethod: Record<string, number>;
  }[] = [];
  const bytesByMethod: Record<string, number> = {};
  const countByMethod: Record<string, number> = {};
  const errors: string[] = [];
  const onIncluded = new Map<RaceTx, (height: number) => void>();
  const windowOpen = (m: string, off: number) =>
    m === "commit"
      ? off >= w.raceStart && off < w.commitDeadline
      : m === "reveal"
        ? off >= w.revealStart && off < w.revealEnd
        : off >= w.revealStart && off < w.fraudEnd;

  const send = (fromNode: number, tx: RaceTx, then?: (h: number) => void) => {
    const to = rng.int(V);
    if (then) onIncluded.set(tx, then);
    // To a validator, then one mempool gossip hop to the proposer (~ a median WAN one-way delay).
    wan.send(fromNode, to, tx.bytes, () =>
      sim.after(60, () => mempool.push({ tx, arrived: sim.now, from: fromNode })),
    );
  };

  const produce = (h: number) => {
    const off = h - start;
    // Seeds come from beacon rounds that open inside their window (round × roundInterval): the race
    // seed from the round opening with the race window, the sample randomness from the first round
    // opening at or after the commit deadline (spec/race-cycle.md §Seeds); each lands as it opens.
    if (off === w.raceStart) chain.beaconOutput(h, rng.bytes(32));
    if (h === sampleHeight) chain.beaconOutput(h, rng.bytes(32));
    let gas = 0n;
    let bytes = 0;
    let applyMs = 0;
    const byMethod: Record<string, number> = {};
    const keep: typeof mempool = [];
    const included: RaceTx[] = [];
    for (const e of mempool) {
      if (
        !windowOpen(e.tx.method, off) ||
        gas + e.tx.gas > p.blockGasLimit ||
        included.length >= p.maxBlockTxs
      ) {
        keep.push(e);
        continue;
      }
      gas += e.tx.gas;
      bytes += e.tx.bytes;
      const res = chain.apply(h, e.tx);
      applyMs += res.ms + SENDER_RECOVERY_MS;
      if (res.error) errors.push(`${e.tx.method}: ${res.error}`);
      byMethod[e.tx.method] = (byMethod[e.tx.method] ?? 0) + 1;
      bytesByMethod[e.tx.method] = (bytesByMethod[e.tx.method] ?? 0) + e.tx.bytes;
      countByMethod[e.tx.method] = (countByMethod[e.tx.method] ?? 0) + 1;
      included.push(e.tx);
    }
    mempool.length = 0;
    mempool.push(...keep);
    applyMs += chain.endBlock(h);
    blocks.push({ height: h, txs: included.length, bytes, gas, applyMs, byMethod });
    for (const t of included) onIncluded.get(t)?.(h);
  };
  for (let h = start; h <= start + w.fraudEnd; h++) sim.at(timeOf(h), () => produce(h));

  // The race: each miner commits when its window ends (tree built), within 20 s.
  const trees = new Map<number, ReturnType<typeof buildTree>>();
  for (const [i, m] of miners.entries()) {
    sim.at(timeOf(start + w.raceEnd) + rng.next() * 20_000, () => {
      const tree = buildTree(m.nonces);
      trees.set(i, tree);
      const c = commit(m.nonces);
      send(m.node, chain.tx("commit", m.address, { count: c.count, root: c.root }));
    });
  }
  // Reveals: once the reveal window opens, within 60 s; the sampled indices from the sample seed.
  let randomness: Uint8Array | undefined;
  const vrfMiners = new Set(
    rng
      .fork("vrf")
      .shuffle([...miners.keys()])
      .slice(0, Math.min(M, o.vrfSample)),
  );
  let chosenPairs = 0;
  let verificationPasses = 0;
  let judgePasses = 0;
  /** A claim is decided once judges past a third of the weight agree. */
  const judges = Math.floor(V / 3) + 1;
  const verifierBusyUntil = new Array<number>(V).fill(0);
  const verifierPasses = new Array<number>(V).fill(0);
  const attestLatency: number[] = [];
  // The sample randomness lands with the first beacon round opening at or after the commit
  // deadline; miners reveal once they have read it.
  const sampleHeight =
    Math.ceil((start + w.commitDeadline) / p.beacon.roundInterval) * p.beacon.roundInterval;
  sim.at(timeOf(sampleHeight) + 1, () => {
    randomness = raceSampleSeeds.get(storeIn(chain.state, race), CYCLE);
  });
  for (const [i, m] of miners.entries()) {
    sim.at(
      Math.max(timeOf(start + w.revealStart) - 3000, timeOf(sampleHeight) + 2) + rng.next() * 60_000,
      () => {
        const count = m.nonces.length;
        const sampled = sampleIndices(randomness!, m.address, count, p.race.samples);
        const nonces = sampled.map((index) => ({ index, nonce: m.nonces[index]! }));
        const tx = chain.tx("reveal", m.address, { nonces, proof: multiproof(trees.get(i)!, sampled) });
        send(m.node, tx, (h) => onRevealed(i, h, nonces));
      },
    );
  }
  const onRevealed = (i: number, h: number, nonces: { index: number; nonce: bigint }[]) => {
    const m = miners[i]!;
    if (m.cheat) {
      // A watcher (validator 0) finds the false nonce and claims it; validators judge in turn.
      const claim = chain.tx("fraudNonce", vaddr[0]!, {
        miner: m.address,
        index: nonces[0]!.index,
        nonce: nonces[0]!.nonce,
        proof: [],
      });
      send(0, claim, (hc) => {
        for (let j = 0; j < judges; j++)
          sim.at(timeOf(hc) + o.passMs + j * 10, () =>
            send(j, chain.tx("judge", vaddr[j]!, { miner: m.address, index: nonces[0]!.index, fraud: 1 })),
          );
      });
      judgePasses += judges;
    }
    if (!vrfMiners.has(i)) return;
    const input = raceVerifierInput(randomness!, CYCLE, m.address);
    for (let v = 0; v < V; v++) {
      const { proof, output } = vrfProve(vkeys[v]!.secretKey, RACE_VERIFY_DOMAIN, input);
      if (!selectedByWeight(output, 1000n, 1000n * BigInt(V), BigInt(p.raceVerifiers))) continue;
      chosenPairs++;
      verificationPasses += nonces.length;
      verifierPasses[v]! += nonces.length;
      const begin = Math.max(timeOf(h) + 300, verifierBusyUntil[v]!);
      verifierBusyUntil[v] = begin + nonces.length * o.passMs;
      const sentAt = verifierBusyUntil[v]!;
      sim.at(sentAt, () =>
        send(v, chain.tx("attest", vaddr[v]!, { miner: m.address, proof }), (ha) =>
          attestLatency.push(timeOf(ha) - timeOf(h)),
        ),
      );
    }
  };

  sim.run(timeOf(start + w.fraudEnd) + 1);

  const store = storeIn(chain.state, race);
  const settledWeights = raceWeights(store, CYCLE);
  const scale = M / Math.max(1, Math.min(M, o.vrfSample));
  const racePasses = miners.reduce((s, m) => s + m.passes, 0);
  const busiest = [...blocks]
    .sort((a, b) => (a.gas === b.gas ? a.height - b.height : a.gas > b.gas ? -1 : 1))
    .slice(0, 3);
  const cycleSeconds = (L * o.blockMs) / 1000;
  const onChain = Object.fromEntries(
    Object.entries(bytesByMethod)
      .sort()
      .map(([k, v]) => [k, { txs: countByMethod[k], bytes: v }]),
  );
  const attestBytesEach = (bytesByMethod.attest ?? 0) / Math.max(1, countByMethod.attest ?? 0);
  const summary: Record<string, unknown> = {
    scenario: "race-cycle",
    seed: o.seed,
    miners: M,
    validators: V,
    blockSeconds: o.blockMs / 1000,
    cycleBlocks: L,
    proofsPerMiner: {
      p50: percentile(
        miners.map((m) => m.nonces.length),
        50,
      ),
      p99: percentile(
        miners.map((m) => m.nonces.length),
        99,
      ),
    },
    onChainBytesPerCycle: onChain,
    attestationsScaledToAllMiners: {
      txs: Math.round((countByMethod.attest ?? 0) * scale),
      bytes: Math.round((countByMethod.attest ?? 0) * scale * attestBytesEach),
    },
    vrfSampledMiners: Math.min(M, o.vrfSample),
    verifiersPerMiner: r(chosenPairs / Math.max(1, Math.min(M, o.vrfSample)), 2),
    busiestBlocks: busiest.map((b) => ({
      offset: b.height - start,
      txs: b.txs,
      bytes: b.bytes,
      gas: Number(b.gas),
      byMethod: b.byMethod,
      ...(o.measure ? { applyMs: r(b.applyMs, 1) } : {}),
    })),
    mempoolLeftAtEnd: mempool.length,
    failedCalls: errors.length,
    firstErrors: errors.slice(0, 3),
    settled: raceSettled.get(store, CYCLE) ?? 0,
    minersWithWeight: settledWeights.filter(([, x]) => x > 0n).length,
    cheaters: miners.filter((m) => m.cheat).length,
    verification: {
      racePasses,
      verificationPassesScaled: Math.round(verificationPasses * scale + judgePasses),
      judgePasses,
      ratio: r((verificationPasses * scale + judgePasses) / racePasses, 6),
      // Every miner and every verifier calibrates the cycle's threshold once (race.md §Threshold).
      calibrationPasses: (M + V) * p.race.calibrationNonces,
      ratioWithCalibration: r(
        (verificationPasses * scale + judgePasses + (M + V) * p.race.calibrationNonces) / racePasses,
        6,
      ),
      passesPerValidatorScaled: {
        mean: Math.round(mean(verifierPasses) * scale),
        max: Math.round(Math.max(...verifierPasses) * scale),
      },
      attestInclusionSeconds: {
        p50: r(percentile(attestLatency, 50) / 1000, 1),
        p99: r(percentile(attestLatency, 99) / 1000, 1),
      },
    },
    perNodeAverageKBps: {
      onChainTxBytesOverCycle: r(
        Object.values(bytesByMethod).reduce((s, x) => s + x, 0) / cycleSeconds / 1024,
        2,
      ),
    },
    simulatedSeconds: r(sim.now / 1000, 0),
  };
  return summary;
}

function addr(tag: number, i: number): Address {
  const a = new Uint8Array(20);
  a[0] = tag;
  new DataView(a.buffer).setUint32(16, i + 1);
  return a;
}
