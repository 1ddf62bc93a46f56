// The Queues dashboard: a hash-routed page that polls the JSON endpoints beside it. No framework, no build step.
"use strict";
(() => {
  const meta = name => document.querySelector(`meta[name="${name}"]`);
  const base = meta("queues-base").content;
  const csrf = { token: meta("queues-antiforgery").content, header: meta("queues-antiforgery").dataset.header };
  const settings = meta("queues-settings").dataset;
  const allowActions = settings.allowActions === "true";
  const refreshMs = Number(settings.refreshMs) || 2000;
  // The states, and which are unfinished, as the server defines them (JobState), so a state added there shows here.
  const states = meta("queues-states").dataset.all.split(",");
  const unfinished = meta("queues-states").dataset.unfinished.split(",");
  const view = document.getElementById("view");
  const outage = document.getElementById("outage");   // the banner shown while refreshing fails
  let lastGood = null;                                // when a refresh last worked
  let current = null;   // { refresh(): Promise }
  let timer = null;
  let paused = false;   // while a confirmation is open

  // ---- helpers ----
  const esc = v => String(v ?? "").replace(/[&<>"']/g, c => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
  const num = n => n == null ? "" : Number(n).toLocaleString("en-US");
  const time = t => t ? new Date(t).toISOString().replace("T", " ").slice(0, 19) + "Z" : "—";
  function ago(t) {
    if (!t) return "—";
    const s = Math.round((Date.now() - new Date(t).getTime()) / 1000);
    const a = Math.abs(s), unit = a < 90 ? [a, "s"] : a < 5400 ? [Math.round(a / 60), "m"] : a < 129600 ? [Math.round(a / 3600), "h"] : [Math.round(a / 86400), "d"];
    return s >= 0 ? `${unit[0]}${unit[1]} ago` : `in ${unit[0]}${unit[1]}`;
  }
  const badge = s => `<span class="badge ${esc(s)}">${esc(s)}</span>`;
  // A running job whose heartbeat is older than the rescue threshold (the server decides, with RescueAfter).
  const staleBadge = j => j.stale ? ` <span class="badge stale" title="No heartbeat for longer than the rescue threshold">stale</span>` : "";
  const jobLink = (id, text) => `<a href="#/jobs/${encodeURIComponent(id)}">${esc(text ?? "#" + id)}</a>`;

  async function api(path, options) {
    const response = await fetch(base + "/api/" + path, { credentials: "same-origin", headers: { "Accept": "application/json" }, ...options });
    const body = await response.json().catch(() => ({}));
    if (!response.ok) throw new Error(body.error || `${response.status} ${response.statusText}`);
    return body;
  }
  const post = (path, body) => api(path, {
    method: "POST", credentials: "same-origin",
    headers: { "Content-Type": "application/json", "Accept": "application/json", [csrf.header]: csrf.token },
    body: JSON.stringify(body ?? {}),
  });

  function toast(message, error) {
    const t = document.getElementById("toast");
    t.textContent = message;
    t.className = "toast" + (error ? " error" : "");
    t.hidden = false;
    clearTimeout(toast.timer);
    toast.timer = setTimeout(() => { t.hidden = true; }, 4000);
  }

  // Asks before an action; with `typed`, the operator must type that text (the number of jobs) to enable Confirm.
  function confirmAction(text, typed) {
    const dialog = document.getElementById("confirm");
    const label = document.getElementById("confirm-typed"), input = document.getElementById("confirm-input"), yes = document.getElementById("confirm-yes");
    document.getElementById("confirm-text").textContent = text;
    label.hidden = typed == null;
    document.getElementById("confirm-expected").textContent = typed ?? "";
    input.value = "";
    yes.disabled = typed != null;
    input.oninput = () => { yes.disabled = input.value.trim() !== typed; };
    // Enter would submit with the dialog's first button (Cancel); with the right count typed it confirms instead.
    input.onkeydown = e => { if (e.key === "Enter") { e.preventDefault(); if (input.value.trim() === typed) dialog.close("ok"); } };
    paused = true;
    return new Promise(resolve => {
      dialog.addEventListener("close", () => {
        paused = false;
        resolve(dialog.returnValue === "ok" && (typed == null || input.value.trim() === typed));
      }, { once: true });
      dialog.returnValue = "";
      dialog.showModal();
      if (typed != null) input.focus();
    });
  }

  async function act(text, run, typed) {
    if (!await confirmAction(text, typed)) return;
    try {
      const result = await run();
      toast(result.message || "Done.");
    } catch (e) {
      toast(e.message, true);
    }
    await refresh();
  }

  // ---- charts (inline SVG) ----
  function barChart(items) {
    const w = 520, h = 170, pad = 24, max = Math.max(1, ...items.map(i => i.value));
    const bw = (w - pad) / items.length;
    const bars = items.map((i, k) => {
      const bh = Math.round((h - 40) * i.value / max), x = pad + k * bw + 6, y = h - 20 - bh;
      return `<rect x="${x}" y="${y}" width="${bw - 12}" height="${bh}" rx="3" class="bar-${i.label}"><title>${esc(i.label)}: ${num(i.value)}</title></rect>
        <text x="${x + (bw - 12) / 2}" y="${h - 6}" text-anchor="middle">${esc(i.label)}</text>
        <text x="${x + (bw - 12) / 2}" y="${y - 4}" text-anchor="middle">${esc(i.text)}</text>`;
    }).join("");
    return `<svg class="chart" id="states-chart" viewBox="0 0 ${w} ${h}" width="100%" role="img" aria-label="Jobs by state">${bars}</svg>`;
  }

  function throughputChart(buckets, now) {
    const w = 520, h = 170, minutes = 60, end = Math.floor(new Date(now).getTime() / 60000) * 60000;
    const start = end - (minutes - 1) * 60000, order = ["completed", "cancelled", "discarded"];
    const per = new Map();
    for (const b of buckets) {
      const k = new Date(b.bucket).getTime();
      if (!per.has(k)) per.set(k, {});
      per.get(k)[b.state] = b.count;
    }
    let max = 1;
    for (const v of per.values()) max = Math.max(max, order.reduce((s, st) => s + (v[st] || 0), 0));
    const bw = (w - 30) / minutes;
    let bars = "";
    for (let m = 0; m < minutes; m++) {
      const k = start + m * 60000, v = per.get(k) || {};
      let y = h - 20;
      for (const st of order) {
        const c = v[st] || 0;
        if (!c) continue;
        const bh = Math.max(1, Math.round((h - 40) * c / max));
        y -= bh;
        bars += `<rect x="${30 + m * bw}" y="${y}" width="${Math.max(1, bw - 1)}" height="${bh}" class="bar-${st}"><title>${time(k)} ${st}: ${num(c)}</title></rect>`;
      }
    }
    const axis = `<text x="0" y="14">${num(max)}</text><text x="0" y="${h - 20}">0</text>
      <text x="30" y="${h - 4}">-60 min</text><text x="${w}" y="${h - 4}" text-anchor="end">now</text>`;
    return `<svg class="chart" id="throughput-chart" viewBox="0 0 ${w} ${h}" width="100%" role="img" aria-label="Finished jobs per minute">${axis}${bars}</svg>
      <div class="legend">${order.map(s => `<span><i class="${s}"></i>${s}</span>`).join("")}</div>`;
  }

  // ---- views ----
  // "~" an estimate (completed jobs on a big table), "≥" a count that stopped at its limit; no mark: exact.
  const mark = t => t.estimate ? "~" : t.atLeast ? "≥" : "";

  function stateTotals(o) {
    const totals = {};
    for (const s of states) totals[s] = { value: 0, estimate: false, atLeast: false };
    for (const q of o.queues) for (const s of unfinished) totals[s].value += q[s] ?? 0;
    for (const f of o.finished) totals[f.state] = { value: f.count, estimate: f.estimate, atLeast: f.atLeast };
    return totals;
  }

  const overview = {
    title: "Overview",
    skeleton: () => `<h1>Overview</h1><div id="warnings"></div><div id="tiles" class="tiles"></div>
      <div class="grid"><div class="card"><h2>Jobs by state</h2><div id="states"></div></div>
      <div class="card"><h2>Finished per minute (last hour)</h2><div id="throughput"></div></div></div>
      <div class="grid"><div class="card"><h2>Queues</h2><div id="queues"></div></div>
      <div class="card"><h2>Oldest waiting job</h2><div id="oldest"></div><h2 class="spaced">Nodes</h2><div id="nodes"></div></div></div>`,
    async refresh() {
      const o = await api("overview");
      const totals = stateTotals(o);
      document.getElementById("tiles").innerHTML = states.map(s =>
        `<a class="tile ${s}" href="#/jobs?state=${s}" data-state="${s}"><div class="n">${mark(totals[s])}${num(totals[s].value)}</div><div class="l">${s}</div></a>`).join("");
      document.getElementById("states").innerHTML = barChart(states.map(s => ({ label: s, value: totals[s].value, text: mark(totals[s]) + num(totals[s].value) })));
      document.getElementById("throughput").innerHTML = throughputChart(o.throughput, o.now);
      document.getElementById("queues").innerHTML = queueTable(o.queues, false);
      document.getElementById("oldest").innerHTML = o.oldest
        ? `<p>${jobLink(o.oldest.id)} <b>${esc(o.oldest.name)}</b> in <b>${esc(o.oldest.queue)}</b>, waiting since ${time(o.oldest.runAt)} (${ago(o.oldest.runAt)})</p>`
        : `<p class="muted">No job is waiting.</p>`;
      document.getElementById("warnings").innerHTML = o.warnings.map(w => `<p class="warning" role="alert">${esc(w)}</p>`).join("");
      document.getElementById("nodes").innerHTML = o.nodes.length
        ? `<table id="node-table"><tr><th>Node</th><th>Status</th><th class="num">Running</th><th class="num">Stale</th><th>Last seen</th><th>Role</th></tr>${o.nodes.map(n =>
          `<tr data-node="${esc(n.name)}" class="${n.alive ? "" : "lost"}"><td>${esc(n.name)}</td><td>${n.alive ? "alive" : `<span class="badge lost">lost</span>`}</td>
            <td class="num">${num(n.runningJobs)}</td><td class="num">${n.staleJobs ? `<span class="badge stale">${num(n.staleJobs)}</span>` : "0"}</td>
            <td>${ago(n.lastHeartbeat)}</td><td>${n.leader ? "leader" : ""}</td></tr>`).join("")}</table>`
        : `<p class="muted">No node is running jobs or holding the maintenance lease.</p>`;
    },
  };

  function queueTable(queues, withActions) {
    if (!queues.length) return `<p class="muted">No queue has unfinished jobs.</p>`;
    return `<table id="queue-table"><tr><th>Queue</th><th class="num">Waiting</th><th>Oldest waiting</th><th class="num">Running</th><th class="num">Scheduled</th><th class="num">Retryable</th><th>Status</th>${withActions ? "<th></th>" : ""}</tr>
      ${queues.map(q => `<tr data-queue="${esc(q.queue)}"><td><a href="#/jobs?queue=${encodeURIComponent(q.queue)}">${esc(q.queue)}</a></td><td class="num">${num(q.available)}</td>
        <td>${ago(q.oldestAvailableRunAt)}</td><td class="num">${num(q.running)}</td><td class="num">${num(q.scheduled)}</td><td class="num">${num(q.retryable)}</td>
        <td>${q.paused ? badge("paused") : "active"}</td>
        ${withActions ? `<td>${allowActions ? `<button data-queue-action="${q.paused ? "resume" : "pause"}" data-queue="${esc(q.queue)}">${q.paused ? "Resume" : "Pause"}</button>` : ""}</td>` : ""}</tr>`).join("")}</table>`;
  }

  const queues = {
    title: "Queues",
    skeleton: () => `<h1>Queues</h1><div class="card"><p class="muted">Concurrency is set per worker and not stored; "Running" is what runs now.</p><div id="queues"></div></div>`,
    async refresh() {
      document.getElementById("queues").innerHTML = queueTable(await api("queues"), true);
    },
  };
  view.addEventListener("click", e => {
    const b = e.target.closest("button[data-queue-action]");
    if (!b) return;
    const q = b.dataset.queue, a = b.dataset.queueAction;
    // The queue goes in the body: a name such as "tenant/eu" cannot survive a path segment.
    act(`${a === "pause" ? "Pause" : "Resume"} queue '${q}' on every node?`, () => post(`queues/${a}`, { queue: q }));
  });

  function jobsView(params) {
    const selected = new Set();
    let cursors = [];       // the "before" of each page shown so far
    let next = null;
    // Every filter the page offers, in one table: the list's query and a bulk action's filter are both built from it,
    // so "Delete all" touches exactly what the list shows (issue 21: the bulk filter once left out the id).
    const filterFields = {
      queue: { bulk: "queue", value: v => v },
      name: { bulk: "name", value: v => v },
      state: { bulk: "states", value: v => v.split(",") },
      from: { bulk: "from", value: v => new Date(v).toISOString() },
      to: { bulk: "to", value: v => new Date(v).toISOString() },
      finishedFrom: { bulk: "finishedFrom", value: v => new Date(v).toISOString() },
      finishedTo: { bulk: "finishedTo", value: v => new Date(v).toISOString() },
      id: { bulk: "id", value: v => Number(v) },
    };
    const filter = () => {
      const f = {};
      for (const [k, field] of Object.entries(filterFields)) if (params.get(k)) f[field.bulk] = field.value(params.get(k));
      return f;
    };
    // "All" only when the page shows no filter at all: any parameter the table above does not know leaves the bulk
    // filter empty without `all`, which the server refuses, rather than widening the action to every job.
    const unfiltered = () => [...params.values()].every(v => !v);
    const describe = () => Object.keys(filterFields).filter(k => params.get(k)).map(k => `${k} = ${params.get(k)}`).join(", ");
    const query = () => {
      const q = new URLSearchParams();
      for (const k of Object.keys(filterFields)) if (params.get(k)) q.set(k, ["from", "to", "finishedFrom", "finishedTo"].includes(k) ? filterFields[k].value(params.get(k)) : params.get(k));
      if (cursors.length && cursors[cursors.length - 1] != null) q.set("before", cursors[cursors.length - 1]);
      return q.toString();
    };
    // Counts first with the very body the action will send, then asks; a delete must be confirmed by typing the count.
    async function bulkAct(action, body, scope) {
      let counted;
      try {
        counted = await post("jobs/bulk/count", body);
      } catch (e) {
        toast(e.message, true);
        return;
      }
      const n = counted.count, verb = action[0].toUpperCase() + action.slice(1);
      if (!n) { toast(`Nothing to ${action}: no job ${scope} is in a state that can be ${action === "retry" ? "retried" : action === "cancel" ? "cancelled" : "deleted"}.`); return; }
      const text = `${verb} ${num(n)} job${n === 1 ? "" : "s"} ${scope}?`;
      await act(text, async () => { const r = await post("jobs/bulk", body); selected.clear(); return r; }, action === "delete" ? String(n) : null);
    }
    const bulk = allowActions ? `<div class="actions" id="bulk">
        <button data-bulk="retry" data-scope="selection">Retry selected</button><button data-bulk="cancel" data-scope="selection">Cancel selected</button>
        <button data-bulk="delete" data-scope="selection" class="danger">Delete selected</button>
        <span class="muted">or everything matching the filter:</span>
        <button data-bulk="retry" data-scope="filter">Retry all</button><button data-bulk="cancel" data-scope="filter">Cancel all</button>
        <button data-bulk="delete" data-scope="filter" class="danger">Delete all</button></div>` : "";
    return {
      title: "Jobs",
      skeleton: () => `<h1>Jobs</h1><div class="card"><form id="filters" class="filters">
          <label>Queue<input name="queue" value="${esc(params.get("queue"))}"></label>
          <label>Name<input name="name" value="${esc(params.get("name"))}"></label>
          <label>State<select name="state"><option value="">any</option>${states.map(s => `<option ${params.get("state") === s ? "selected" : ""}>${s}</option>`).join("")}</select></label>
          <label>Created from<input type="datetime-local" name="from" value="${esc(params.get("from"))}"></label>
          <label>Created before<input type="datetime-local" name="to" value="${esc(params.get("to"))}"></label>
          <label>Finished from<input type="datetime-local" name="finishedFrom" value="${esc(params.get("finishedFrom"))}"></label>
          <label>Finished before<input type="datetime-local" name="finishedTo" value="${esc(params.get("finishedTo"))}"></label>
          <label>Id<input name="id" size="8" value="${esc(params.get("id"))}"></label>
          <button class="primary" type="submit">Filter</button><button type="button" id="clear">Clear</button></form>
        ${bulk}<div id="jobs"></div><div class="pager"><button id="first">First page</button><button id="next">Next page</button></div></div>`,
      mount() {
        const form = document.getElementById("filters");
        form.addEventListener("submit", e => {
          e.preventDefault();
          const q = new URLSearchParams();
          for (const [k, v] of new FormData(form)) if (v) q.set(k, v);
          location.hash = "#/jobs" + (q.toString() ? "?" + q : "");
        });
        document.getElementById("clear").addEventListener("click", () => { location.hash = "#/jobs"; });
        document.getElementById("first").addEventListener("click", () => { cursors = []; refresh(); });
        document.getElementById("next").addEventListener("click", () => { if (next != null) { cursors.push(next); refresh(); } });
        document.getElementById("jobs").addEventListener("change", e => {
          if (e.target.id === "select-all") {
            document.querySelectorAll("input[data-select]").forEach(c => { c.checked = e.target.checked; c.checked ? selected.add(c.dataset.select) : selected.delete(c.dataset.select); });
          } else if (e.target.dataset.select) {
            e.target.checked ? selected.add(e.target.dataset.select) : selected.delete(e.target.dataset.select);
          }
        });
        const bar = document.getElementById("bulk");
        if (bar) bar.addEventListener("click", e => {
          const b = e.target.closest("button[data-bulk]");
          if (!b) return;
          const action = b.dataset.bulk;
          if (b.dataset.scope === "selection") {
            if (!selected.size) { toast("Select jobs first.", true); return; }
            bulkAct(action, { action, ids: [...selected].map(Number) }, `of the ${selected.size} selected`);
          } else if (unfiltered()) {
            bulkAct(action, { action, all: true }, "in the whole schema (no filter is set)");
          } else {
            bulkAct(action, { action, filter: filter() }, `matching ${describe()}`);
          }
        });
      },
      async refresh() {
        const page = await api("jobs?" + query());
        next = page.next;
        document.getElementById("next").disabled = next == null;
        document.getElementById("first").disabled = !cursors.length;
        document.getElementById("jobs").innerHTML = page.jobs.length
          ? `<table id="job-table"><tr>${allowActions ? `<th><input type="checkbox" id="select-all" aria-label="Select all"></th>` : ""}<th>Id</th><th>Name</th><th>Queue</th><th>State</th><th class="num">Attempt</th><th>Created</th><th>Run at</th><th>Last error</th></tr>
            ${page.jobs.map(j => `<tr data-job="${j.id}">${allowActions ? `<td><input type="checkbox" data-select="${j.id}" ${selected.has(String(j.id)) ? "checked" : ""} aria-label="Select job ${j.id}"></td>` : ""}
              <td>${jobLink(j.id)}</td><td>${esc(j.name)}</td><td>${esc(j.queue)}</td><td>${badge(j.state)}${staleBadge(j)}</td><td class="num">${j.attempt}/${j.maxAttempts}</td>
              <td>${ago(j.createdAt)}</td><td>${time(j.runAt)}</td><td class="muted">${esc((j.lastError || "").slice(0, 120))}</td></tr>`).join("")}</table>`
          : `<p class="muted">No job matches.</p>`;
      },
    };
  }

  function jobView(id) {
    return {
      title: "Job " + id,
      skeleton: () => `<p><a href="#/jobs">← Jobs</a></p><div id="job"><p class="muted">Loading…</p></div>`,
      mount() {
        document.getElementById("job").addEventListener("click", e => {
          const b = e.target.closest("button[data-job-action]");
          if (!b) return;
          const a = b.dataset.jobAction;
          act(`${a[0].toUpperCase() + a.slice(1)} job ${id}?`, async () => {
            const r = await post(`jobs/${id}/${a}`);
            if (a === "delete") location.hash = "#/jobs";
            return r;
          });
        });
      },
      async refresh() {
        const d = await api("jobs/" + encodeURIComponent(id)), j = d.job;
        const liveness = j.state === "running" ? `<tr><td>Node</td><td>${esc(j.node || "—")}</td></tr>
            <tr><td>Heartbeat</td><td>${time(j.heartbeatAt)} (${ago(j.heartbeatAt)})${staleBadge(j)}</td></tr>
            <tr><td>Running for</td><td>${ago(j.attemptedAt).replace(" ago", "")}</td></tr>` : j.node ? `<tr><td>Last node</td><td>${esc(j.node)}</td></tr>` : "";
        const can = { retry: !unfinished.includes(j.state) && j.state !== "completed", cancel: unfinished.includes(j.state), delete: j.state !== "running" };
        const buttons = allowActions ? `<div class="actions">${["retry", "cancel", "delete"].map(a =>
          `<button data-job-action="${a}" ${can[a] ? "" : "disabled"} class="${a === "delete" ? "danger" : a === "retry" ? "primary" : ""}">${a[0].toUpperCase() + a.slice(1)}</button>`).join("")}</div>` : "";
        document.getElementById("job").innerHTML = `<h1>Job ${j.id} <span id="job-state">${badge(j.state)}</span></h1>${buttons}
          <div class="grid"><div class="card"><h2>Summary</h2><table class="kv">
            <tr><td>Name</td><td>${esc(j.name)}</td></tr><tr><td>Queue</td><td>${esc(j.queue)}</td></tr>
            <tr><td>Attempt</td><td>${j.attempt} of ${j.maxAttempts}</td></tr><tr><td>Priority</td><td>${j.priority}</td></tr>
            <tr><td>Created</td><td>${time(j.createdAt)}</td></tr><tr><td>Run at</td><td>${time(j.runAt)} (${ago(j.runAt)})</td></tr>
            <tr><td>Last attempt</td><td>${time(j.attemptedAt)}</td></tr><tr><td>Finished</td><td>${time(j.finalizedAt)}</td></tr>${liveness}
            <tr><td>Trace id</td><td class="muted">${d.traceId ? esc(d.traceId) : "— (not recorded yet)"}</td></tr></table></div>
          <div class="card"><h2>Timeline</h2><ul class="timeline">${d.timeline.map(t => `<li><b>${esc(t.event)}</b> <span class="muted">${time(t.at)}</span></li>`).join("")}</ul></div></div>
          <div class="card"><h2>Payload</h2>${d.payloadHidden ? `<p class="muted" id="payload-hidden">Hidden: payloads are shown only when QueuesDashboardOptions.ShowPayloads is on.</p>` : `<pre id="payload">${esc(d.payload)}</pre>`}</div>
          <div class="card"><h2>Attempts with errors (${d.errors.length})</h2>${d.errors.length ? d.errors.map(e => `<div class="error">
            <p><b>Attempt ${e.attempt}</b> <span class="badge">${esc(e.kind)}</span> <span class="muted">${time(e.at)} ${esc(e.type)}</span></p>
            <pre>${esc(e.message)}</pre>${e.trace ? `<details><summary>Stack trace</summary><pre>${esc(e.trace)}</pre></details>` : ""}</div>`).join("") : `<p class="muted">None.</p>`}</div>`;
      },
    };
  }

  const cron = {
    title: "Cron",
    skeleton: () => `<h1>Periodic jobs</h1><div class="card"><div id="cron"></div></div>`,
    async refresh() {
      const jobs = await api("cron");
      document.getElementById("cron").innerHTML = jobs.length
        ? `<table id="cron-table"><tr><th>Job</th><th>Queue</th><th>Schedule (UTC)</th><th>Last run</th><th>Next run</th></tr>${jobs.map(c =>
          `<tr><td>${esc(c.name)}</td><td>${esc(c.queue)}</td><td><code>${esc(c.cron)}</code></td>
           <td>${c.lastRun ? time(c.lastRun) + (c.lastJobId ? " " + jobLink(c.lastJobId) : "") : "never"}</td><td>${time(c.nextRun)} (${ago(c.nextRun)})</td></tr>`).join("")}</table>`
        : `<p class="muted">No periodic job is registered in this app.</p>`;
    },
  };

  // A time as a datetime-local value (local time, minutes), so a link's filter shows in the Jobs form and survives it.
  const localInput = t => { const d = new Date(t); d.setSeconds(0, 0); return new Date(d.getTime() - d.getTimezoneOffset() * 60000).toISOString().slice(0, 16); };

  function failuresView(params) {
    const minutes = Number(params.get("minutes")) || 15;
    const windows = [[15, "15 minutes"], [60, "hour"], [360, "6 hours"], [1440, "24 hours"], [10080, "7 days"]];
    return {
      title: "Failures",
      skeleton: () => `<h1>Failures by reason</h1><div class="card"><form id="failure-window" class="filters">
          <label>In the last<select name="minutes">${windows.map(([m, text]) => `<option value="${m}" ${m === minutes ? "selected" : ""}>${text}</option>`).join("")}</select></label>
          <label>Queue<input name="queue" value="${esc(params.get("queue"))}"></label>
          <button class="primary" type="submit">Show</button></form><div id="failures"></div></div>`,
      mount() {
        const form = document.getElementById("failure-window");
        const go = () => {
          const q = new URLSearchParams();
          for (const [k, v] of new FormData(form)) if (v) q.set(k, v);
          location.hash = "#/failures?" + q;
        };
        form.addEventListener("submit", e => { e.preventDefault(); go(); });
        form.elements.minutes.addEventListener("change", go);
      },
      async refresh() {
        const q = new URLSearchParams({ minutes: String(minutes) });
        if (params.get("queue")) q.set("queue", params.get("queue"));
        const f = await api("failures?" + q);
        // Each reason links to its discarded jobs that finished in the window (retryable ones have not finished).
        const link = g => "#/jobs?" + new URLSearchParams({ queue: g.queue, name: g.name, state: "discarded", finishedFrom: localInput(f.from) });
        document.getElementById("failures").innerHTML = (f.truncated ? `<p class="warning">More failures than can be grouped at once in this window: the counts cover the newest ${num(100000)} of each state.</p>` : "")
          + (f.groups.length
            ? `<table id="failure-table"><tr><th class="num">Failures</th><th class="num">Discarded</th><th class="num">Retrying</th><th>Queue</th><th>Job</th><th>Kind</th><th>Reason</th><th>First seen</th><th>Last seen</th></tr>
              ${f.groups.map(g => `<tr data-reason><td class="num"><a href="${esc(link(g))}">${num(g.discarded + g.retryable)}</a></td><td class="num">${num(g.discarded)}</td><td class="num">${num(g.retryable)}</td>
                <td>${esc(g.queue)}</td><td>${esc(g.name)}</td><td>${badge(g.kind)}</td><td><span class="muted">${esc(g.type)}</span> ${esc(g.message)}</td>
                <td>${ago(g.firstSeen)}</td><td>${ago(g.lastSeen)}</td></tr>`).join("")}</table>`
            : `<p class="muted">No job was discarded or failed into retrying in this window.</p>`);
      },
    };
  }

  // ---- routing and polling ----
  function route() {
    const hash = location.hash.replace(/^#/, "") || "/";
    const [path, search] = hash.split("?");
    const params = new URLSearchParams(search || "");
    const m = path.match(/^\/jobs\/(\d+)$/);
    const next = m ? jobView(m[1]) : path === "/queues" ? queues : path === "/jobs" ? jobsView(params) : path === "/failures" ? failuresView(params) : path === "/cron" ? cron : overview;
    const name = m || path === "/jobs" ? "jobs" : path === "/queues" ? "queues" : path === "/failures" ? "failures" : path === "/cron" ? "cron" : "overview";
    document.querySelectorAll("nav a").forEach(a => a.classList.toggle("active", a.dataset.view === name));
    document.title = `${next.title} · ${document.querySelector(".brand").textContent}`;
    current = next;
    view.innerHTML = next.skeleton();
    if (next.mount) next.mount();
    refresh();
  }

  async function refresh() {
    clearTimeout(timer);
    const shown = current;
    const status = document.getElementById("status");
    try {
      if (!paused) { await shown.refresh(); lastGood = new Date(); }
      status.textContent = "updated " + new Date().toLocaleTimeString("en-GB");
      status.classList.remove("error");
      outage.hidden = true;
      view.classList.remove("stale-data");
    } catch (e) {
      status.textContent = "error: " + e.message;
      // The numbers on screen are from the last refresh that worked: say so where nobody can miss it, and grey them.
      outage.textContent = `Not refreshing since ${lastGood ? lastGood.toLocaleTimeString("en-GB") : "the page loaded"}: ${e.message} The figures below are out of date.`;
      outage.hidden = false;
      view.classList.add("stale-data");
      if (shown === current && !paused) toastOnce(e.message);
    }
    if (shown === current) timer = setTimeout(refresh, refreshMs);
  }
  let lastError = "";
  function toastOnce(message) { if (message !== lastError) { lastError = message; toast(message, true); } }

  document.getElementById("mode").textContent = allowActions ? "actions enabled" : "read-only";
  window.addEventListener("hashchange", route);
  route();
})();
