// Every query of every default module answers, and its answer encodes with the query's own result
// codec, on a fresh chain's state (nothing settled, nothing stored for the asked keys): a query
// whose default answer misses a field would fail only over RPC, where the result is encoded.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { defaultModules } from "../../contracts/index.ts";
import { type Codec, encode } from "../../src/encoding/index.ts";
import { minimal } from "../../src/params/index.ts";
import { readStoreIn } from "../../src/state/index.ts";
import { tasksHarness } from "../helpers/tasksModule.ts";

function example(c: Codec<unknown>): unknown {
  if (c.fields) return Object.fromEntries(c.fields.map(([k, f]) => [k, example(f)]));
  if (c.item) return [];
  if (c.kind === "uint") return 0;
  if (c.kind === "quantity") return 0n;
  if (c.kind === "str") return "";
  if (c.kind.startsWith("bytes")) return new Uint8Array(c.kind.includes("20") ? 20 : 32);
  throw new Error(`no example for ${c.kind}`);
}

describe("module queries", () => {
  it("every query's default answer encodes with its result codec", () => {
    const h = tasksHarness();
    for (const m of defaultModules.modules)
      for (const [name, q] of Object.entries(m.queries)) {
        const ctx = {
          height: 1,
          preset: minimal,
          state: h.state,
          store: readStoreIn(h.state, m),
          storeOf: (x: { address: Uint8Array }) => readStoreIn(h.state, x),
        };
        assert.doesNotThrow(() => encode(q.result, q.run(ctx, example(q.args))), `${m.name}_${name}`);
      }
  });
});
