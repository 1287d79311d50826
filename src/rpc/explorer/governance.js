// The explorer's governance pages: the parameters and every proposal, and one proposal with its
// tally, deposits and votes. They extend `pages` from app.js and read only the gov_* queries.

const GOV_STATUS = {
  deposit: "Collecting its deposit: it goes to a vote once the minimum is reached.",
  voting: "Accounts with race weight vote; it closes at the end of its last voting cycle.",
  passed: "Quorum and threshold reached without a veto: its change was applied.",
  rejected: "Below quorum, or yes did not reach the threshold: nothing changed; deposits refunded.",
  vetoed: "Vetoed: nothing changed, and its deposits went to the training fund.",
  expired: "Its deposit period ended below the minimum (or a larger deposit evicted it): refunded.",
  failed: "Passed, but its change could no longer apply when it closed: deposits refunded.",
};
const govTag = (name) => {
  const cls = name === "passed" ? "ok" : name === "vetoed" || name === "failed" ? "bad" : "";
  return `<span class="phase ${cls}" title="${esc(GOV_STATUS[name] ?? "")}">${esc(name)}</span>`;
};
const permille = (m) => `${(m / 10).toFixed(1)}%`;

Object.assign(pages, {
  async gov(id) {
    if (id !== undefined) return govProposal(Number(id));
    const p = await rpc("gov_params", [{}]);
    const all = [];
    for (let from = 0; ; ) {
      const page = (await rpc("gov_proposals", [{ from, limit: 100 }])).proposals;
      all.push(...page);
      if (page.length < 100) break;
      from = page[page.length - 1].id + 1;
    }
    const closes = (x) =>
      x.statusName === "deposit"
        ? `deposit until cycle ${x.depositEndCycle}`
        : x.statusName === "voting"
          ? `votes until cycle ${x.votingEndCycle}`
          : esc(x.result);
    return `<h1>Governance</h1>
      <p class="muted">Anyone proposes with a deposit; accounts vote with their race weight (one unit of compute, one vote; nothing is staked). A proposal closes at the end of its last voting cycle and its change applies then.</p>
      <div class="cards" id="gov-params">${card("Quorum", permille(p.quorumMilli))}${card("Threshold", permille(p.thresholdMilli))}${card("Veto", permille(p.vetoMilli))}${card("Deposit", eth(p.minDeposit))}${card("Voting period", `${p.votingCycles} cycles`)}${card("Training share", permille(p.trainingShareMilli))}</div>
      <p class="muted">Expedited proposals: ${eth(p.expeditedMinDeposit)} deposit, ${p.expeditedVotingCycles} cycle(s) of voting, threshold ${permille(p.expeditedThresholdMilli)}; one that misses it continues as a regular proposal.</p>
      <h2>Proposals (${all.length}; ${p.open} open)</h2>
      <table id="proposals"><tr><th>#</th><th>Proposal</th><th>Status</th><th class="hide-sm">Deposit</th><th class="hide-sm">Closes / result</th></tr>${
        all
          .reverse()
          .map(
            (x) =>
              `<tr><td>${link(`#/gov/${x.id}`, x.id)}</td><td><b>${esc(x.title)}</b><br><span class="muted">${esc(x.summary)}</span></td><td class="nowrap">${govTag(x.statusName)}</td><td class="hide-sm">${eth(x.deposit)}</td><td class="hide-sm muted">${closes(x)}</td></tr>`,
          )
          .join("") || `<tr><td colspan="5" class="muted">no proposal yet</td></tr>`
      }</table>`;
  },
});

async function govProposal(id) {
  const [x, { votes }, p] = await Promise.all([
    rpc("gov_proposal", [{ id }]),
    rpc("gov_votes", [{ id }]),
    rpc("gov_params", [{}]),
  ]);
  if (x.id === 0) return notFound(`proposal ${id}`);
  const t = x.liveTally;
  const voted = ["yes", "no", "abstain", "veto"].map((k) => ({ label: k, value: Number(BigInt(t[k])) }));
  const total = Number(BigInt(t.total));
  const turnout = total > 0 ? voted.reduce((s, v) => s + v.value, 0) / total : 0;
  const names = ["", "yes", "no", "abstain", "veto"];
  return `<h1>Proposal ${x.id}: ${esc(x.title)}</h1>
    ${kv([
      ["Change", esc(x.summary)],
      ["Status", `${govTag(x.statusName)} ${x.result ? `<span class="muted">${esc(x.result)}</span>` : ""}`],
      ["Kind", esc(x.kindName) + (x.expedited ? " (expedited)" : "")],
      ["Proposer", addrLink(x.proposer)],
      ["Submitted", blockLink(x.submitHeight)],
      ["Deposit", `${eth(x.deposit)} from ${x.depositors} depositor(s)`],
      [
        "Voting",
        x.votingStartHeight
          ? `from ${blockLink(x.votingStartHeight)} to the end of cycle ${x.votingEndCycle}`
          : "not started",
      ],
    ])}
    <h2>Tally ${x.statusName === "voting" ? "(with this cycle's weights)" : ""}</h2>
    <p class="muted">Turnout ${(turnout * 100).toFixed(1)}% of ${total} weight; quorum ${permille(p.quorumMilli)}.</p>
    <table id="tally"><tr><th>Vote</th><th>Weight</th><th>Share of all weight</th></tr>${voted
      .map(
        (v) =>
          `<tr><td>${esc(v.label)}</td><td>${v.value}</td><td><span class="bar-track"><span class="bar" style="width:${total > 0 ? ((v.value / total) * 100).toFixed(2) : 0}%"></span></span></td></tr>`,
      )
      .join("")}</table>
    <h2>Votes (${votes.length})</h2>
    <table id="gov-votes"><tr><th>Voter</th><th>Vote</th><th>Weight now</th></tr>${
      votes
        .map(
          (v) =>
            `<tr><td>${addrLink(v.voter)}</td><td>${esc(names[v.option])}</td><td>${esc(v.weight)}</td></tr>`,
        )
        .join("") || `<tr><td colspan="3" class="muted">no vote</td></tr>`
    }</table>
    <h2>Deposits</h2>
    <table id="gov-deposits"><tr><th>Depositor</th><th>Amount</th></tr>${x.deposits
      .map((d) => `<tr><td>${addrLink(d.depositor)}</td><td>${eth(d.amount)}</td></tr>`)
      .join("")}</table>
    <p>${link("#/gov", "← all proposals")}</p>`;
}
