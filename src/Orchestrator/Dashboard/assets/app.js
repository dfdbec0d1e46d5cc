// The operator dashboard: plain DOM, no framework, no network beyond this orchestrator's own API.
// Everything shown comes from /api (with the operator key from localStorage when keys are required); every value
// is written as text, never as HTML.
"use strict";

const STATES = ["Pending", "Processing", "RetryScheduled", "AwaitingReview", "Paused", "Succeeded", "Failed", "Cancelled"];
const FAILURE_KINDS = ["Transient", "Permanent", "CircuitOpen", "InvalidInput", "DeadlineExceeded", "Rejected"];
const ACTIONS = {
  retry: ["Failed", "RetryScheduled"],
  cancel: ["Pending", "Processing", "RetryScheduled", "AwaitingReview", "Paused"],
  pause: ["Pending", "Processing", "RetryScheduled"],
  resume: ["Paused"],
  approve: ["AwaitingReview"],
  reject: ["AwaitingReview"],
};
const KEY_STORAGE = "orchestrator.apiKey";
const $ = (selector) => document.querySelector(selector);

// ------------------------------------------------------------------------------------------------ helpers
function el(tag, attributes, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

function svg(tag, attributes, ...children) {
  const node = document.createElementNS("http://www.w3.org/2000/svg", tag);
  for (const [name, value] of Object.entries(attributes || {})) node.setAttribute(name, String(value));
  for (const child of children.flat()) {
    if (child === undefined || child === null) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

const time = (iso) => (iso ? iso.replace("T", " ").replace(/\.\d+/, "").replace("Z", "") : "-");

function say(text, isError) {
  const box = $("#message");
  box.textContent = text;
  box.className = isError ? "error" : "";
  box.hidden = !text;
}

class ApiError extends Error {
  constructor(status, title, detail) {
    super(`${title}${detail ? ": " + detail : ""}`);
    this.status = status;
  }
}

async function api(method, path, body) {
  const headers = { Accept: "application/json" };
  const key = localStorage.getItem(KEY_STORAGE);
  if (key) headers["X-Api-Key"] = key;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await response.text();
  let json = null;
  try { json = text ? JSON.parse(text) : null; } catch { json = null; }
  if (!response.ok) {
    const problem = json || {};
    const fields = problem.errors ? " " + Object.entries(problem.errors).map(([f, m]) => `${f}: ${m.join("; ")}`).join(" | ") : "";
    const error = new ApiError(response.status, problem.title || `HTTP ${response.status}`, (problem.detail || "") + fields);
    if (response.status === 401 || response.status === 403) askForKey(error.message);
    throw error;
  }
  return json;
}

// ------------------------------------------------------------------------------------------------ the key
async function checkKey() {
  const status = await api("GET", "/api/auth");
  const text = !status.keysRequired ? "keys off (embedded, loopback)"
    : status.key ? `key: ${status.key} (${status.scopes.join(", ")})` : "no key";
  $("#who-text").textContent = text;
  const usable = !status.keysRequired || status.scopes.includes("operate");
  if (!usable)
    askForKey(status.key ? `Key '${status.key}' cannot operate: enter an operator key.` : "This orchestrator requires an operator API key.");
  return usable;
}

function askForKey(why) {
  const dialog = $("#key-dialog");
  $("#key-why").textContent = why;
  if (!dialog.open) dialog.showModal();
}

// ------------------------------------------------------------------------------------------------ views
const views = ["overview", "requests", "batches", "request", "review", "deadletters"];
let listCursor = null;

async function route() {
  const hash = location.hash || "#/overview";
  const [, view, arg] = hash.match(/^#\/([a-z]+)\/?(.*)$/) || [null, "overview", ""];
  for (const name of views) $(`#view-${name}`).hidden = name !== view;
  for (const link of document.querySelectorAll("nav a")) link.classList.toggle("active", link.dataset.view === view);
  try {
    if (view === "overview") await showOverview();
    else if (view === "requests") await showRequests(new URLSearchParams(arg), false);
    else if (view === "request") await showRequest(decodeURIComponent(arg));
    else if (view === "batches") await showBatches();
    else if (view === "review") await showReview();
    else if (view === "deadletters") await showDeadLetters();
  } catch (error) {
    say(error.message, true);
  }
}

async function showOverview() {
  const [counts, throughput, stuck, fleet] = await Promise.all([
    api("GET", "/api/counts"), api("GET", "/api/stats/throughput?minutes=60"), api("GET", "/api/diagnostics/stuck"), api("GET", "/api/fleet")]);
  $("#counts").replaceChildren(...STATES.map((state) =>
    el("a", { class: "tile", href: `#/requests/state=${state}`, "data-state": state },
      el("div", { class: `n state-${state}` }, counts[state] ?? 0), el("div", {}, state))),
    // Requests whose state outlived their timers: always 0 unless something is wrong.
    el("div", { class: "tile", id: "stuck", title: stuck.items.map((i) => `${i.requestId}: ${i.why}`).join("\n") },
      el("div", { class: `n ${stuck.count ? "state-Failed" : ""}` }, stuck.count), el("div", {}, "Stuck")));
  drawThroughput(throughput);
  drawFleet(fleet);
}

// Every endpoint the live workers report: its fleet-wide cooldown, each worker's breaker, calls in flight, limits.
function drawFleet(fleet) {
  const workers = fleet.workers.length;
  $("#fleet-summary").textContent = workers
    ? `${workers} live worker${workers === 1 ? "" : "s"}: ${fleet.workers.map((w) => `${w.workerId} (${w.inFlight} in flight, seen ${time(w.lastSeen)})`).join(", ")}`
    : "No worker has reported in the last three heartbeats.";
  $("#fleet-holds").replaceChildren(...fleet.holds.map((h) =>
    el("p", { class: "hold", "data-model": h.model }, `Dispatch of model ${h.model} held until ${time(h.until)}: ${h.reason}`)));
  $("#fleet-table tbody").replaceChildren(...fleet.endpoints.map((e) => el("tr", { "data-endpoint": e.endpoint },
    el("td", {}, e.model), el("td", {}, e.endpoint), el("td", {}, e.priority),
    el("td", { class: e.coolingUntil ? "cooling" : "" }, e.coolingUntil ? `until ${time(e.coolingUntil)} (${e.coolingReason})` : "none"),
    el("td", {}, e.breakers.map((b) => el("span", { class: `breaker breaker-${b.state}`, title: b.openUntil ? `open until ${time(b.openUntil)}` : "" },
      `${b.workerId}: ${b.state}`))),
    el("td", {}, e.inFlight),
    el("td", { class: "tokens" }, tokensText(e)),
    el("td", {}, [e.maxInFlightPerWorker ? `${e.maxInFlightPerWorker} in flight per worker` : null,
      e.requestsPerMinute ? `${e.requestsPerMinute}/min for the fleet` : null,
      e.tokensPerMinute ? `${e.tokensPerMinute} tokens/min for the fleet` : null].filter(Boolean).join("; ") || "none"))));
}

// The tokens the endpoint reported using for the live workers' calls in the last minute, and the share of its quota.
function tokensText(e) {
  const used = e.promptTokensLastMinute + e.completionTokensLastMinute;
  const split = `${used} (${e.promptTokensLastMinute} prompt + ${e.completionTokensLastMinute} completion)`;
  return e.tokensPerMinute ? `${split}, ${Math.round((100 * used) / e.tokensPerMinute)}% of the quota` : split;
}

function drawThroughput(data) {
  const minutes = data.minutes;
  const totals = minutes.map((m) => m.succeeded + m.failed + m.cancelled);
  const done = totals.reduce((a, b) => a + b, 0);
  const failed = minutes.reduce((a, m) => a + m.failed, 0);
  $("#throughput-summary").textContent =
    `${done} finished in the last ${minutes.length} minutes; failure rate ${done ? ((100 * failed) / done).toFixed(1) : "0.0"}%`;
  const width = 720, height = 160, pad = 24, bar = (width - pad) / minutes.length;
  const max = Math.max(1, ...totals);
  const chart = svg("svg", { width, height, role: "img", "aria-label": "completions per minute" });
  minutes.forEach((m, i) => {
    const x = pad + i * bar;
    let y = height - pad;
    for (const [count, color] of [[m.succeeded, "#2e7d32"], [m.failed, "#c62828"], [m.cancelled, "#999"]]) {
      const h = ((height - 2 * pad) * count) / max;
      y -= h;
      if (count > 0) chart.append(svg("rect", { x, y, width: Math.max(1, bar - 1), height: h, fill: color },
        svg("title", {}, `${time(m.start)}: ${m.succeeded} succeeded, ${m.failed} failed, ${m.cancelled} cancelled`)));
    }
  });
  // Failure rate per minute as a line over the bars (0-100% on the same height).
  const points = minutes.map((m, i) => {
    const n = m.succeeded + m.failed;
    return n ? `${pad + i * bar + bar / 2},${height - pad - ((height - 2 * pad) * m.failed) / n}` : null;
  }).filter(Boolean);
  if (points.length > 1) chart.append(svg("polyline", { points: points.join(" "), fill: "none", stroke: "#c62828", "stroke-dasharray": "3 2" }));
  chart.append(svg("text", { x: 2, y: 12, "font-size": 10 }, `max ${max}/min`));
  chart.append(svg("text", { x: pad, y: height - 6, "font-size": 10 }, "-60 min"));
  chart.append(svg("text", { x: width - 30, y: height - 6, "font-size": 10 }, "now"));
  $("#throughput-chart").replaceChildren(chart);
}

function filterFromForm() {
  const form = new FormData($("#filter-form"));
  const filter = {};
  for (const [name, value] of form.entries()) {
    if (!value) continue;
    if (name === "minAttempts") filter[name] = Number(value);
    else if (name === "createdFrom" || name === "createdTo") filter[name] = new Date(value).toISOString();
    else filter[name] = value;
  }
  return filter;
}

async function showRequests(params, append) {
  const form = $("#filter-form");
  if (!append) {
    for (const [name, value] of params.entries()) if (form.elements[name]) form.elements[name].value = value;
    listCursor = null;
  }
  const query = new URLSearchParams({ limit: "50" });
  for (const [name, value] of Object.entries(filterFromForm())) query.set(name, value);
  if (append && listCursor) query.set("after", listCursor);
  const page = await api("GET", `/api/requests?${query}`);
  const rows = page.items.map((r) => el("tr", { "data-request": r.requestId },
    el("td", {}, el("a", { href: `#/request/${encodeURIComponent(r.requestId)}` }, r.requestId)),
    el("td", { class: `state state-${r.state}` }, r.state),
    el("td", {}, r.attempt), el("td", {}, r.model), el("td", {}, time(r.updatedAt)),
    el("td", { class: "reason", title: r.reason || "" }, r.reason || "")));
  const body = $("#request-table tbody");
  if (append) body.append(...rows); else body.replaceChildren(...rows);
  listCursor = page.nextCursor;
  $("#more").hidden = !listCursor;
}

async function showRequest(id) {
  const r = await api("GET", `/api/requests/${encodeURIComponent(id)}`);
  $("#detail-id").textContent = r.requestId;
  const fields = [
    ["State", el("span", { class: `state state-${r.state}`, id: "detail-state" }, r.state)],
    ["Attempt", `${r.attempt}${r.run > 1 ? ` (run ${r.run})` : ""}`],
    ["Model", r.model], ["Next attempt", time(r.nextAttemptAt)], ["Failure kind", r.failureKind || "-"],
    ["Reason", r.reason || "-"], ["Confidence", r.confidence == null ? "-" : r.confidence.toFixed(3)],
    ["Decision", r.decision || "-"], ["Deadline", time(r.deadline)], ["Created", time(r.createdAt)],
    ["Updated", time(r.updatedAt)], ["Completed", time(r.completedAt)], ["Paused", time(r.pausedAt)],
    ["Held until", r.heldUntil ? `${time(r.heldUntil)}: ${r.heldReason}` : "-"],
  ];
  $("#detail-fields").replaceChildren(...fields.flatMap(([name, value]) => [el("dt", {}, name), el("dd", {}, value)]));
  $("#detail-actions").replaceChildren(...Object.entries(ACTIONS).filter(([, states]) => states.includes(r.state)).map(([action]) =>
    el("button", { type: "button", "data-action": action, onclick: () => act(r.requestId, action) }, action[0].toUpperCase() + action.slice(1))));
  $("#attempt-table tbody").replaceChildren(...(r.attempts || []).map((a) => el("tr", {},
    el("td", {}, a.attempt), el("td", {}, a.outcome), el("td", {}, time(a.startedAt)), el("td", {}, a.latencyMs ?? "-"),
    el("td", {}, a.httpStatus ?? "-"), el("td", {}, a.backoffMs ?? "-"), el("td", {}, a.endpoint || "-"),
    el("td", {}, a.workerId || "-"), el("td", { class: "reason", title: a.reason || "" }, a.reason || ""))));
  drawTimeline(r.attempts || []);
  $("#detail-output").textContent = r.result ? r.result.output : "(no answer)";
  showCallback(r);
}

// Every delivery attempt of every callback event, one row each; a failed event can be sent again from here.
function showCallback(r) {
  const section = $("#detail-callback");
  section.hidden = !r.callback;
  if (!r.callback) return;
  $("#callback-url").textContent = `${r.callback.url} (${r.callback.state || "no event yet"})`;
  const rows = (r.callback.events || []).flatMap((e) => {
    const deliveries = e.deliveries && e.deliveries.length ? e.deliveries : [null];
    return deliveries.map((d, i) => el("tr", {},
      el("td", { title: e.eventId }, i === 0 ? e.eventId.slice(0, 12) + "…" : ""), el("td", {}, i === 0 ? e.type : ""),
      el("td", {}, i === 0 ? el("span", { class: `state state-${e.state}` }, e.state) : ""),
      el("td", {}, d ? d.attempt : "-"), el("td", {}, d ? time(d.attemptedAt) : "-"), el("td", {}, d && d.statusCode != null ? d.statusCode : "-"),
      el("td", {}, d ? d.durationMs : "-"), el("td", { class: "reason", title: (d && d.error) || "" }, (d && d.error) || ""),
      el("td", {}, d ? time(d.nextAttemptAt) : time(e.nextAttemptAt)),
      el("td", {}, i === 0 && e.state !== "Pending"
        ? el("button", { type: "button", "data-action": "redeliver", onclick: () => redeliver(r.requestId, e.eventId) }, "Redeliver") : "")));
  });
  $("#callback-table tbody").replaceChildren(...rows);
}

async function redeliver(requestId, eventId) {
  try {
    await api("POST", `/api/callbacks/${encodeURIComponent(eventId)}/redeliver`, {});
    say(`redeliver: ${eventId} queued`);
    await showRequest(requestId);
  } catch (error) {
    say(error.message, true);
  }
}

// Each attempt as a bar from start to finish on one time axis; the backoff before the next attempt as a dashed line.
function drawTimeline(attempts) {
  const started = attempts.filter((a) => a.startedAt);
  if (!started.length) { $("#timeline").replaceChildren(el("p", {}, "No attempt has started.")); return; }
  const t = (iso) => new Date(iso).getTime();
  const now = Date.now();
  const begin = Math.min(...started.map((a) => t(a.startedAt)));
  const end = Math.max(...started.map((a) => (a.finishedAt ? t(a.finishedAt) : now)), begin + 1);
  const width = 720, row = 22, left = 60, height = started.length * row + 30;
  const x = (ms) => left + ((width - left - 10) * (ms - begin)) / (end - begin);
  const colors = { Succeeded: "#2e7d32", Failed: "#c62828", TimedOut: "#f9a825", Running: "#1565c0" };
  const chart = svg("svg", { width, height, role: "img", "aria-label": "attempts timeline", id: "timeline-svg" });
  started.forEach((a, i) => {
    const y = 8 + i * row;
    const x1 = x(t(a.startedAt)), x2 = x(a.finishedAt ? t(a.finishedAt) : now);
    chart.append(svg("text", { x: 2, y: y + 12, "font-size": 11 }, `#${a.attempt}`));
    chart.append(svg("rect", { x: x1, y, width: Math.max(2, x2 - x1), height: row - 8, fill: colors[a.outcome] || "#999", "data-attempt": a.attempt },
      svg("title", {}, `attempt ${a.attempt}: ${a.outcome}, ${a.latencyMs ?? "?"} ms${a.reason ? " - " + a.reason : ""}`)));
    const next = started[i + 1];
    if (next && a.finishedAt) {
      chart.append(svg("line", { x1: x2, y1: y + (row - 8) / 2, x2: x(t(next.startedAt)), y2: y + row + (row - 8) / 2,
        stroke: "#777", "stroke-dasharray": "4 3" }, svg("title", {}, `backoff ${a.backoffMs ?? "?"} ms`)));
    }
  });
  chart.append(svg("text", { x: left, y: height - 4, "font-size": 10 }, time(new Date(begin).toISOString())));
  chart.append(svg("text", { x: width - 120, y: height - 4, "font-size": 10 }, `+${((end - begin) / 1000).toFixed(1)} s`));
  $("#timeline").replaceChildren(chart);
}

async function act(id, action) {
  if (!confirm(`${action} request ${id}?`)) return;
  let body = {};
  if (action === "reject") {
    const reason = prompt("Reason for rejecting", "rejected in the dashboard");
    if (reason === null) return;
    body = { reason, retry: false };
  }
  try {
    await api("POST", `/api/requests/${encodeURIComponent(id)}/${action}`, body);
    say(`${action}: accepted for ${id}`);
    setTimeout(route, 500);
  } catch (error) {
    say(error.message, true);
  }
}

async function bulk(action) {
  const filter = filterFromForm();
  try {
    const dry = await api("POST", `/api/requests/bulk/${action}`, { filter, dryRun: true });
    if (!confirm(`${action} ${dry.accepted} of ${dry.matched} matching requests (${dry.skipped} are in a state that does not allow it)?`)) return;
    const done = await api("POST", `/api/requests/bulk/${action}`, { filter, dryRun: false, reason: `bulk ${action} from the dashboard` });
    say(`${action}: ${done.accepted} accepted, ${done.skipped} skipped${done.more ? "; more match, run it again" : ""}`);
    setTimeout(() => showRequests(new URLSearchParams(), false).catch((e) => say(e.message, true)), 500);
  } catch (error) {
    say(error.message, true);
  }
}

// Each batch with a progress bar (finished of total), its counts, and links to its requests and its results file.
async function showBatches() {
  const page = await api("GET", "/api/batches?limit=100");
  $("#batch-table tbody").replaceChildren(...page.items.map((b) => {
    const finished = b.counts.Succeeded + b.counts.Failed + b.counts.Cancelled;
    return el("tr", { "data-batch": b.batchId },
      el("td", {}, b.batchId),
      el("td", { class: `state state-${b.state === "Completed" ? "Succeeded" : b.state === "Cancelled" ? "Cancelled" : "Processing"}` }, b.state),
      el("td", {}, el("progress", { max: String(b.total), value: String(finished), title: `${finished} of ${b.total} finished` }), ` ${finished}/${b.total}`),
      el("td", {}, b.counts.Succeeded), el("td", {}, b.counts.Failed), el("td", {}, b.counts.Cancelled), el("td", {}, b.total),
      el("td", {}, time(b.createdAt)),
      batchCallback(b),
      el("td", {},
        el("a", { href: `#/requests/batchId=${encodeURIComponent(b.batchId)}` }, "Requests"), " ",
        el("button", { type: "button", "data-action": "results", onclick: () => downloadResults(b.batchId).catch((x) => say(x.message, true)) }, "Results")));
  }));
  if (!page.items.length) say("No batches yet.");
}

// The batch's callback: its latest event's state (the URL and the last error on hover), and a way to send a failed or
// delivered event again, as on a request's page.
function batchCallback(b) {
  if (!b.callback) return el("td", {}, "-");
  const latest = (b.callback.events || []).at(-1);
  if (!latest) return el("td", { title: b.callback.url }, "no event yet");
  return el("td", { title: `${b.callback.url}${latest.lastError ? `: ${latest.lastError}` : ""}` },
    el("span", { class: `state state-${latest.state}`, "data-callback": latest.eventId }, latest.state),
    latest.state !== "Pending"
      ? el("button", { type: "button", "data-action": "redeliver", onclick: () => redeliverBatch(latest.eventId) }, "Redeliver") : "");
}

async function redeliverBatch(eventId) {
  try {
    await api("POST", `/api/callbacks/${encodeURIComponent(eventId)}/redeliver`, {});
    say(`redeliver: ${eventId} queued`);
    await showBatches();
  } catch (error) {
    say(error.message, true);
  }
}

// The results file through fetch, so the API key goes with it, then saved by the browser.
async function downloadResults(batchId) {
  const headers = { Accept: "application/jsonl" };
  const key = localStorage.getItem(KEY_STORAGE);
  if (key) headers["X-Api-Key"] = key;
  const response = await fetch(`/api/batches/${encodeURIComponent(batchId)}/results`, { headers });
  if (!response.ok) throw new ApiError(response.status, `HTTP ${response.status}`, "the results could not be fetched");
  const link = el("a", { href: URL.createObjectURL(await response.blob()), download: `${batchId}-results.jsonl` });
  document.body.append(link);
  link.click();
  link.remove();
  URL.revokeObjectURL(link.href);
}

async function showReview() {
  // The list's items carry confidence, decision and the held answer: no call per request.
  const page = await api("GET", "/api/requests?state=AwaitingReview&limit=100");
  $("#review-table tbody").replaceChildren(...page.items.map((r) => el("tr", { "data-request": r.requestId },
    el("td", {}, el("a", { href: `#/request/${encodeURIComponent(r.requestId)}` }, r.requestId)),
    el("td", {}, r.confidence == null ? "-" : r.confidence.toFixed(3)),
    el("td", {}, r.decision || ""),
    el("td", { class: "reason", title: r.result ? r.result.output : "" }, r.result ? r.result.output : ""),
    el("td", {},
      el("button", { type: "button", "data-action": "approve", onclick: () => act(r.requestId, "approve") }, "Approve"), " ",
      el("button", { type: "button", "data-action": "reject", onclick: () => act(r.requestId, "reject") }, "Reject")))));
  if (!page.items.length) say("The review queue is empty.");
}

async function showDeadLetters() {
  const status = $("#dead-letter-status").value;
  const page = await api("GET", `/api/dead-letters?status=${encodeURIComponent(status)}&limit=100`);
  $("#dead-letter-pending").textContent = `${page.pending} pending`;
  $("#dead-letter-table tbody").replaceChildren(...page.items.map((d) => el("tr", { "data-dead-letter": d.id },
    el("td", {}, d.id), el("td", {}, time(d.receivedAt)), el("td", {}, d.queue), el("td", {}, (d.messageType || "-").replace("urn:message:", "")),
    el("td", {}, d.requestId ? el("a", { href: `#/request/${encodeURIComponent(d.requestId)}` }, d.requestId) : "-"),
    el("td", { class: "reason", title: d.reason }, d.reason), el("td", {}, d.status),
    el("td", {}, d.status !== "Pending" ? `${(d.resolvedBy || "")}` : [
      el("button", { type: "button", "data-action": "requeue", onclick: () => resolveDeadLetter(d.id, "requeue") }, "Requeue"), " ",
      el("button", { type: "button", "data-action": "discard", onclick: () => resolveDeadLetter(d.id, "discard") }, "Discard")]))));
}

async function resolveDeadLetter(id, action) {
  if (!confirm(`${action} dead letter ${id}?`)) return;
  try {
    await api("POST", `/api/dead-letters/${id}/${action}`, {});
    say(`${action}: dead letter ${id} done`);
    await showDeadLetters();
  } catch (error) {
    say(error.message, true);
  }
}

async function submit(event) {
  event.preventDefault();
  const form = new FormData(event.target);
  const body = { model: form.get("model"), messages: [{ role: "user", content: form.get("prompt") }] };
  if (form.get("requestId")) body.requestId = form.get("requestId");
  try {
    const accepted = await api("POST", "/api/requests", body);
    say(`submitted ${accepted.requestId}: ${accepted.state}`);
    location.hash = `#/request/${encodeURIComponent(accepted.requestId)}`;
  } catch (error) {
    say(error.message, true);
  }
}

// ------------------------------------------------------------------------------------------------ start
function init() {
  const stateSelect = $("#filter-form select[name=state]");
  for (const s of STATES) stateSelect.append(el("option", { value: s }, s));
  const kindSelect = $("#filter-form select[name=failureKind]");
  for (const k of FAILURE_KINDS) kindSelect.append(el("option", { value: k }, k));

  $("#filter-form").addEventListener("submit", (e) => { e.preventDefault(); showRequests(new URLSearchParams(), false).catch((x) => say(x.message, true)); });
  $("#more").addEventListener("click", () => showRequests(new URLSearchParams(), true).catch((x) => say(x.message, true)));
  for (const button of document.querySelectorAll("[data-bulk]")) button.addEventListener("click", () => bulk(button.dataset.bulk));
  $("#submit-form").addEventListener("submit", submit);
  $("#dead-letter-status").addEventListener("change", () => showDeadLetters().catch((x) => say(x.message, true)));
  $("#key-button").addEventListener("click", () => askForKey("Enter an operator API key (kept in this browser only)."));
  $("#key-cancel").addEventListener("click", () => $("#key-dialog").close());
  $("#key-form").addEventListener("submit", () => {
    const key = new FormData($("#key-form")).get("key");
    if (key) localStorage.setItem(KEY_STORAGE, key); else localStorage.removeItem(KEY_STORAGE);
    checkKey().then((usable) => usable && route()).catch((e) => say(e.message, true));
  });
  window.addEventListener("hashchange", () => { say(""); route(); });
  // The page refreshes what it shows every few seconds, unless a dialog is open.
  setInterval(() => {
    if ($("#key-dialog").open) return;
    const view = (location.hash.match(/^#\/([a-z]+)/) || [])[1] || "overview";
    if (view === "overview" || view === "batches" || view === "request" || view === "review" || view === "deadletters") route();
  }, 3000);
  checkKey().then((usable) => usable && route()).catch((e) => say(e.message, true));
}

init();
