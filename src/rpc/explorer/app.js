// Racecoin explorer: a single page that reads everything through the node's public JSON-RPC
// (HTTP for queries, WebSocket newHeads for live updates). No framework, no CDN.

const view = document.getElementById("view");
const live = document.getElementById("live");
let meta = null;
let headHeight = 0;
let rpcId = 0;

async function rpc(method, params = []) {
  const res = await fetch("/", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ jsonrpc: "2.0", id: ++rpcId, method, params }),
  });
  const j = await res.json();
  if (j.error) throw new Error(j.error.message);
  return j.result;
}

const esc = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const num = (hex) => (hex == null ? null : Number(BigInt(hex)));
const short = (h) => (h && h.length > 14 ? `${h.slice(0, 8)}…${h.slice(-6)}` : h);
const link = (href, text, cls = "") => `<a href="${href}" class="${cls}">${esc(text)}</a>`;
const blockLink = (n) => link(`#/block/${n}`, `#${n}`);
const txLink = (h) => link(`#/tx/${h}`, short(h), "mono");
const addrLink = (a) => (a ? link(`#/address/${a}`, moduleName(a) || short(a), "mono") : "—");
function moduleName(a) {
  const m = meta?.modules.find((x) => x.address.toLowerCase() === String(a).toLowerCase());
  return m ? `${m.name} module` : "";
}
function eth(wei) {
  const w = BigInt(wei);
  const whole = w / 10n ** 18n;
  const frac = (w % 10n ** 18n).toString().padStart(18, "0").slice(0, 6).replace(/0+$/, "");
  if (whole === 0n && !frac && w > 0n) return `${w} wei`;
  return `${whole}${frac ? `.${frac}` : ""} RACE`;
}
const ago = (ts) => {
  const s = Math.max(0, Math.round(Date.now() / 1000 - ts));
  return s < 60 ? `${s}s ago` : `${Math.round(s / 60)}m ago`;
};
const card = (k, v, id = "") =>
  `<div class="card"><div class="k">${esc(k)}</div><div class="v" ${id ? `id="${id}"` : ""}>${v}</div></div>`;
const kv = (rows) =>
  `<table class="kv">${rows.map(([k, v]) => `<tr><td>${esc(k)}</td><td>${v}</td></tr>`).join("")}</table>`;

// ---- a minimal msgpack decoder (module call envelopes and their arguments) ----
function unpack(bytes) {
  let i = 0;
  const u8 = () => bytes[i++];
  const be = (n) => {
    let v = 0n;
    for (let k = 0; k < n; k++) v = (v << 8n) | BigInt(u8());
    return v;
  };
  const str = (n) => {
    const s = new TextDecoder().decode(bytes.subarray(i, i + n));
    i += n;
    return s;
  };
  const bin = (n) => {
    const b = bytes.subarray(i, i + n);
    i += n;
    return `0x${[...b].map((x) => x.toString(16).padStart(2, "0")).join("")}`;
  };
  const arr = (n) => Array.from({ length: n }, () => val());
  const map = (n) => {
    const o = {};
    for (let k = 0; k < n; k++) o[String(val())] = val();
    return o;
  };
  function val() {
    const t = u8();
    if (t <= 0x7f) return t;
    if (t >= 0xe0) return t - 256;
    if ((t & 0xf0) === 0x90) return arr(t & 15);
    if ((t & 0xf0) === 0x80) return map(t & 15);
    if ((t & 0xe0) === 0xa0) return str(t & 31);
    switch (t) {
      case 0xc0:
        return null;
      case 0xc2:
        return false;
      case 0xc3:
        return true;
      case 0xc4:
        return bin(Number(be(1)));
      case 0xc5:
        return bin(Number(be(2)));
      case 0xc6:
        return bin(Number(be(4)));
      case 0xcc:
        return Number(be(1));
      case 0xcd:
        return Number(be(2));
      case 0xce:
        return Number(be(4));
      case 0xcf:
        return be(8).toString();
      case 0xd9:
        return str(Number(be(1)));
      case 0xda:
        return str(Number(be(2)));
      case 0xdc:
        return arr(Number(be(2)));
      case 0xdd:
        return arr(Number(be(4)));
      case 0xde:
        return map(Number(be(2)));
      default:
        throw new Error(`msgpack type 0x${t.toString(16)}`);
    }
  }
  return val();
}
const hexBytes = (h) => Uint8Array.from((h.slice(2).match(/../g) || []).map((x) => parseInt(x, 16)));
function decodeCall(to, input) {
  if (!moduleName(to) || !input || input === "0x") return null;
  try {
    const env = unpack(hexBytes(input));
    const args = typeof env[2] === "string" ? unpack(hexBytes(env[2])) : env[2];
    return { method: env[1], args };
  } catch {
    return null;
  }
}
function decodeLog(l) {
  const ev = meta?.events[l.topics[0]];
  if (!ev) return `<span class="mono">${esc(short(l.topics[0] || ""))}</span>`;
  const data = (l.data.slice(2).match(/.{64}/g) || []).map((w) => `0x${w}`);
  let ti = 1;
  let di = 0;
  const vals = ev.params.map((p) => {
    const w = p.indexed ? l.topics[ti++] : data[di++];
    if (!w) return `${p.name}=?`;
    if (p.type === "address") return `${p.name}=${addrLink(`0x${w.slice(-40)}`)}`;
    if (p.type === "bytes32") return `${p.name}=<span class="mono">${short(w)}</span>`;
    return `${p.name}=${BigInt(w)}`;
  });
  return `<b>${esc(ev.name)}</b>(${vals.join(", ")})`;
}

// ---- charts (HTML, so text is laid out by the browser and never stretched) ----
// A labelled chart is one row per item: the label in its own column (cut with an ellipsis, the
// whole label in the tooltip), the bar, then the value. Rows cannot overlap at any width.
function bars(items, { unit = "" } = {}) {
  if (items.length === 0) return `<p class="muted">nothing yet</p>`;
  const max = Math.max(...items.map((x) => x.value), 1);
  const rows = items
    .map(
      (x) =>
        `<div class="bar-row" title="${esc(x.label)}: ${esc(x.value)}${esc(unit)}"><span class="chart-label">${esc(x.short ?? x.label)}</span><span class="bar-track"><span class="bar" style="width:${((x.value / max) * 100).toFixed(2)}%"></span></span><span class="chart-value">${esc(x.display ?? x.value)}</span></div>`,
    )
    .join("");
  return `<div class="chart bars" role="img" aria-label="${esc(items.map((x) => `${x.label} ${x.value}`).join(", "))}">${rows}</div>`;
}
// A series over time (block times, a cycle's figures): columns with tooltips; only the first and
// last positions are labelled, under the ends of the axis.
function columns(items, { height = 90, unit = "" } = {}) {
  if (items.length === 0) return `<p class="muted">nothing yet</p>`;
  const max = Math.max(...items.map((x) => x.value)) || 1;
  const cols = items
    .map(
      (x) =>
        `<span class="col" title="${esc(x.label)}: ${esc(x.value)}${esc(unit)}"><span class="col-bar" style="height:${((x.value / max) * 100).toFixed(2)}%"></span></span>`,
    )
    .join("");
  const first = items[0].label;
  const last = items[items.length - 1].label;
  const top = `${+max.toPrecision(6)}${unit}`;
  return `<div class="chart columns" role="img"><div class="col-scale"><span class="chart-label">top: ${esc(top)}</span></div><div class="col-area" style="height:${height}px">${cols}</div><div class="col-axis"><span class="chart-label">${esc(first)}</span>${items.length > 1 ? `<span class="chart-label">${esc(last)}</span>` : ""}</div></div>`;
}

// ---- the race's phases, in words a user knows, each with a one-line explanation ----
const PHASES = {
  idle: ["before the race", "The cycle's race has not started; the beacon's output fixes its seed first."],
  race: [
    "racing",
    "Miners run the seeded model on nonces; each output close enough to the target is a proof.",
  ],
  commit: [
    "commit window",
    "Mining is over; each miner posts its proof count and the Merkle root of its proofs.",
  ],
  waiting: [
    "waiting for reveals",
    "Commitments are closed; reveals open once the sample randomness is fixed, so no miner can pick what is checked.",
  ],
  reveal: ["reveal window", "Miners reveal the proofs sampled from their commitments, for anyone to check."],
  fraud: [
    "fraud-proof window",
    "Verifiers check the revealed proofs; fraud claims against a commitment are accepted until it closes.",
  ],
  settled: ["settled", "The race is over: its valid proof counts are the next cycle's validator weights."],
};
/** A race phase from race_status; "settled" before the reveals open means the reveals are still to come. */
function phaseInfo(phase, cycleOffset) {
  const key = phase === "settled" && cycleOffset < meta.windows.revealStart ? "waiting" : phase;
  const [name, about] = PHASES[key] ?? [phase, ""];
  return { name, about };
}
const phaseTag = (phase, cycleOffset) => {
  const p = phaseInfo(phase, cycleOffset);
  return `<span class="phase" title="${esc(p.about)}">${esc(p.name)}</span>`;
};

// ---- pages ----
/** Transactions per page of an address's history (chain_getAddressHistory allows up to 100). */
const ADDRESS_PAGE = 25;
const pages = {
  async home() {
    const status = await rpc("chain_getStatus");
    const head = num(await rpc("eth_blockNumber"));
    headHeight = head;
    const blocks = [];
    for (let h = head; h >= Math.max(0, head - 19); h--)
      blocks.push(await rpc("eth_getBlockByNumber", [`0x${h.toString(16)}`, true]));
    const times = blocks.map((b) => num(b.timestamp));
    const span = times[0] - times[times.length - 1];
    const blockTime = blocks.length > 1 ? (span / (blocks.length - 1)).toFixed(2) : "—";
    const txs = blocks
      .flatMap((b) => b.transactions.map((t) => ({ ...t, block: num(b.number) })))
      .slice(0, 10);
    const cycle = Math.floor(head / meta.cycleLength);
    const race = await rpc("race_status", [{ cycle }]);
    const start = cycle * meta.cycleLength;
    const W = meta.windows;
    const seg = (a, b, label, color, about) =>
      `<div class="seg" style="left:${(a / meta.cycleLength) * 100}%;width:${((b - a) / meta.cycleLength) * 100}%;background:${color}" title="${esc(about)}">${esc(label)}</div>`;
    const tip = (key) => `${PHASES[key][0]}: ${PHASES[key][1]}`;
    const timeline = `<div class="timeline">${seg(W.raceStart, W.raceEnd, "racing", "#f5a524", tip("race"))}${seg(W.raceEnd, W.commitDeadline, "commit", "#d18a10", tip("commit"))}${seg(W.revealStart, W.revealEnd, "reveal", "#58a6ff", tip("reveal"))}${seg(W.revealEnd, W.fraudEnd, "fraud-proof window", "#3fb950", tip("fraud"))}<div class="now" style="left:${((head - start) / meta.cycleLength) * 100}%"></div></div>`;
    const intervals = [];
    for (let i = blocks.length - 1; i > 0; i--)
      intervals.push({ label: `#${num(blocks[i - 1].number)}`, value: times[i - 1] - times[i] });
    return `
      <h1>Proof-of-Work 2.0 devnet</h1>
      <div class="cards">
        ${card("Head", `<span id="head">${head}</span>`)}
        ${card("Finalized", status.finalizedHeight ?? head)}
        ${card("Avg block time", `${blockTime} s`)}
        ${card("Cycle", `${link(`#/race/${cycle}`, cycle)} · ${phaseTag(race.phase, head - start)}`, "cycle")}
        ${card("Peers", status.peers)}
      </div>
      <h2>Cycle ${cycle}: blocks ${start}–${start + meta.cycleLength - 1}</h2>
      ${timeline}
      <div class="grid2">
        <div><h2>Latest blocks</h2><table id="blocks"><tr><th>Block</th><th>Txs</th><th class="hide-sm">Proposer</th><th>Age</th></tr>
          ${blocks
            .slice(0, 10)
            .map(
              (b) =>
                `<tr><td>${blockLink(num(b.number))}</td><td>${b.transactions.length}</td><td class="hide-sm">${addrLink(b.miner)}</td><td>${ago(num(b.timestamp))}</td></tr>`,
            )
            .join("")}</table></div>
        <div><h2>Latest transactions</h2><table><tr><th>Tx</th><th>From</th><th>To</th></tr>
          ${txs.map((t) => `<tr><td>${txLink(t.hash)}</td><td>${addrLink(t.from)}</td><td>${addrLink(t.to)}</td></tr>`).join("") || `<tr><td colspan="3" class="muted">none in the last 20 blocks</td></tr>`}</table></div>
      </div>
      <h2>Block times, last ${intervals.length} (s; block timestamps have 1 s resolution)</h2>${columns(intervals, { unit: " s" })}`;
  },

  async block(arg) {
    const tag = /^0x[0-9a-fA-F]{64}$/.test(arg) ? null : `0x${Number(arg).toString(16)}`;
    const b = tag
      ? await rpc("eth_getBlockByNumber", [tag, true])
      : await rpc("eth_getBlockByHash", [arg, true]);
    if (!b) return notFound(`block ${arg}`);
    const n = num(b.number);
    return `<h1>Block #${n}</h1>${kv([
      ["Hash", `<span class="mono">${b.hash}</span>`],
      ["Parent", n > 0 ? blockLink(n - 1) : "—"],
      ["Time", `${new Date(num(b.timestamp) * 1000).toISOString()} (${ago(num(b.timestamp))})`],
      ["Proposer", addrLink(b.miner)],
      ["Gas used", `${num(b.gasUsed)} / ${num(b.gasLimit)}`],
      ["Base fee", `${num(b.baseFeePerGas)} wei`],
      ["Cycle", link(`#/race/${Math.floor(n / meta.cycleLength)}`, Math.floor(n / meta.cycleLength))],
      ["State root", `<span class="mono">${b.stateRoot}</span>`],
    ])}
    <h2>Transactions (${b.transactions.length})</h2>
    <table><tr><th>Hash</th><th>From</th><th>To</th><th>Value</th></tr>${b.transactions.map((t) => `<tr><td>${txLink(t.hash)}</td><td>${addrLink(t.from)}</td><td>${addrLink(t.to)}</td><td>${eth(t.value)}</td></tr>`).join("")}</table>
    <p>${n > 0 ? link(`#/block/${n - 1}`, "← previous") : ""} ${n < headHeight ? link(`#/block/${n + 1}`, "next →") : ""}</p>`;
  },

  async tx(hash) {
    const [t, r] = await Promise.all([
      rpc("eth_getTransactionByHash", [hash]),
      rpc("eth_getTransactionReceipt", [hash]),
    ]);
    if (!t) return notFound(`transaction ${hash}`);
    const call = decodeCall(t.to, t.input);
    const fee = r ? BigInt(r.gasUsed) * BigInt(r.effectiveGasPrice) : null;
    return `<h1>Transaction</h1>${kv([
      ["Hash", `<span class="mono">${t.hash}</span>`],
      [
        "Status",
        r
          ? num(r.status) === 1
            ? `<span class="ok">success</span>`
            : `<span class="bad">failed</span>`
          : "pending",
      ],
      ["Block", t.blockNumber ? blockLink(num(t.blockNumber)) : "pending"],
      ["From", addrLink(t.from)],
      ["To", addrLink(t.to)],
      ["Value", eth(t.value)],
      ["Fee", fee === null ? "—" : `${eth(fee)} (${num(r.gasUsed)} gas × ${num(r.effectiveGasPrice)} wei)`],
      ["Nonce", num(t.nonce)],
      [
        "Module call",
        call
          ? `<b>${esc(moduleName(t.to))}.${esc(call.method)}</b> <span class="mono">${esc(JSON.stringify(call.args))}</span>`
          : "—",
      ],
    ])}
    <h2>Logs (${r ? r.logs.length : 0})</h2>
    <table>${r?.logs.length ? r.logs.map((l) => `<tr><td>${addrLink(l.address)}</td><td>${decodeLog(l)}</td></tr>`).join("") : `<tr><td class="muted">none</td></tr>`}</table>`;
  },

  async address(a, cursor) {
    const [bal, nonce, page] = await Promise.all([
      rpc("eth_getBalance", [a, "latest"]),
      rpc("eth_getTransactionCount", [a, "latest"]),
      rpc("chain_getAddressHistory", [a, { limit: ADDRESS_PAGE, cursor: cursor ?? null }]),
    ]);
    const head = num(await rpc("eth_blockNumber"));
    const txs = await Promise.all(
      page.transactions.map((r) => rpc("eth_getTransactionByHash", [r.transactionHash])),
    );
    const role = (r) =>
      [r.sender ? "sent" : "", r.recipient ? "received" : "", r.logIndexes.length ? "named in a log" : ""]
        .filter(Boolean)
        .join(", ");
    const cycle = Math.floor(head / meta.cycleLength);
    const history = [];
    for (let c = cycle; c >= Math.max(0, cycle - 5); c--) {
      const { commitments } = await rpc("race_commitments", [{ cycle: c }]);
      const x = commitments.find((m) => m.miner.toLowerCase() === a.toLowerCase());
      if (x) history.push({ c, ...x });
    }
    return `<h1>Address</h1><p class="mono">${esc(a)} ${moduleName(a) ? `(${esc(moduleName(a))})` : ""}</p>
      <div class="cards">${card("Balance", eth(bal))}${card("Nonce", num(nonce))}</div>
      <h2>Race history</h2>
      <table><tr><th>Cycle</th><th>Committed</th><th>Revealed</th><th>Verdict</th><th>Weight</th></tr>${history.map((x) => `<tr><td>${link(`#/race/${x.c}`, x.c)}</td><td>${x.count}</td><td>${x.revealed ? "yes" : "no"}</td><td>${x.fraud ? `<span class="bad">${esc(x.fraud)}</span>` : x.forfeit ? `<span class="bad">${esc(x.forfeit)}</span>` : `<span class="ok">ok</span>`}</td><td>${esc(x.weight)}</td></tr>`).join("") || `<tr><td colspan="5" class="muted">no race in the last cycles</td></tr>`}</table>
      <h2>Transactions${cursor ? " (older)" : ""}</h2>
      <table id="history"><tr><th>Tx</th><th>Block</th><th>Role</th><th class="hide-sm">From</th><th class="hide-sm">To</th><th>Value</th></tr>${page.transactions.map((r, i) => `<tr><td>${txLink(r.transactionHash)}</td><td>${blockLink(r.blockNumber)}</td><td>${esc(role(r))}</td><td class="hide-sm">${addrLink(txs[i]?.from)}</td><td class="hide-sm">${addrLink(txs[i]?.to)}</td><td>${txs[i] ? eth(txs[i].value) : "—"}</td></tr>`).join("") || `<tr><td colspan="6" class="muted">none</td></tr>`}</table>
      <p class="pager">${cursor ? link(`#/address/${a}`, "← newest") : ""} ${page.next ? link(`#/address/${a}/${page.next}`, "older →", "older") : ""}</p>
      ${await addressEconomy(a)}`;
  },

  async validators(arg) {
    const head = num(await rpc("eth_blockNumber"));
    const cycle = arg === undefined ? Math.floor(head / meta.cycleLength) : Number(arg);
    const height = Math.min(head, cycle * meta.cycleLength);
    const set = await rpc("chain_getValidators", [height]);
    const total = set.validators.reduce((t, v) => t + BigInt(v.weight), 0n);
    return `<h1>Validators of cycle ${cycle}</h1>
      <p class="muted">${cycle === 0 ? "Cycle 0 runs on the genesis weights." : `Weights are the valid proof counts of ${link(`#/race/${cycle - 1}`, `cycle ${cycle - 1}'s race`)} (or carried forward when that cycle had no race).`}</p>
      <p>${cycle > 0 ? link(`#/validators/${cycle - 1}`, "← previous cycle") : ""} ${(cycle + 1) * meta.cycleLength <= head ? link(`#/validators/${cycle + 1}`, "next cycle →") : ""}</p>
      <table id="validators"><tr><th>#</th><th>Address</th><th>Weight</th><th>Share</th></tr>${set.validators.map((v, i) => `<tr><td>${i}</td><td>${addrLink(v.address)}</td><td>${esc(v.weight)}</td><td>${((Number(BigInt(v.weight)) / Number(total)) * 100).toFixed(1)}%</td></tr>`).join("")}</table>
      <h2>Weight shares</h2>${bars(set.validators.map((v) => ({ label: v.address, short: short(v.address), value: Number(BigInt(v.weight)), display: `${((Number(BigInt(v.weight)) / Number(total)) * 100).toFixed(1)}%` })))}`;
  },

  async race(arg) {
    const head = num(await rpc("eth_blockNumber"));
    const cycle = arg === undefined ? Math.floor(head / meta.cycleLength) : Number(arg);
    const [s, { commitments }, { reveals }, { attestations }] = await Promise.all([
      rpc("race_status", [{ cycle }]),
      rpc("race_commitments", [{ cycle }]),
      rpc("race_reveals", [{ cycle }]),
      rpc("race_attestations", [{ cycle }]),
    ]);
    const offset = Math.min(head, (cycle + 1) * meta.cycleLength - 1) - cycle * meta.cycleLength;
    return `<h1>Race of cycle ${cycle}</h1>${kv([
      [
        "Phase",
        `${phaseTag(s.phase, offset)} <span class="muted">${esc(phaseInfo(s.phase, offset).about)}</span>`,
      ],
      [
        "Seed",
        s.seeds[0]
          ? `<span class="mono">${s.seeds[0]}</span>`
          : `<span class="muted">none (no race without a beacon output in the window)</span>`,
      ],
      ["Threshold", s.thresholds[0] ?? `<span class="muted">not computed by this node yet</span>`],
      ["Sample randomness", s.sampleSeeds[0] ? `<span class="mono">${s.sampleSeeds[0]}</span>` : "—"],
      [
        "Windows",
        `race and commit ${s.raceStart}–${s.commitDeadline - 1} · reveal ${s.revealStart}–${s.revealEnd - 1} · fraud proofs until ${s.fraudEnd - 1}`,
      ],
      [
        "Settled",
        s.settled
          ? `yes → ${link(`#/validators/${cycle + 1}`, `cycle ${cycle + 1}'s validators`)}`
          : "not yet",
      ],
    ])}
      <p>${cycle > 0 ? link(`#/race/${cycle - 1}`, "← previous race") : ""} ${cycle < Math.floor(head / meta.cycleLength) ? link(`#/race/${cycle + 1}`, "next race →") : ""}</p>
      <h2>Commitments</h2>
      <table><tr><th>Miner</th><th>Count</th><th>Revealed</th><th>Attestations</th><th>Verdict</th><th>Weight</th></tr>${commitments.map((c) => `<tr><td>${addrLink(c.miner)}</td><td>${c.count}</td><td>${c.revealed ? `${reveals.find((r) => r.miner === c.miner)?.nonces.length ?? 0} leaves` : "no"}</td><td>${c.attestations}</td><td>${c.fraud ? `<span class="bad">fraud: ${esc(c.fraud)}</span>` : c.forfeit ? `<span class="bad">${esc(c.forfeit)}</span>` : s.settled ? `<span class="ok">valid</span>` : "pending"}</td><td>${esc(c.weight)}</td></tr>`).join("") || `<tr><td colspan="6" class="muted">no commitments</td></tr>`}</table>
      <h2>Proofs per miner</h2>${bars(commitments.map((c) => ({ label: c.miner, short: short(c.miner), value: c.count })))}
      <h2>Attestations (${attestations.length})</h2>
      <table>${attestations.map((a) => `<tr><td>${addrLink(a.verifier)} verified ${addrLink(a.miner)}</td><td>${blockLink(a.height)}</td></tr>`).join("") || `<tr><td class="muted">none</td></tr>`}</table>`;
  },

  async beacon() {
    const latest = await rpc("beacon_getLatest");
    const rounds = [];
    if (latest)
      for (let r = latest.round; r > Math.max(0, latest.round - 10); r--)
        rounds.push(await rpc("beacon_getRound", [r]));
    return `<h1>Beacon</h1>${latest ? "" : `<p class="muted">no round yet (the first key is dealt in cycle 0)</p>`}
      <table><tr><th>Round</th><th>Height</th><th>Output</th><th>Signers</th></tr>${rounds
        .filter(Boolean)
        .map(
          (r) =>
            `<tr><td>${r.round}</td><td>${blockLink(r.height)}</td><td class="mono">${short(r.output)}</td><td>${r.signers.length}</td></tr>`,
        )
        .join("")}</table>`;
  },
};

function notFound(what) {
  return `<h1>Not found</h1><p class="muted">No ${esc(what)} on this node.</p>`;
}

// Pages return their HTML; only the latest navigation's render is shown (a slow refresh of the
// previous page must not overwrite the one the user moved to).
let routeSeq = 0;
async function route() {
  const token = ++routeSeq;
  const [, page = "", ...args] = location.hash.replace(/^#/, "").split("/");
  const fn = pages[page || "home"];
  let html;
  try {
    html = fn ? await fn(...args.map(decodeURIComponent)) : notFound(`page ${page}`);
  } catch (e) {
    html = `<h1>Error</h1><p class="bad">${esc(e.message)}</p>`;
  }
  if (token === routeSeq) view.innerHTML = html;
}

document.getElementById("search").addEventListener("submit", async (e) => {
  e.preventDefault();
  const q = document.getElementById("q").value.trim();
  if (/^\d+$/.test(q)) location.hash = `#/block/${q}`;
  else if (/^0x[0-9a-fA-F]{40}$/.test(q)) location.hash = `#/address/${q}`;
  else if (/^0x[0-9a-fA-F]{64}$/.test(q)) {
    const t = await rpc("eth_getTransactionByHash", [q]).catch(() => null);
    location.hash = t ? `#/tx/${q}` : `#/block/${q}`;
  } else {
    routeSeq++; // a render still in flight must not overwrite the message
    view.innerHTML = `<h1>Search</h1><p class="bad">Enter a block number, a 32-byte hash or a 20-byte address.</p>`;
  }
});

function connectLive() {
  const ws = new WebSocket(`${location.protocol === "https:" ? "wss" : "ws"}://${location.host}`);
  ws.onopen = () =>
    ws.send(JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_subscribe", params: ["newHeads"] }));
  let refreshing = false;
  ws.onmessage = async (m) => {
    const msg = JSON.parse(m.data);
    if (!msg.params?.result) return;
    headHeight = num(msg.params.result.number);
    live.textContent = `live · head #${headHeight}`;
    const page = location.hash.replace(/^#\/?/, "").split("/")[0];
    if ((page === "" || page === "race") && !refreshing) {
      refreshing = true;
      await route();
      refreshing = false;
    }
  };
  ws.onclose = () => {
    live.textContent = "disconnected; retrying…";
    setTimeout(connectLive, 2000);
  };
}

(async () => {
  // The scripts after this one (economy.js adds pages) must have run before the first route: while
  // the parser waits for them, this fetch could otherwise finish first.
  if (document.readyState === "loading")
    await new Promise((resolve) => document.addEventListener("DOMContentLoaded", resolve, { once: true }));
  meta = await (await fetch("/explorer/meta.json")).json();
  window.addEventListener("hashchange", route);
  await route();
  connectLive();
})();
