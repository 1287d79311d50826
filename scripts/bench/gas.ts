// bench:gas — the worst CPU time per unit of gas of every module method, and the time of every
// module hook, over hostile arguments, on the mainnet preset (spec/fees.md §Gas ceiling).
//
// Every method of every module runs with arguments generated from its own codec — all fields at
// their smallest, all at their largest that still fit a transaction, and random ones — at a height
// in each race window, plus hand-made worst cases where a method's cost depends on state (a race
// reveal of 32 full paths against a commitment of 2^32 − 1 leaves, fraud paths of 32 nodes, a
// judgement against a 150-member set). Each call is decoded from its call data and executed on a
// scratch overlay as the state transition does; refused calls count (they pay gas too). Time per
// gas = (decode + execute) ÷ (intrinsic gas of the call data + the method's gas).
//
// Ceiling (one threshold for all): a block of 60M gas filled with the worst call must apply in
// ≤ 10% of mainnet's 5 s block time, i.e. ≤ 8.33 ns of CPU per gas on this machine. The hooks
// (endBlock, endCycle) are paid by no one: their time is reported against the same 500 ms budget.
// Usage: npm run bench:gas -- [--repeat 5] [--random 3]
import { randomBytes } from "node:crypto";
import { parseArgs } from "node:util";
import {
  defaultModules,
  ENVELOPE_VERSION,
  envelopeCodec,
  FLOAT_MODEL,
  type Module,
  methodGas,
  RaceClaimState,
  raceClaims,
  raceCommits,
  raceOpenClaims,
  raceSampleSeeds,
  raceSeeds,
  resolveCall,
  TaskStatus,
  disputes as taskDisputes,
  tasks as taskRecords,
  validatorSets,
  validators,
} from "../../contracts/index.ts";
import { type Codec, encode } from "../../src/encoding/index.ts";
import { ExactModel, generate, payloadHash, type TaskPayload } from "../../src/inference/index.ts";
import { mainnet } from "../../src/params/index.ts";
import { MAX_NONCE, sampleIndices } from "../../src/race/index.ts";
import { StateOverlay, storeIn } from "../../src/state/index.ts";
import { intrinsicGas } from "../../src/tx/index.ts";
import type { Address } from "../../src/types/index.ts";
import { devAddresses } from "../../test/helpers/chain.ts";
import { type Mode, valueFor } from "../../test/helpers/hostileArgs.ts";
import { tasksHarness } from "../../test/helpers/tasksModule.ts";
import { report } from "./report.ts";

const { values } = parseArgs({
  options: { repeat: { type: "string", default: "5" }, random: { type: "string", default: "3" } },
});
const REPEAT = Number(values.repeat);
const RANDOM = Number(values.random);
const preset = mainnet;
const CEILING_NS_PER_GAS = (0.1 * preset.blockTimeMs * 1e6) / Number(preset.blockGasLimit);

// ---- State: every module's genesis, a 150-member set, a race under way in cycle 1 ----
const h = tasksHarness(
  Array.from({ length: 4 }, () => 100n),
  preset,
);
const L = preset.cycleLength;
const w = preset.windows;
const CYCLE = 1;
const start = CYCLE * L;
const members = Array.from({ length: preset.maxValidators }, (_, i) => ({
  address: new Uint8Array(20).fill(0).map((_, j) => (j === 0 ? 0xa0 : j === 1 ? i : 0)) as Address,
  weight: 100n + BigInt(i),
  blsKey: new Uint8Array(48).fill(i & 0xff),
}));
// The sender is the set's last member, so a judgement scans the whole set.
validatorSets.set(storeIn(h.state, validators), CYCLE, [
  ...members.slice(0, -1),
  { ...members[0]!, address: devAddresses[0]! },
]);
const race = defaultModules.modules.find((m) => m.name === "race")!;
const rs = storeIn(h.state, race);
raceSeeds.set(rs, CYCLE, new Uint8Array(32).fill(1));
const sampleSeed = new Uint8Array(32).fill(2);
raceSampleSeeds.set(rs, CYCLE, sampleSeed);
const sender = devAddresses[0]!;
const target = devAddresses[1]!;
const MAX_COUNT = 0xffffffff;
for (const a of [sender, target])
  raceCommits.set(rs, [CYCLE, a], { count: MAX_COUNT, root: randomBytes(32), height: start + w.raceStart });

const heights = [
  start + w.raceStart + 1,
  start + w.revealStart + 1,
  start + w.claimEnd - 1,
  start + w.fraudEnd - 1,
  start + L - 1,
];

// ---- Measuring ----
interface Row {
  module: string;
  method: string;
  worst: string;
  gas: number;
  nsPerGas: number;
  ms: number;
  refusal: string;
}
const rows: Row[] = [];
const envelope = (method: string, args: Uint8Array) =>
  encode(envelopeCodec, { version: ENVELOPE_VERSION, method, args });

function measure(
  module: Module,
  method: string,
  args: unknown,
  label: string,
  from: Address = sender,
  at: number[] = heights,
) {
  let argBytes: Uint8Array;
  try {
    argBytes = encode(module.methods[method]!.args, args);
  } catch {
    return; // the generator made something the codec cannot carry: not a transaction
  }
  const data = envelope(method, argBytes);
  for (const height of at) {
    let best = Number.POSITIVE_INFINITY;
    let gas = 0n;
    let refusal = "";
    for (let r = 0; r < REPEAT; r++) {
      const scratch = new StateOverlay(h.state);
      const t = process.hrtime.bigint();
      try {
        const call = resolveCall(module, data);
        gas = intrinsicGas({ data, accessList: [] }) + methodGas(call);
        const ctx = h.ctx(height, module);
        call.def.execute(
          {
            ...ctx,
            state: {
              getAccount: (a) => scratch.getAccount(a),
              setAccount: (a, v) => scratch.setAccount(a, v),
            },
            store: storeIn(scratch, module),
            storeOf: (m) => storeIn(scratch, m),
            sender: from,
            emit: () => {},
          },
          call.args,
        );
        refusal = "";
      } catch (e) {
        refusal = (e as Error).message.slice(0, 60);
        if (gas === 0n) gas = intrinsicGas({ data, accessList: [] });
      }
      const dt = Number(process.hrtime.bigint() - t);
      if (dt < best) best = dt;
    }
    const nsPerGas = best / Number(gas);
    const key = `${module.name}.${method}`;
    const prev = rows.find((x) => `${x.module}.${x.method}` === key);
    const row = {
      module: module.name,
      method,
      worst: `${label} @${height - start}`,
      gas: Number(gas),
      nsPerGas,
      ms: best / 1e6,
      refusal,
    };
    if (!prev) rows.push(row);
    else if (nsPerGas > prev.nsPerGas) Object.assign(prev, row);
  }
}

for (const module of defaultModules.modules)
  for (const [method, def] of Object.entries(module.methods)) {
    for (const mode of ["zero", "max"] as Mode[])
      measure(module, method, valueFor(def.args as Codec<unknown>, mode), mode);
    for (let i = 0; i < RANDOM; i++)
      measure(module, method, valueFor(def.args as Codec<unknown>, "random"), "random");
  }

// Hand-made worst cases where the cost depends on state.
const sampled = sampleIndices(sampleSeed, sender, MAX_COUNT, preset.race.samples);
const node48 = () => randomBytes(48);
measure(
  race,
  "reveal",
  {
    nonces: sampled.map((index) => ({ index, nonce: BigInt(index) & MAX_NONCE })),
    proof: Array.from({ length: sampled.length * 32 }, node48),
  },
  "32 full paths vs count 2^32−1",
);
for (const m of ["fraudNonce", "fraudOrder"])
  measure(
    race,
    m,
    { miner: target, index: MAX_COUNT - 1, nonce: MAX_NONCE, proof: Array.from({ length: 32 }, node48) },
    "32-node path vs count 2^32−1",
  );
measure(race, "judge", { miner: target, index: 5, fraud: 1 }, "150-member set, no claim");

// A busy settlement: 1,000 more commitments, each revealed-looking, and 1,000 claims still pending
// (each paid a bond and gas), lapsed by the race module's endBlock at fraudEnd.
for (let i = 0; i < 1000; i++) {
  const miner = new Uint8Array(20)
    .fill(0)
    .map((_, j) => (j === 0 ? 0xb0 : j < 3 ? (i >> (8 * (j - 1))) & 0xff : 0)) as Address;
  raceCommits.set(rs, [CYCLE, miner], {
    count: 1000 + i,
    root: randomBytes(32),
    height: start + w.raceStart,
  });
  raceClaims.set(rs, [[CYCLE, miner], i], {
    by: sender,
    nonce: BigInt(i),
    bond: preset.raceFraudBond,
    height: start + w.revealStart,
    fraud: 0n,
    valid: 0n,
    state: RaceClaimState.pending,
  });
  raceOpenClaims.set(rs, [[CYCLE, miner], i], 1);
}
h.state.setAccount(race.address, {
  ...h.state.getAccount(race.address),
  balance: 1000n * preset.raceFraudBond,
});

// The market's state-dependent worst cases, in cycle 2, whose set is 1,000 light members and the
// sender (weight 1 each): a dispute's panel fills all 256 seats; an exact re-run of an honest
// payload at the full 256-token context (`fraud`, refused: no fraud).
{
  const C2 = 2 * L;
  const light = Array.from({ length: 1000 }, (_, i) => ({
    address: new Uint8Array(20)
      .fill(0)
      .map((_, j) => (j === 0 ? 0xc0 : j < 3 ? (i >> (8 * (j - 1))) & 0xff : 0)) as Address,
    weight: 1n,
    blsKey: new Uint8Array(48),
  }));
  validatorSets.set(storeIn(h.state, validators), 2, [
    ...light,
    { address: sender, weight: 1n, blsKey: new Uint8Array(48) },
  ]);
  h.beaconOutput(C2 + 1, new Uint8Array(32).fill(0x77));
  const tasksMod = defaultModules.modules.find((m) => m.name === "tasks")!;
  const ts = storeIn(h.state, tasksMod);
  const record = (payload: TaskPayload, model: string) => ({
    executor: light[0]!.address,
    intermediary: light[1]!.address,
    model,
    payloadHash: payloadHash(payload),
    fee: 0n,
    cycle: 2,
    height: C2 + 2,
    status: TaskStatus.checking,
    verifier: sender,
    deadline: C2 + L,
    drawRound: 1,
    checkMilli: 1000,
    payer: light[2]!.address,
    round: 1,
    attempt: 0,
  });
  const model = new ExactModel();
  const prompt = Uint8Array.from({ length: 200 }, (_, i) => 32 + (i % 90));
  const answer = generate(model, prompt, 55, { temperatureMilli: 0, topPMilli: 1000, seed: 0n });
  const full: TaskPayload = {
    prompt,
    maxTokens: 55,
    temperatureMilli: 0,
    topPMilli: 1000,
    seed: 0n,
    tokens: Uint8Array.from(answer.tokens),
    finish: answer.finishReason,
    positions: [],
  };
  const exactId = new Uint8Array(32).fill(0xe1);
  taskRecords.set(ts, exactId, record(full, model.spec.id));
  const floatId = new Uint8Array(32).fill(0xf1);
  taskRecords.set(ts, floatId, record(full, FLOAT_MODEL.id));
  const at = [C2 + 10];
  measure(
    tasksMod,
    "fraud",
    { taskId: exactId, payload: full },
    `honest ${prompt.length}+${answer.tokens.length}-token payload`,
    sender,
    at,
  );
  measure(
    tasksMod,
    "publish",
    { taskId: exactId, payload: full },
    "no claim (refused before the re-run)",
    sender,
    at,
  );
  measure(tasksMod, "dispute", { taskId: floatId }, "panel of 256 among 1,001 light members", sender, at);
  // The deciding vote of a full panel: 254 votes cast, split evenly; the 255th decides and records
  // every voter.
  const voteId = new Uint8Array(32).fill(0xd1);
  const seats = light.slice(0, 256).map((m) => m.address);
  taskRecords.set(ts, voteId, {
    ...record(full, FLOAT_MODEL.id),
    status: TaskStatus.disputed,
    verifier: seats[0]!,
  });
  taskDisputes.set(ts, voteId, {
    panel: seats.map((address) => ({ address, weight: 1n })),
    votes: seats.slice(0, 254).map((address, i) => ({ address, fraud: i % 2 })),
  });
  measure(
    tasksMod,
    "vote",
    { taskId: voteId, fraud: 0 },
    "the deciding vote of a 256-seat panel",
    seats[254]!,
    at,
  );
}

// ---- Hooks ----
interface HookRow {
  hook: string;
  ms: number;
  at: string;
}
const hooks: HookRow[] = [];
for (const module of defaultModules.modules)
  for (const hook of ["beginBlock", "endBlock", "endCycle"] as const) {
    const f = module[hook];
    if (!f) continue;
    let worst = 0;
    let at = "";
    for (const height of hook === "endCycle" ? [start + L - 1] : heights.concat(start + w.fraudEnd)) {
      const scratch = new StateOverlay(h.state);
      const ctx = h.ctx(height, module);
      const t = process.hrtime.bigint();
      f({
        ...ctx,
        state: { getAccount: (a) => scratch.getAccount(a), setAccount: (a, v) => scratch.setAccount(a, v) },
        store: storeIn(scratch, module),
        storeOf: (m) => storeIn(scratch, m),
      });
      const ms = Number(process.hrtime.bigint() - t) / 1e6;
      if (ms >= worst) {
        worst = ms;
        at = `@${height - start}`;
      }
    }
    hooks.push({ hook: `${module.name}.${hook}`, ms: +worst.toFixed(3), at });
  }

rows.sort((a, b) => b.nsPerGas - a.nsPerGas);
const out = (s: string) => process.stderr.write(`${s}\n`);
out(`ceiling: ${CEILING_NS_PER_GAS.toFixed(2)} ns/gas (60M gas in 10% of a 5 s block)`);
out("| method | worst arguments @ cycle offset | gas | CPU | ns/gas | within |");
out("| --- | --- | --- | --- | --- | --- |");
for (const r of rows)
  out(
    `| ${r.module}.${r.method} | ${r.worst}${r.refusal ? ` (refused: ${r.refusal})` : ""} | ${r.gas} | ${r.ms.toFixed(3)} ms | ${r.nsPerGas.toFixed(2)} | ${r.nsPerGas <= CEILING_NS_PER_GAS ? "yes" : "NO"} |`,
  );
out("| hook | worst at | time |");
out("| --- | --- | --- |");
for (const k of hooks) out(`| ${k.hook} | ${k.at} | ${k.ms} ms |`);
const over = rows.filter((r) => r.nsPerGas > CEILING_NS_PER_GAS);
report({
  bench: "gas",
  preset: preset.name,
  methods: rows.map((r) => ({
    method: `${r.module}.${r.method}`,
    nsPerGas: +r.nsPerGas.toFixed(3),
    gas: r.gas,
    worst: r.worst,
  })),
  hooksMs: Object.fromEntries(hooks.map((k) => [k.hook, k.ms])),
  overCeiling: over.map((r) => `${r.module}.${r.method}`),
  ceiling: { nsPerGas: +CEILING_NS_PER_GAS.toFixed(3) },
  ratio: +(rows[0]!.nsPerGas / CEILING_NS_PER_GAS).toFixed(3),
  target: "every method's worst ns/gas ≤ the ceiling (ratio ≤ 1)",
});
