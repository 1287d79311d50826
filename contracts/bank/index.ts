/**
 * bank: the simplest module, proving the module-call path. `transfer` moves native coin like a
 * plain transfer but through a module call; `memo` records nothing and always succeeds;
 * the `account` query reads an account (used by eth_call).
 */

import { address20, bytes, quantity, struct } from "../../src/encoding/index.ts";
import { BANK_MODULE_ADDRESS } from "../../src/params/index.ts";
import type { Account, Address } from "../../src/types/index.ts";
import { emit, event } from "../events.ts";
import { type Module, ModuleError } from "../module.ts";

export interface TransferArgs {
  to: Address;
  amount: bigint;
}
export const transferArgs = struct<TransferArgs>("bank.transfer", { to: address20, amount: quantity });
export const memoArgs = struct<{ memo: Uint8Array }>("bank.memo", { memo: bytes({ max: 256 }) });
export const accountQueryArgs = struct<{ address: Address }>("bank.account", { address: address20 });
export const accountQueryResult = struct<Account>("bank.account.result", {
  nonce: quantity,
  balance: quantity,
});

/** Logged by `transfer` (spec/events.md), the ERC-20 shape so wallets and explorers read it. */
export const Transfer = event("Transfer(address indexed from, address indexed to, uint256 value)");

export const bank: Module = {
  id: 1,
  name: "bank",
  address: BANK_MODULE_ADDRESS,
  methods: {
    transfer: {
      args: transferArgs,
      gas: 9_000n,
      execute(ctx, args: TransferArgs) {
        const from = ctx.state.getAccount(ctx.sender);
        if (from.balance < args.amount) throw new ModuleError("insufficient balance for transfer");
        ctx.state.setAccount(ctx.sender, { ...from, balance: from.balance - args.amount });
        const to = ctx.state.getAccount(args.to);
        ctx.state.setAccount(args.to, { ...to, balance: to.balance + args.amount });
        emit(ctx, Transfer, ctx.sender, args.to, args.amount);
      },
    },
    memo: {
      args: memoArgs,
      gas: 0n,
      execute() {},
    },
  },
  queries: {
    account: {
      args: accountQueryArgs,
      result: accountQueryResult,
      run: (ctx, args: { address: Address }) => ctx.state.getAccount(args.address),
    },
  },
};
