/**
 * CPU costs the simulator charges as simulated time where doing the work for real at every node
 * would take hours (a 150-validator height needs ~45,000 vote checks). The defaults were measured
 * on this project's 2-core machine with the real code (`npm run sim -- --calibrate` measures them
 * again); a scenario's summary is a function of the seed and these constants only, so runs are
 * byte-identical. Each simulated message is still checked for real once.
 */
import { blsAggregate, blsKeyFromIkm, blsSign, blsVerify, blsVerifyAggregate } from "../crypto/index.ts";

export interface SimCosts {
  /** One BLS signature check (blst): a vote, a proposal, a beacon partial. */
  blsVerifyMs: number;
  blsSignMs: number;
  /** Aggregating signatures into a certificate, per signature (decompression dominates). */
  aggregateMsPerSig: number;
  /** Decoding a proposal, per kB. */
  decodeBlockMsPerKb: number;
  /** Executing a transfer when importing or validating a block (bench:import, sender recovery included). */
  applyTxMs: number;
  /** Selecting and executing a transfer when building a block. */
  buildTxMs: number;
  /**
   * Per-height work of a real node beyond the above (block assembly, state root, database commit,
   * WAL, event loop): 0 by default; the namespace testnet measures it at zero latency.
   */
  heightOverheadMs: number;
}

/** Measured 2026-12-03 on the 2-core project machine (blst 2.2; bench:import 1,304–6,379 tx/s). */
export const defaultCosts: SimCosts = {
  blsVerifyMs: 1.02,
  blsSignMs: 0.34,
  aggregateMsPerSig: 0.076,
  decodeBlockMsPerKb: 0.02,
  applyTxMs: 0.3,
  buildTxMs: 0.3,
  heightOverheadMs: 0,
};

/** Measure the BLS costs on this machine (wall clock: for calibration only, never inside a run). */
export function measureCosts(samples = 200): Pick<
  SimCosts,
  "blsVerifyMs" | "blsSignMs" | "aggregateMsPerSig"
> & {
  aggregateVerifyMs: number;
} {
  const keys = Array.from({ length: samples }, (_, i) =>
    blsKeyFromIkm(new Uint8Array(32).fill((i % 250) + 1)),
  );
  const body = new Uint8Array(64).fill(7);
  let t = performance.now();
  const sigs = keys.map((k) => blsSign(k.secretKey, "vote", body));
  const blsSignMs = (performance.now() - t) / samples;
  t = performance.now();
  for (let i = 0; i < samples; i++) blsVerify(keys[i]!.publicKey, "vote", body, sigs[i]!);
  const blsVerifyMs = (performance.now() - t) / samples;
  t = performance.now();
  const agg = blsAggregate(sigs);
  const aggregateMsPerSig = (performance.now() - t) / samples;
  t = performance.now();
  blsVerifyAggregate(
    keys.map((k) => k.publicKey),
    "vote",
    body,
    agg,
  );
  const aggregateVerifyMs = performance.now() - t;
  return { blsVerifyMs, blsSignMs, aggregateMsPerSig, aggregateVerifyMs };
}
