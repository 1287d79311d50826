// The model registry: the built-in model's generated weights hash to the registry's value, the
// genesis section is checked with clear reasons, and the default registry lists the built-in.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  BUILTIN_MODEL,
  FLOAT_MODEL,
  type Module,
  modelList,
  models,
  race,
  raceSettled,
  raceWeightStore,
  registeredModels,
  unitPriceAt,
  weightedMedian,
} from "../../contracts/index.ts";
import { ExactModel, filesHash } from "../../src/inference/index.ts";
import { minimal } from "../../src/params/index.ts";
import { blockInfo, moduleContext, StateOverlay, storeIn, WorldState } from "../../src/state/index.ts";
import { type Address, toHex, ZERO_ADDRESS } from "../../src/types/index.ts";
import { devAddresses } from "../helpers/chain.ts";

function genesisWith(section: unknown) {
  const state = new StateOverlay(new WorldState());
  const store = storeIn(state, models);
  models.genesis!({
    chainId: 1n,
    preset: minimal,
    validators: [],
    section,
    allocated: 0n,
    state: { getAccount: (a) => state.getAccount(a), setAccount: (a, v) => state.setAccount(a, v) },
    store,
  });
  return store;
}

describe("model registry", () => {
  it("the built-in model's weights hash to the registry entry", () => {
    assert.equal(new ExactModel().spec.weightsHash, toHex(BUILTIN_MODEL.weightsHash));
  });

  it("genesis lists the built-in by default, or the section's models", () => {
    assert.deepEqual(
      modelList(genesisWith(undefined)).map((m) => m.id),
      [BUILTIN_MODEL.id, FLOAT_MODEL.id].sort(),
    );
    const files = [{ name: "model.onnx", sha256: `0x${"cd".repeat(32)}` }];
    const store = genesisWith({
      unitPrice: "5",
      models: [
        {
          id: "other-model",
          weightsHash: filesHash(files),
          contextLength: 4096,
          unitsPerToken: 3,
          verification: "tolerance",
          files,
        },
      ],
    });
    assert.equal(registeredModels.keys(store).length, 1);
    assert.equal(modelList(store)[0]!.unitsPerToken, 3);
    assert.equal(toHex(modelList(store)[0]!.files[0]!.sha256), files[0]!.sha256);
  });

  it("refuses bad sections with the reason", () => {
    const zero = `0x${"00".repeat(32)}`;
    const model = (o: object) => ({
      models: [
        { id: "m", weightsHash: zero, contextLength: 8, unitsPerToken: 1, verification: "exact", ...o },
      ],
    });
    const bad: [unknown, RegExp][] = [
      [[], /expected an object/],
      [{ models: {} }, /expected a list/],
      [{ unitPrice: 5 }, /unitPrice/],
      [model({ id: "Bad Id" }), /id: lower-case/],
      [model({ weightsHash: "0x12" }), /weightsHash/],
      [model({ contextLength: 0 }), /contextLength/],
      [model({ verification: "fuzzy" }), /verification/],
      [model({ verification: "tolerance" }), /a tolerance-class model lists its files/],
      [model({ files: [{ name: "model.onnx", sha256: zero }] }), /weightsHash: the files hash to 0x/],
      [model({ files: [{ name: "../x", sha256: zero }] }), /files\[0\]\.name/],
      [model({ files: [{ name: "a", sha256: "0x1" }] }), /files\[0\]\.sha256/],
    ];
    for (const [section, reason] of bad) assert.throws(() => genesisWith(section), reason);
  });

  it("price: miners with weight vote, the weighted median sets the next cycle's price, non-voters count at the current price", () => {
    const state = new StateOverlay(new WorldState());
    const ctx = (height: number, module: Module = models) =>
      moduleContext(blockInfo({ chainId: 1n, preset: minimal }, height, ZERO_ADDRESS), state, module);
    models.genesis!({
      chainId: 1n,
      preset: minimal,
      validators: [],
      section: { unitPrice: "100" },
      allocated: 0n,
      state: { getAccount: (a) => state.getAccount(a), setAccount: (a, v) => state.setAccount(a, v) },
      store: storeIn(state, models),
    });
    const [a, b, c, outsider] = [1, 2, 3, 9].map((i) => devAddresses[i]!) as [
      Address,
      Address,
      Address,
      Address,
    ];
    // Cycle 1's voters are cycle 0's settled race weights: a 5, b 3, c 4 (total 12, half 6).
    const raceStore = storeIn(state, race);
    raceSettled.set(raceStore, 0, 1);
    for (const [m, w] of [
      [a, 5n],
      [b, 3n],
      [c, 4n],
    ] as const)
      raceWeightStore.set(raceStore, [0, m], w);
    const L = minimal.cycleLength;
    const vote = (who: Address, price: bigint) =>
      models.methods.votePrice!.execute({ ...ctx(L + 1), sender: who, emit: () => {} }, { price });
    vote(b, 50n);
    vote(c, 300n);
    assert.throws(() => vote(outsider, 1n), /only miners with race weight in cycle 1/);
    assert.throws(() => vote(a, 0n), /price must be 1 to 10\^30/);
    // Sorted: b 50 (3), a 100 (5, never voted: counts at the current 100), c 300 (4): 3 < 6 ≤ 8 → 100.
    models.endCycle!(ctx(2 * L - 1));
    assert.equal(unitPriceAt(storeIn(state, models), 2), 100n);
    vote(a, 40n);
    models.endCycle!(ctx(2 * L - 1));
    // b 50 (3) … now a 40 (5) first: 5 < 6, then b 50: 8 ≥ 6 → 50.
    assert.equal(unitPriceAt(storeIn(state, models), 2), 50n);
    assert.equal(weightedMedian([]), undefined);
  });
});
