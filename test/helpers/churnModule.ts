// A test-only module that proposes next-cycle validator weights directly, standing in for the
// race (which feeds the same `setNextWeight` at its cycle end). Never part of the product.
import { type Module, setNextWeight, validators as validatorsModule } from "../../contracts/index.ts";
import { address20, list, quantity, struct } from "../../src/encoding/index.ts";
import { moduleAddress } from "../../src/params/index.ts";
import type { Address } from "../../src/types/index.ts";

export interface WeightEntry {
  address: Address;
  weight: bigint;
}
export const setWeightsArgs = struct<{ weights: WeightEntry[] }>("churn.setWeights", {
  weights: list(struct<WeightEntry>("churn.weight", { address: address20, weight: quantity }), 64),
});

export const churnModule: Module = {
  id: 900,
  name: "churn",
  address: moduleAddress(900),
  methods: {
    setWeights: {
      args: setWeightsArgs,
      gas: 10_000n,
      execute(ctx, args: { weights: WeightEntry[] }) {
        for (const w of args.weights) setNextWeight(ctx.storeOf(validatorsModule), w.address, w.weight);
      },
    },
  },
  queries: {},
};
