import { type Account, type Address, addressKey } from "../types/index.ts";

export const EMPTY_ACCOUNT: Account = Object.freeze({ nonce: 0n, balance: 0n });

export interface AccountReader {
  getAccount(address: Address): Account;
}

/** Reads from a Map keyed by addressKey. */
export class MapAccountReader implements AccountReader {
  constructor(readonly accounts: ReadonlyMap<string, Account>) {}
  getAccount(address: Address): Account {
    return this.accounts.get(addressKey(address)) ?? EMPTY_ACCOUNT;
  }
}

export interface AccountChange {
  address: Address;
  account: Account;
}

/** Writes buffered over a reader; nested overlays let a failing module call be rolled back. */
export class StateOverlay implements AccountReader {
  readonly changes = new Map<string, AccountChange>();
  constructor(readonly base: AccountReader) {}

  getAccount(address: Address): Account {
    return this.changes.get(addressKey(address))?.account ?? this.base.getAccount(address);
  }

  setAccount(address: Address, account: Account): void {
    if (account.balance < 0n || account.nonce < 0n)
      throw new Error("state invariant: negative balance or nonce");
    this.changes.set(addressKey(address), { address, account });
  }

  /** Move this overlay's writes into its base overlay. */
  mergeInto(parent: StateOverlay): void {
    for (const [k, c] of this.changes) parent.changes.set(k, c);
  }
}
