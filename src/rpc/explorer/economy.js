// The explorer's economy pages: the inference market, rewards, and models with their prices. They
// extend `pages` from app.js (loaded first) and read only the modules' public queries
// (tasks_*, rewards_*, models_*) over JSON-RPC.

/** Task status codes (spec/tasks.md §Status codes), each with a line for the hover. */
const TASK_STATUS = [
  ["settled", "Its receipt is settled on chain; no check has been drawn for it yet."],
  ["unchecked", "Not drawn for a check: paid as served."],
  ["checking", "Drawn for a check: a verifier is re-running it."],
  ["withheld", "The verifier says the executor withheld the payload it needs to check."],
  ["verified", "A verifier re-ran it and the result matched."],
  ["fraud", "Proven wrong: the executor's pay for it is forfeited."],
  ["expired", "The check was not completed in time."],
  ["published", "Verified after the executor published the payload on chain; the verifier was overruled."],
  ["disputed", "The verifier failed it (tolerance class): a panel drawn by weight is voting."],
  ["cleared", "The panel found the result within tolerance; the verifier was overruled."],
];
const ZERO = "0x0000000000000000000000000000000000000000";
/** How many past cycles the over-time charts read (one query per cycle). */
const HISTORY_CYCLES = 12;

const statusTag = (code) => {
  const [name, about] = TASK_STATUS[code] ?? [`status ${code}`, ""];
  const cls = name === "fraud" ? "bad" : name === "verified" || name === "cleared" ? "ok" : "";
  return `<span class="phase ${cls}" title="${esc(about)}">${esc(name)}</span>`;
};
/** Wei (decimal string) as a number of RACE, for charts. */
const race = (wei) => Number(BigInt(wei) / 10n ** 9n) / 1e9;
const gwei = (wei) =>
  `${(Number(BigInt(wei)) / 1e9).toLocaleString("en-US", { maximumFractionDigits: 3 })} gwei`;
const pct = (milli) => `${(milli / 10).toFixed(1)}%`;
const currentCycle = () => Math.floor(headHeight / meta.cycleLength);
const cyclePager = (page, cycle) =>
  `<p>${cycle > 0 ? link(`#/${page}/${cycle - 1}`, "← previous cycle") : ""} ${cycle < currentCycle() ? link(`#/${page}/${cycle + 1}`, "next cycle →") : ""}</p>`;
async function headCycle() {
  headHeight = num(await rpc("eth_blockNumber"));
  return currentCycle();
}

Object.assign(pages, {
  async market(arg) {
    const head = await headCycle();
    const cycle = arg === undefined ? head : Number(arg);
    const { tasks } = await rpc("tasks_cycle", [{ cycle }]);
    const executors = [...new Set(tasks.map((t) => t.executor))];
    const [standing, disputes] = await Promise.all([
      Promise.all(executors.map((address) => rpc("tasks_executor", [{ address, cycle }]))),
      // Disputed, cleared, or convicted (a tolerance-class conviction is a panel's verdict).
      Promise.all(
        tasks
          .filter((t) => t.status === 5 || t.status === 8 || t.status === 9)
          .map(async (t) => ({
            task: t,
            d: (await rpc("tasks_dispute", [{ taskId: t.taskId }])).disputes[0],
          })),
      ).then((all) => all.filter((x) => x.d)),
    ]);
    const perExecutor = executors.map((a) => ({
      label: a,
      short: short(a),
      value: tasks.filter((t) => t.executor === a).length,
    }));
    const fees = tasks.reduce((s, t) => s + BigInt(t.fee), 0n);
    return `<h1>Inference market, cycle ${cycle}</h1>
      <p class="muted">Each request an intermediary routes is a task: an executor drawn by race weight serves it, a receipt settles its fee, and a verifier drawn at a falling rate re-runs some of them.</p>
      ${cyclePager("market", cycle)}
      <div class="cards">${card("Tasks", tasks.length)}${card("Fees", eth(fees))}${card("Executors", executors.length)}${card("Checked", tasks.filter((t) => t.verifier !== ZERO).length)}</div>
      <h2>Tasks</h2>
      <table id="tasks"><tr><th>Task</th><th>Model</th><th>Executor</th><th>Status</th><th class="hide-sm">Verifier</th><th>Fee</th><th class="hide-sm">Block</th></tr>${
        tasks
          .map(
            (t) =>
              `<tr><td class="mono">${esc(short(t.taskId))}</td><td>${esc(t.model)}</td><td>${addrLink(t.executor)}</td><td>${statusTag(t.status)}</td><td class="hide-sm">${t.verifier === ZERO ? "—" : addrLink(t.verifier)}</td><td>${eth(t.fee)}</td><td class="hide-sm">${blockLink(t.height)}</td></tr>`,
          )
          .join("") || `<tr><td colspan="7" class="muted">no tasks recorded in this cycle</td></tr>`
      }</table>
      <h2>Tasks per executor</h2>${bars(perExecutor)}
      <h2>Executors</h2>
      <table id="executors"><tr><th>Executor</th><th>Reputation</th><th>Check rate</th><th>Served</th><th class="hide-sm">Pending</th><th>Forfeited</th></tr>${
        executors
          .map(
            (a, i) =>
              `<tr><td>${addrLink(a)}</td><td>${standing[i].reputation}</td><td>${pct(standing[i].checkRateMilli)}</td><td>${standing[i].served}</td><td class="hide-sm">${eth(standing[i].pending)}</td><td>${standing[i].fraud ? `<span class="bad" title="${esc(standing[i].fraud)}">${eth(standing[i].forfeited)}</span>` : eth(standing[i].forfeited)}</td></tr>`,
          )
          .join("") || `<tr><td colspan="6" class="muted">none</td></tr>`
      }</table>
      <h2>Disputes (${disputes.length})</h2>
      ${
        disputes
          .map(
            ({ task, d }) =>
              `<table class="dispute"><tr><th colspan="3">Task <span class="mono">${esc(short(task.taskId))}</span> · ${statusTag(task.status)}</th></tr><tr><th>Panel seat</th><th>Weight</th><th>Vote</th></tr>${(
                d?.panel ?? []
              )
                .map((s) => {
                  const v = d.votes.find((x) => x.address === s.address);
                  return `<tr><td>${addrLink(s.address)}</td><td>${esc(s.weight)}</td><td>${v ? (v.fraud ? `<span class="bad">out of tolerance</span>` : `<span class="ok">within tolerance</span>`) : "not voted"}</td></tr>`;
                })
                .join("")}</table>`,
          )
          .join("") || `<p class="muted">none in this cycle</p>`
      }`;
  },

  async rewards(arg) {
    const head = await headCycle();
    const status = await rpc("rewards_status", [{}]);
    let cycle = arg === undefined ? undefined : Number(arg);
    const first = Math.max(0, head - HISTORY_CYCLES + 1);
    const history = await Promise.all(
      Array.from({ length: head - first + 1 }, (_, i) => rpc("rewards_cycle", [{ cycle: first + i }])),
    );
    // By default the latest settled cycle (cycles settle two cycles late).
    if (cycle === undefined) {
      const i = history.map((h) => h.settled).lastIndexOf(1);
      cycle = i >= 0 ? first + i : Math.max(0, head - 2);
    }
    const shown = cycle >= first ? history[cycle - first] : await rpc("rewards_cycle", [{ cycle }]);
    // The fund's balance after each cycle: today's, less what later settlements paid into it.
    let fund = BigInt(status.trainingFund);
    const fundAfter = [];
    for (let i = history.length - 1; i >= 0; i--) {
      fundAfter.unshift({ label: `cycle ${first + i}`, value: race(fund.toString()) });
      fund -= BigInt(history[i].totals.training);
    }
    const T = shown.totals;
    const factors = (a) =>
      `tasks ${a.tasksDone} of ${(a.fairMilli / 1000).toFixed(1)} fair · checks ${a.checksDone}/${a.checksDrawn} · window kept ${eth(a.windowKept)} of ${eth(a.windowOwed)} owed${BigInt(a.steered) > 0n ? ` · steered ${eth(a.steered)}` : ""}`;
    return `<h1>Rewards</h1>
      <div class="cards" id="supply">${card("Issuance batch", `${status.batch} of 12`)}${card("Subsidy rate", `${(status.subsidyPpm / 10000).toFixed(2)}%`)}${card("Minted so far", eth(status.issued))}${card("Training fund", eth(status.trainingFund))}${card("Liquidity pool", eth(status.liquidityPool))}${card("Hardware pool", eth(status.hpPool))}${card("Unminted", eth(status.unminted))}</div>
      <h2>Training fund after each cycle (RACE)</h2>${columns(fundAfter, { unit: " RACE" })}
      <h2>Cycle ${cycle} ${shown.settled ? `<span class="ok">settled</span>` : `<span class="muted">not settled yet (cycles settle two cycles late)</span>`}</h2>
      ${cyclePager("rewards", cycle)}
      ${kv([
        ["Task fees", eth(T.fees)],
        ["Proportional issuance", eth(T.proportional)],
        ["Minimum issuance (shortfall)", eth(T.shortfall)],
        ["To the training fund", eth(T.training)],
        ["Released", eth(T.released)],
        ["Forfeited", eth(T.forfeited)],
        ["Bounties", eth(T.bounties)],
        ["Tasks", T.tasks],
      ])}
      <h2>Accounts</h2>
      <table id="reward-accounts"><tr><th>Account</th><th>Earned</th><th>Released</th><th>Forfeited</th><th class="hide-sm">Release factors</th></tr>${
        shown.accounts
          .map((a) => {
            const earned = BigInt(a.execution) + BigInt(a.verification) + BigInt(a.issuance);
            return `<tr><td>${addrLink(a.address)}</td><td title="execution ${esc(a.execution)} · verification ${esc(a.verification)} · issuance ${esc(a.issuance)} wei">${eth(earned)}</td><td>${eth(a.released)}</td><td>${BigInt(a.forfeited) > 0n ? `<span class="bad">${eth(a.forfeited)}</span> <span class="muted">${esc(a.reason)}</span>` : eth(a.forfeited)}</td><td class="hide-sm muted">${factors(a)}</td></tr>`;
          })
          .join("") || `<tr><td colspan="5" class="muted">no account settled in this cycle</td></tr>`
      }</table>`;
  },

  async models() {
    const head = await headCycle();
    const first = Math.max(0, head - HISTORY_CYCLES + 1);
    const [{ models }, prices] = await Promise.all([
      rpc("models_list", [{}]),
      Promise.all(
        Array.from({ length: head - first + 1 }, (_, i) => rpc("models_price", [{ cycle: first + i }])),
      ),
    ]);
    const now = prices[prices.length - 1];
    return `<h1>Models and prices</h1>
      <table id="models"><tr><th>Model</th><th>Verification</th><th>Context</th><th>Units / token</th><th class="hide-sm">Weights</th></tr>${models
        .map(
          (m) =>
            `<tr><td>${esc(m.id)}</td><td>${esc(m.verification)}</td><td>${m.contextLength}</td><td>${m.unitsPerToken}</td><td class="hide-sm mono">${esc(short(m.weightsHash))}</td></tr>`,
        )
        .join("")}</table>
      <h2>Price per unit of compute, by cycle (gwei)</h2>
      <p class="muted">Miners with race weight vote a price; each cycle's end sets the next cycle's price to the weighted median of the votes.</p>
      ${columns(
        prices.map((p) => ({ label: `cycle ${p.cycle}`, value: Number(BigInt(p.unitPrice)) / 1e9 })),
        { unit: " gwei" },
      )}
      <h2>Votes in cycle ${head} (price now ${gwei(now.unitPrice)})</h2>
      <table id="votes"><tr><th>Voter</th><th>Weight</th><th>Price</th></tr>${
        now.votes
          .map(
            (v) => `<tr><td>${addrLink(v.voter)}</td><td>${esc(v.weight)}</td><td>${gwei(v.price)}</td></tr>`,
          )
          .join("") || `<tr><td colspan="3" class="muted">no voter with race weight this cycle</td></tr>`
      }</table>`;
  },
});

/** The address page's market and rewards sections (appended by pages.address). */
// biome-ignore lint/correctness/noUnusedVariables: app.js calls it (the page's scripts share one global scope)
async function addressEconomy(a) {
  const cycle = await headCycle();
  const cycles = Array.from({ length: Math.min(6, cycle + 1) }, (_, i) => cycle - i);
  const [account, executor, rewards, recent] = await Promise.all([
    rpc("tasks_account", [{ address: a }]),
    rpc("tasks_executor", [{ address: a, cycle }]),
    Promise.all(cycles.map((c) => rpc("rewards_account", [{ address: a, cycle: c }]))),
    Promise.all(cycles.slice(0, 2).map((c) => rpc("tasks_cycle", [{ cycle: c }]))),
  ]);
  const me = a.toLowerCase();
  const roleIn = (t) =>
    [t.payer === me ? "paid" : "", t.executor === me ? "executed" : "", t.verifier === me ? "verified" : ""]
      .filter(Boolean)
      .join(", ");
  const tasks = recent
    .flatMap((r) => r.tasks)
    .filter((t) => roleIn(t))
    .reverse()
    .slice(0, 25);
  const rows = cycles
    .map((c, i) => ({ c, r: rewards[i] }))
    .filter(({ r }) => BigInt(r.released) + BigInt(r.forfeited) + BigInt(r.issuance) > 0n || r.reason);
  return `<h2>Market</h2>
    <div class="cards">${card("Task escrow", eth(account.escrow))}${card("API keys", account.keys.length)}${card("Tasks served (this cycle)", executor.served)}${card("Reputation", `${executor.reputation} · checks ${pct(executor.checkRateMilli)}`)}</div>
    <h2>Tasks (this cycle and the last; up to 25)</h2>
    <table id="address-tasks"><tr><th>Task</th><th>Cycle</th><th>Role</th><th>Status</th><th>Fee</th></tr>${
      tasks
        .map(
          (t) =>
            `<tr><td class="mono">${esc(short(t.taskId))}</td><td>${link(`#/market/${t.cycle}`, t.cycle)}</td><td>${esc(roleIn(t))}</td><td>${statusTag(t.status)}</td><td>${eth(t.fee)}</td></tr>`,
        )
        .join("") || `<tr><td colspan="5" class="muted">none</td></tr>`
    }</table>
    <h2>Rewards</h2>
    <table id="address-rewards"><tr><th>Cycle</th><th>Released</th><th>Forfeited</th><th>Why</th></tr>${
      rows
        .map(
          ({ c, r }) =>
            `<tr><td>${link(`#/rewards/${c}`, c)}</td><td>${eth(r.released)}</td><td>${eth(r.forfeited)}</td><td class="muted">${esc(r.reason || "—")}</td></tr>`,
        )
        .join("") || `<tr><td colspan="4" class="muted">no rewards in the last cycles</td></tr>`
    }</table>`;
}
