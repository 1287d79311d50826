// The model registry: the built-in model's generated weights hash to the registry's value, the
// genesis section is checked with clear reasons, and the default registry lists the built-in.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { BUILTIN_MODEL, modelList, models, registeredModels } from "../../contracts/index.ts";
import { ExactModel } from "../../src/inference/index.ts";
import { minimal } from "../../src/params/index.ts";
import { StateOverlay, storeIn, WorldState } from "../../src/state/index.ts";
import { toHex } from "../../src/types/index.ts";

function genesisWith(section: unknown) {
  const state = new StateOverlay(new WorldState());
  const store = storeIn(state, models);
  models.genesis!({
    chainId: 1n,
    preset: minimal,
    validators: [],
    section,
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
    assert.deepEqual(modelList(genesisWith(undefined)), [BUILTIN_MODEL]);
    const store = genesisWith([
      {
        id: "other-model",
        weightsHash: `0x${"ab".repeat(32)}`,
        contextLength: 4096,
        unitsPerToken: 3,
        verification: "tolerance",
      },
    ]);
    assert.equal(registeredModels.keys(store).length, 1);
    assert.equal(modelList(store)[0]!.unitsPerToken, 3);
  });

  it("refuses bad sections with the reason", () => {
    const bad: [unknown, RegExp][] = [
      [{}, /expected a list/],
      [[{ id: "Bad Id", weightsHash: `0x${"00".repeat(32)}` }], /id: lower-case/],
      [
        [{ id: "m", weightsHash: "0x12", contextLength: 1, unitsPerToken: 1, verification: "exact" }],
        /weightsHash/,
      ],
      [
        [
          {
            id: "m",
            weightsHash: `0x${"00".repeat(32)}`,
            contextLength: 0,
            unitsPerToken: 1,
            verification: "exact",
          },
        ],
        /contextLength/,
      ],
      [
        [
          {
            id: "m",
            weightsHash: `0x${"00".repeat(32)}`,
            contextLength: 8,
            unitsPerToken: 1,
            verification: "fuzzy",
          },
        ],
        /verification/,
      ],
    ];
    for (const [section, reason] of bad) assert.throws(() => genesisWith(section), reason);
  });
});
