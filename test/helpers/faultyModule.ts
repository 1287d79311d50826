// A test-only module whose methods fail the ways a module's bug would: an engine error, a store
// value its codec refuses, a log no receipt can carry, a refusal too long for the receipt, and a
// broken invariant. Each writes to its store first, so a test sees the write discarded. Never
// part of the product.
import {
  type CallContext,
  InvariantError,
  type MethodDef,
  type Module,
  ModuleError,
  StoreItem,
} from "../../contracts/index.ts";
import { list, struct, uint } from "../../src/encoding/index.ts";
import { moduleAddress } from "../../src/params/index.ts";

/** Written by every method before it fails; a failed call must leave it unset. */
export const touched = new StoreItem("touched", uint);
/** A list capped at 256, as the tasks module's dispute panel is. */
const capped = new StoreItem("capped", list(uint, 256));

const noArgs = struct<Record<string, never>>("faulty.none", {});

function failing(fail: (ctx: CallContext) => void): MethodDef<Record<string, never>> {
  return {
    args: noArgs,
    gas: 10_000n,
    execute(ctx) {
      touched.set(ctx.store, ctx.block.height);
      fail(ctx);
    },
  };
}

export const faultyModule: Module = {
  id: 901,
  name: "faulty",
  address: moduleAddress(901),
  methods: {
    typeError: failing(() => {
      throw new TypeError("Cannot read properties of undefined (reading 'weight')");
    }),
    // The codec refuses 300 items with an EncodingError, not a ModuleError.
    overlongList: failing((ctx) =>
      capped.set(
        ctx.store,
        Array.from({ length: 300 }, (_, i) => i),
      ),
    ),
    // Five topics: the receipt's log codec carries at most four.
    badLog: failing((ctx) =>
      ctx.emit(
        Array.from({ length: 5 }, () => new Uint8Array(32)),
        new Uint8Array(0),
      ),
    ),
    longRefusal: failing(() => {
      throw new ModuleError(`refused: ${"≤".repeat(200)}`);
    }),
    notAnError: failing(() => {
      throw "a string, not an Error";
    }),
    invariant: failing(() => {
      throw new InvariantError("the module's account holds less than its ledger owes");
    }),
  },
  queries: {},
};
