/**
 * `racecoin gov`: governance from the command line (spec/governance.md): submit a proposal of any
 * kind with its deposit, add to a proposal's deposit, vote with one's race weight, and read the
 * parameters, the proposals and one proposal's tally and votes.
 */
import { createHash } from "node:crypto";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import {
  ENVELOPE_VERSION,
  envelopeCodec,
  govDepositArgs,
  govVoteArgs,
  ProposalSubmitted,
  proposeGrantArgs,
  proposeModelArgs,
  proposeParamArgs,
  proposeRetireArgs,
  proposeTrainingJobArgs,
  proposeTrainingShareArgs,
  type RegisteredModel,
} from "../../../contracts/index.ts";
import { type Codec, encode } from "../../encoding/index.ts";
import { filesHash } from "../../inference/index.ts";
import { GOVERNANCE_MODULE_ADDRESS } from "../../params/index.ts";
import { fromHex, parseAddress, toHex } from "../../types/index.ts";
import {
  asUsage,
  type Command,
  formatEther,
  parse,
  parseEther,
  parsePositiveInt,
  readInputFile,
  UsageError,
} from "../args.ts";
import { rpcCall } from "../rpcClient.ts";
import { sendTransaction, signerKey, signerOptions } from "./tx.ts";

const options = {
  title: { type: "string" },
  deposit: { type: "string" },
  expedited: { type: "boolean" },
  module: { type: "string" },
  param: { type: "string" },
  value: { type: "string" },
  file: { type: "string" },
  dir: { type: "string" },
  id: { type: "string" },
  model: { type: "string" },
  tokenizer: { type: "string" },
  context: { type: "string" },
  "units-per-token": { type: "string" },
  verification: { type: "string" },
  to: { type: "string" },
  amount: { type: "string" },
  purpose: { type: "string" },
  milli: { type: "string" },
  "model-hash": { type: "string" },
  "dataset-hash": { type: "string" },
  "inner-steps": { type: "string" },
  rounds: { type: "string" },
  participants: { type: "string" },
  budget: { type: "string" },
  option: { type: "string" },
  ...signerOptions,
} as const;

const help = `racecoin gov — governance by race weight (spec/governance.md)

Usage:
  racecoin gov propose param --module M --param P --value N      change a governable parameter
  racecoin gov propose model (--file ENTRY.json | --dir DIR --model ID --units-per-token N
                             --context N --verification exact|tolerance [--tokenizer NAME])
                                                                 register a model: a registry entry as in
                                                                 genesis, or one built from DIR's files
  racecoin gov propose retire --model ID                         retire a model
  racecoin gov propose grant --to ADDRESS --amount ETHER [--purpose TEXT]
                                                                 grant from the training fund
  racecoin gov propose training-share --milli N                  the training share in thousandths (year 5 on)
  racecoin gov propose training-job --model-hash 0xH --dataset-hash 0xH --inner-steps N --rounds N
                             --participants N --budget ETHER [--purpose TEXT]
                                                                 a training job paid from the fund
                                                                 (spec/training.md; hashes of 32 bytes)
     each with: --title TEXT --deposit ETHER [--expedited] [signer]
  racecoin gov deposit --id N --amount ETHER [signer]            add to a proposal's deposit
  racecoin gov vote --id N --option yes|no|abstain|veto [signer] vote with your race weight
  racecoin gov status [--id N]                                   parameters and proposals, or one proposal
                                                                 with its tally, deposits and votes

Signer (one of), as for "racecoin tx send":
  --from ADDRESS [--keystore DIR] [--password-file FILE]
  --private-key-file FILE
  --private-key 0xKEY

Options:
  --rpc URL   node to use (default: http://127.0.0.1:8545)

Example (devnet: dev account 0 has race weight):
  racecoin gov propose param --module tasks --param maxReputation --value 12 \\
    --title "slower reputation" --deposit 1000 --private-key 0xKEY
  racecoin gov vote --id 1 --option yes --private-key 0xKEY
  racecoin gov status --id 1
`;

const OPTIONS: Record<string, number> = { yes: 1, no: 2, abstain: 3, veto: 4 };

function call<A>(method: string, codec: Codec<A>, args: A): Uint8Array {
  return encode(envelopeCodec, { version: ENVELOPE_VERSION, method, args: encode(codec, args) });
}

function bigArg(v: string | undefined, flag: string): bigint {
  if (v === undefined || !/^[0-9]{1,78}$/.test(v))
    throw new UsageError(`${flag} N: a non-negative integer is required`);
  return BigInt(v);
}

function intArg(v: string | undefined, flag: string): number {
  const n = parsePositiveInt(v, flag);
  if (n === undefined) throw new UsageError(`${flag} N is required`);
  return n;
}

const sha256 = (b: Uint8Array) => createHash("sha256").update(b).digest();

/** A registry entry from a JSON file (the genesis section's form) or from a directory's files. */
function modelArg(values: Record<string, string | boolean | undefined>): RegisteredModel {
  const str = (k: string) => values[k] as string | undefined;
  if (str("file")) {
    const o = asUsage(() => JSON.parse(readInputFile(str("file")!, "--file"))) as Record<string, unknown>;
    const files = ((o.files as { name: string; sha256: string }[] | undefined) ?? []).map((f) => ({
      name: f.name,
      sha256: asUsage(() => fromHex(f.sha256)),
    }));
    return {
      id: String(o.id),
      weightsHash: asUsage(() => fromHex(String(o.weightsHash))),
      tokenizer: typeof o.tokenizer === "string" ? o.tokenizer : "bytes",
      contextLength: Number(o.contextLength),
      unitsPerToken: Number(o.unitsPerToken),
      verification: String(o.verification),
      files,
    };
  }
  const dir = str("dir");
  if (!dir) throw new UsageError("gov propose model: --file ENTRY.json or --dir DIR is required");
  const names = asUsage(() => readdirSync(dir))
    .filter((n) => statSync(join(dir, n)).isFile())
    .sort();
  if (names.length === 0 || names.length > 16) throw new UsageError(`--dir: ${dir} must hold 1 to 16 files`);
  const files = names.map((name) => ({
    name,
    sha256: new Uint8Array(sha256(readFileSync(join(dir, name)))),
  }));
  const hash = filesHash(
    files.map((f) => ({ name: f.name, sha256: `0x${Buffer.from(f.sha256).toString("hex")}` })),
  );
  if (!str("model")) throw new UsageError("gov propose model --dir: --model ID is required");
  return {
    id: str("model")!,
    weightsHash: fromHex(hash),
    tokenizer: str("tokenizer") ?? "tokenizer.json",
    contextLength: intArg(str("context"), "--context"),
    unitsPerToken: intArg(str("units-per-token"), "--units-per-token"),
    verification: str("verification") ?? "tolerance",
    files,
  };
}

function hashArg(v: string | undefined, flag: string): Uint8Array {
  if (v === undefined || !/^0x[0-9a-fA-F]{64}$/.test(v))
    throw new UsageError(`${flag} 0xHASH: 32 bytes of hex are required`);
  return fromHex(v);
}

/** A training job's spec from the command line (spec/training.md §On chain). */
function jobArg(values: Record<string, string | boolean | undefined>) {
  const str = (k: string) => values[k] as string | undefined;
  if (!str("budget")) throw new UsageError("gov propose training-job: --budget ETHER is required");
  return {
    modelHash: hashArg(str("model-hash"), "--model-hash"),
    datasetHash: hashArg(str("dataset-hash"), "--dataset-hash"),
    innerSteps: intArg(str("inner-steps"), "--inner-steps"),
    rounds: intArg(str("rounds"), "--rounds"),
    participantsMax: intArg(str("participants"), "--participants"),
    budget: parseEther(str("budget")!, "--budget"),
    purpose: str("purpose") ?? "",
  };
}

async function send(url: string, key: Uint8Array, data: Uint8Array): Promise<string> {
  const r = await sendTransaction(url, key, { to: GOVERNANCE_MODULE_ADDRESS, value: 0n, data });
  if (r.status !== "success") throw new Error(`transaction ${r.hash} failed on chain`);
  return r.hash;
}

/** The id in the ProposalSubmitted log of a proposal's transaction. */
async function submittedId(url: string, hash: string): Promise<number> {
  const receipt = await rpcCall<{ logs: { topics: string[] }[] }>(url, "eth_getTransactionReceipt", [hash]);
  const topic0 = toHex(ProposalSubmitted.topic0);
  const log = receipt.logs.find((l) => l.topics[0] === topic0);
  if (!log) throw new Error(`transaction ${hash} submitted no proposal`);
  return Number(BigInt(log.topics[1]!));
}

interface ProposalJson {
  id: number;
  proposer: string;
  kindName: string;
  statusName: string;
  title: string;
  summary: string;
  expedited: number;
  depositEndCycle: number;
  votingEndCycle: number;
  deposit: string;
  voters: number;
  result: string;
  deposits: { depositor: string; amount: string }[];
  liveTally: { yes: string; no: string; abstain: string; veto: string; total: string };
}

function line(p: ProposalJson): string {
  const when =
    p.statusName === "deposit"
      ? `deposit until the end of cycle ${p.depositEndCycle}`
      : p.statusName === "voting"
        ? `voting until the end of cycle ${p.votingEndCycle}`
        : p.result;
  return `#${p.id} [${p.statusName}] ${p.title}: ${p.summary}${p.expedited ? " (expedited)" : ""} — ${when}`;
}

async function status(url: string, id: number | undefined): Promise<void> {
  const out = (s: string) => process.stdout.write(`${s}\n`);
  if (id === undefined) {
    const p = await rpcCall<Record<string, string | number>>(url, "gov_params", [{}]);
    out(
      `deposit ${formatEther(BigInt(p.minDeposit!))} RACE (expedited ${formatEther(BigInt(p.expeditedMinDeposit!))}), voting ${p.votingCycles} cycles (expedited ${p.expeditedVotingCycles}), quorum ${p.quorumMilli}‰, threshold ${p.thresholdMilli}‰ (expedited ${p.expeditedThresholdMilli}‰), veto ${p.vetoMilli}‰; training share ${p.trainingShareMilli}‰ (changeable from height ${p.trainingShareFrom}); ${p.open} open`,
    );
    let from = 0;
    for (;;) {
      const page = await rpcCall<{ proposals: ProposalJson[] }>(url, "gov_proposals", [{ from, limit: 100 }]);
      for (const q of page.proposals) out(line(q));
      if (page.proposals.length < 100) break;
      from = page.proposals[page.proposals.length - 1]!.id + 1;
    }
    return;
  }
  const p = await rpcCall<ProposalJson>(url, "gov_proposal", [{ id }]);
  if (p.id === 0) throw new Error(`no proposal ${id}`);
  out(line(p));
  out(
    `  proposed by ${p.proposer}; deposit ${formatEther(BigInt(p.deposit))} RACE from ${p.deposits.length} depositor(s)`,
  );
  const t = p.liveTally;
  out(
    `  tally${p.statusName === "voting" ? " (this cycle's weights)" : ""}: yes ${t.yes}, no ${t.no}, abstain ${t.abstain}, veto ${t.veto} of ${t.total} weight; ${p.voters} voter(s)`,
  );
  const v = await rpcCall<{ votes: { voter: string; option: number; weight: string }[] }>(url, "gov_votes", [
    { id },
  ]);
  const names = ["", "yes", "no", "abstain", "veto"];
  for (const x of v.votes) out(`  ${x.voter} ${names[x.option]} (weight ${x.weight} now)`);
}

export const govCommand: Command = {
  name: "gov",
  summary: "governance: propose, deposit, vote, status",
  help,
  async run(argv) {
    const { values, positionals } = parse(argv, options, "gov");
    const url = values.rpc ?? "http://127.0.0.1:8545";
    const [sub, kind] = positionals;
    switch (sub) {
      case "propose": {
        if (!values.title) throw new UsageError("gov propose: --title TEXT is required");
        if (!values.deposit) throw new UsageError("gov propose: --deposit ETHER is required");
        const head = {
          title: values.title,
          expedited: values.expedited ? 1 : 0,
          deposit: parseEther(values.deposit, "--deposit"),
        };
        let data: Uint8Array;
        if (kind === "param") {
          if (!values.module || !values.param)
            throw new UsageError("gov propose param: --module and --param are required");
          data = call("proposeParam", proposeParamArgs, {
            ...head,
            module: values.module,
            param: values.param,
            value: bigArg(values.value, "--value"),
          });
        } else if (kind === "model")
          data = call("proposeModel", proposeModelArgs, { ...head, model: modelArg(values) });
        else if (kind === "retire") {
          if (!values.model) throw new UsageError("gov propose retire: --model ID is required");
          data = call("proposeRetire", proposeRetireArgs, { ...head, id: values.model });
        } else if (kind === "grant") {
          if (!values.to || !values.amount)
            throw new UsageError("gov propose grant: --to and --amount are required");
          const recipient = asUsage(() => parseAddress(values.to!, "--to"));
          data = call("proposeGrant", proposeGrantArgs, {
            ...head,
            recipient,
            amount: parseEther(values.amount, "--amount"),
            purpose: values.purpose ?? "",
          });
        } else if (kind === "training-share")
          data = call("proposeTrainingShare", proposeTrainingShareArgs, {
            ...head,
            milli: Number(bigArg(values.milli, "--milli")),
          });
        else if (kind === "training-job")
          data = call("proposeTrainingJob", proposeTrainingJobArgs, { ...head, ...jobArg(values) });
        else
          throw new UsageError(
            "gov propose: expected param, model, retire, grant, training-share or training-job",
          );
        const id = await submittedId(url, await send(url, signerKey(values), data));
        process.stdout.write(`${line(await rpcCall<ProposalJson>(url, "gov_proposal", [{ id }]))}\n`);
        return 0;
      }
      case "deposit": {
        const id = intArg(values.id, "--id");
        if (!values.amount) throw new UsageError("gov deposit: --amount ETHER is required");
        const amount = parseEther(values.amount, "--amount");
        await send(url, signerKey(values), call("deposit", govDepositArgs, { id, amount }));
        process.stdout.write(`${line(await rpcCall<ProposalJson>(url, "gov_proposal", [{ id }]))}\n`);
        return 0;
      }
      case "vote": {
        const id = intArg(values.id, "--id");
        const option = OPTIONS[values.option ?? ""];
        if (!option) throw new UsageError("gov vote: --option yes|no|abstain|veto is required");
        await send(url, signerKey(values), call("vote", govVoteArgs, { id, option }));
        process.stdout.write(`voted ${values.option} on proposal ${id}\n`);
        return 0;
      }
      case "status": {
        await status(url, values.id === undefined ? undefined : intArg(values.id, "--id"));
        return 0;
      }
      default:
        throw new UsageError('gov: expected propose, deposit, vote or status\nRun "racecoin gov --help".');
    }
  },
};
