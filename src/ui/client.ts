/**
 * The web chat's client, an ES module served as text. Hand-written on purpose (no framework, ~15 KB):
 * DOM calls and textContent only, so nothing a server, a provider or a person typed can become markup.
 * Kept inside String.raw, so it must use neither backticks nor dollar-brace.
 */
export const CHAT_JS = String.raw`
const TOKEN_KEY = "infra-chat.token";
const CONVERSATION_KEY = "infra-chat.conversation";
const TERMINAL = ["succeeded", "failed", "rolled-back", "cancelled", "rejected"];
const RUN_RANK = { planned: 0, queued: 1, "awaiting-approval": 1, running: 2, stopped: 2 };
const STEP_RANK = { pending: 0, running: 1 };
const STEP_ICON = { pending: "○", running: "◐", succeeded: "✓", failed: "✗", skipped: "–" };
const ROLE_RANK = { viewer: 0, deployer: 1, admin: 2 };

const $ = (id) => document.getElementById(id);
const state = { token: null, me: null, runs: new Map(), cards: new Map(), sockets: new Map(), envs: [], recent: new Map(), names: new Map() };

/** Builds an element: h("p", {class: "x", onclick: f}, ["text", child]). Text is always textContent. */
function h(tag, attrs, children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else if (k === "class") el.className = v;
    else el.setAttribute(k, v === true ? "" : String(v));
  }
  for (const c of [].concat(children || [])) if (c !== null && c !== undefined && c !== false) el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return el;
}

function svg(tag, attrs, children) {
  const el = document.createElementNS("http://www.w3.org/2000/svg", tag);
  for (const [k, v] of Object.entries(attrs || {})) el.setAttribute(k, String(v));
  for (const c of [].concat(children || [])) if (c) el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return el;
}

// ---- API ---------------------------------------------------------------------------------------

class ApiError extends Error {
  constructor(status, body) {
    super((body && body.error && body.error.message) || ("HTTP " + status));
    this.status = status;
  }
}

async function api(method, path, body) {
  const res = await fetch(path, {
    method,
    headers: Object.assign({ authorization: "Bearer " + state.token }, body === undefined ? {} : { "content-type": "application/json" }),
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (res.status === 401) signOut("Your token was not accepted (unknown, revoked or expired).");
  const text = await res.text();
  let json = null;
  try { json = text ? JSON.parse(text) : null; } catch (e) { json = null; }
  if (!res.ok) throw new ApiError(res.status, json);
  return json === null ? text : json;
}

/** POST /api/chat as server-sent events; calls onEvent(name, data) per event until the stream ends or stop() returns true. */
async function chatStream(body, onEvent) {
  const controller = new AbortController();
  const res = await fetch("/api/chat", {
    method: "POST", signal: controller.signal,
    headers: { authorization: "Bearer " + state.token, "content-type": "application/json", accept: "text/event-stream" },
    body: JSON.stringify(body),
  });
  if (res.status === 401) signOut("Your token was not accepted (unknown, revoked or expired).");
  if (!res.ok) {
    let json = null;
    try { json = await res.json(); } catch (e) { json = null; }
    throw new ApiError(res.status, json);
  }
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += value.replace(/\r\n/g, "\n");
      let cut;
      while ((cut = buffer.indexOf("\n\n")) >= 0) {
        const frame = buffer.slice(0, cut);
        buffer = buffer.slice(cut + 2);
        let event = "message";
        const data = [];
        for (const line of frame.split("\n")) {
          if (line.startsWith("event:")) event = line.slice(6).trim();
          else if (line.startsWith("data:")) data.push(line.slice(5).replace(/^ /, ""));
        }
        if (data.length && onEvent(event, JSON.parse(data.join("\n"))) === "stop") {
          controller.abort();
          return;
        }
      }
    }
  } catch (e) {
    if (e.name !== "AbortError") throw e;
  }
}

// ---- sign-in -----------------------------------------------------------------------------------

async function signIn(token) {
  state.token = token;
  const { user } = await api("GET", "/api/me");
  state.me = user;
  sessionStorage.setItem(TOKEN_KEY, token);
  $("who").textContent = user.name + " · " + user.role;
  $("who").hidden = false;
  $("sign-out").hidden = false;
  $("signin-view").hidden = true;
  $("app-view").hidden = false;
  $("message").focus();
  await Promise.all([loadNames(), loadHistory()]);
  await loadEnvironments();
}

/** User ids in runs and audit events read better as names (GET /api/users never includes tokens). */
async function loadNames() {
  namesTimer = null;
  try {
    const { users } = await api("GET", "/api/users");
    for (const u of users) state.names.set(u.id, u.name);
  } catch (e) {
    // Ids are shown instead.
  }
}

let namesTimer = null;
function nameOf(id) {
  const name = state.names.get(id);
  // Someone added since sign-in (another admin, say): look the names up again, once things settle.
  if (!name && /^usr_/.test(id || "") && !namesTimer) namesTimer = setTimeout(() => loadNames().then(() => redrawAll()), 1000);
  return name || id;
}

function redrawAll() {
  for (const [id, cards] of state.cards) for (const card of cards) drawRun(card, state.runs.get(id));
}

function signOut(reason) {
  sessionStorage.removeItem(TOKEN_KEY);
  sessionStorage.removeItem(CONVERSATION_KEY);
  state.token = null;
  state.me = null;
  for (const ws of state.sockets.values()) ws.close(1000, "signed out");
  state.sockets.clear();
  $("log").replaceChildren();
  $("app-view").hidden = true;
  $("who").hidden = true;
  $("sign-out").hidden = true;
  $("signin-view").hidden = false;
  $("signin-error").textContent = reason || "";
  $("token").focus();
}

// ---- conversation ------------------------------------------------------------------------------

function addEntry(role, content) {
  const li = h("li", { class: "msg " + role }, content);
  $("log").append(li);
  li.scrollIntoView({ block: "end", behavior: "smooth" });
  return li;
}

async function loadHistory() {
  const id = sessionStorage.getItem(CONVERSATION_KEY);
  if (!id) return;
  try {
    const { messages } = await api("GET", "/api/conversations/" + encodeURIComponent(id) + "/messages");
    for (const m of messages) addEntry(m.role, h("pre", { class: "reply-text" }, m.text));
  } catch (e) {
    sessionStorage.removeItem(CONVERSATION_KEY);
  }
}

async function send(text) {
  addEntry("user", h("pre", { class: "reply-text" }, text));
  const sendButton = $("send");
  sendButton.disabled = true;
  const pending = addEntry("assistant", h("p", { class: "meta" }, "thinking…"));
  let replies = 0;
  try {
    const conversationId = sessionStorage.getItem(CONVERSATION_KEY) || undefined;
    await chatStream({ message: text, conversationId }, (event, data) => {
      if (event === "conversation") sessionStorage.setItem(CONVERSATION_KEY, data.conversationId);
      if (event === "reply") {
        replies += 1;
        if (replies === 1) pending.remove();
        renderReply(data);
      }
      if (event === "run") updateRun(data);
      // Progress arrives over the environment's WebSocket: free the connection once the replies are in.
      if (event === "replies-end") return "stop";
    });
    if (replies === 0) pending.remove();
  } catch (e) {
    pending.replaceChildren(h("p", { class: "error" }, "Not sent: " + e.message));
  } finally {
    sendButton.disabled = false;
  }
}

function renderReply(reply) {
  // A plan's card shows what its text says, structured; the full text stays one click away.
  const text = h("pre", { class: "reply-text" }, reply.text);
  const parts = [reply.plan ? h("details", {}, [h("summary", {}, reply.text.split("\n")[0]), text]) : text];
  // A plan card has its own Apply / Discard buttons; the question adds only the other choices.
  const options = ((reply.question && reply.question.options) || []).filter((o) => !reply.plan || (o !== "apply" && o !== "cancel"));
  if (options.length) {
    parts.push(h("div", { class: "actions" }, options.map((o) => h("button", { type: "button", class: "secondary", onclick: () => send(o) }, o))));
  }
  if (reply.plan) parts.push(planCard(reply.plan, reply.run));
  if (reply.run) {
    watchEnvironment(reply.run.env);
    parts.push(runCard(reply.run));
  }
  addEntry("assistant", parts);
}

// ---- plans -------------------------------------------------------------------------------------

function can(role) {
  return state.me && ROLE_RANK[state.me.role] >= ROLE_RANK[role];
}

function planCard(plan, run) {
  const actions = h("div", { class: "actions" });
  const card = h("article", { class: "card plan", "data-plan-id": plan.id, "aria-label": "Plan " + plan.type + " " + plan.env }, [
    h("h3", {}, "Plan: " + plan.type + " " + plan.env),
    h("p", { class: "meta" }, "risk " + ((plan.risk && plan.risk.level) || "unknown") + " · " + plan.steps.length + " steps · " + (plan.diff.length ? plan.diff.length + " desired-state changes" : "no desired-state changes") + (plan.requiresApproval ? " · needs an admin's approval" : "")),
    plan.risk && plan.risk.notes && plan.risk.notes.length ? h("ul", { class: "risk-notes" }, plan.risk.notes.map((n) => h("li", {}, n))) : null,
    h("ol", { class: "steps" }, plan.steps.map((s) => h("li", {}, [h("span", { "aria-hidden": "true" }, "·"), h("span", {}, s.summary)]))),
    actions,
  ]);
  if (run || plan.autoApply) {
    actions.append(h("p", { class: "meta" }, "Applied automatically by " + plan.env + "'s policy."));
  } else if (can("deployer")) {
    const apply = h("button", { type: "button" }, "Apply");
    const discard = h("button", { type: "button", class: "secondary" }, "Discard");
    apply.addEventListener("click", async () => {
      apply.disabled = discard.disabled = true;
      try {
        const { run: started } = await api("POST", "/api/plans/" + encodeURIComponent(plan.id) + "/apply");
        actions.replaceChildren(h("p", { class: "meta" }, "Applied by you."));
        watchEnvironment(started.env);
        card.after(runCard(started));
      } catch (e) {
        apply.disabled = discard.disabled = false;
        actions.append(h("p", { class: "error", role: "alert" }, "Apply failed: " + e.message));
      }
    });
    discard.addEventListener("click", () => {
      actions.replaceChildren(h("p", { class: "meta" }, "Discarded."));
      send("cancel");
    });
    actions.append(apply, discard);
  } else {
    actions.append(h("p", { class: "meta" }, "A deployer or admin can apply this plan."));
  }
  return card;
}

// ---- runs --------------------------------------------------------------------------------------

function rank(status, table) {
  return TERMINAL.includes(status) ? 3 : (table[status] ?? 0);
}

/** Merges a newer view of a run; never lets an older view (a slow REST answer) undo a pushed one. */
function mergeRun(update) {
  const known = state.runs.get(update.id);
  if (!known) {
    state.runs.set(update.id, Object.assign({}, update));
    return state.runs.get(update.id);
  }
  const older = rank(update.status, RUN_RANK) < rank(known.status, RUN_RANK);
  const steps = (update.steps || known.steps || []).map((s) => {
    const prev = (known.steps || []).find((p) => p.id === s.id);
    return prev && rank(prev.status, STEP_RANK) > rank(s.status, STEP_RANK) ? prev : s;
  });
  const merged = Object.assign({}, known, older ? {} : update, { steps });
  if (older) merged.artifacts = update.artifacts || known.artifacts;
  if (!update.canary && known.canary) merged.canary = known.canary;
  if (!update.artifacts && known.artifacts) merged.artifacts = known.artifacts;
  state.runs.set(update.id, merged);
  return merged;
}

function runCard(run) {
  const card = h("article", { class: "card run", "data-run-id": run.id });
  const list = state.cards.get(run.id) || [];
  list.push(card);
  state.cards.set(run.id, list);
  const merged = mergeRun(run);
  drawRun(card, merged);
  if (TERMINAL.includes(merged.status)) loadArtifacts(merged.id, 0);
  return card;
}

function updateRun(update) {
  const before = state.runs.get(update.id);
  const merged = mergeRun(update);
  for (const card of state.cards.get(update.id) || []) drawRun(card, merged);
  noteRecent(merged);
  if (TERMINAL.includes(merged.status) && !(before && TERMINAL.includes(before.status))) loadArtifacts(merged.id, 0);
}

/** Artifacts are listed by the REST view; run.json and metrics.json land just after the final transition. */
async function loadArtifacts(runId, attempt) {
  try {
    const { run } = await api("GET", "/api/runs/" + encodeURIComponent(runId));
    const merged = mergeRun({ id: run.id, status: run.status, artifacts: run.artifacts, steps: run.steps, error: run.error, approvals: run.approvals, progress: run.progress });
    for (const card of state.cards.get(run.id) || []) drawRun(card, merged);
    const complete = run.artifacts.includes("run.json") && (!merged.canary || run.artifacts.includes("metrics.json"));
    if (!complete && attempt < 8) setTimeout(() => loadArtifacts(runId, attempt + 1), 500);
  } catch (e) {
    // The card still shows the pushed state; artifacts are a convenience.
  }
}

function drawRun(card, run) {
  const focused = card.contains(document.activeElement) ? document.activeElement.textContent : null;
  const parts = [
    h("h3", {}, ["Run " + run.id + " · " + run.type + " " + run.env + " ", h("span", { class: "status " + run.status, "data-status": run.status }, run.status)]),
  ];
  const who = [run.requestedBy ? "requested by " + nameOf(run.requestedBy) : null,
    run.approvals && run.approvals.approvedBy.length ? "approved by " + run.approvals.approvedBy.map(nameOf).join(", ") : null,
    run.approvals && run.approvals.rejectedBy ? "rejected by " + nameOf(run.approvals.rejectedBy) : null].filter(Boolean);
  if (who.length) parts.push(h("p", { class: "meta" }, who.join(" · ")));
  if (run.error) parts.push(h("p", { class: "run-error" }, run.error));
  parts.push(h("ol", { class: "steps" }, (run.steps || []).map((s) => h("li", { "data-step": s.id, "data-status": s.status }, [
    h("span", { "aria-label": s.status, title: s.status }, STEP_ICON[s.status] || "·"),
    h("span", {}, s.summary + (s.attempts > 1 ? " (attempt " + s.attempts + ")" : "")),
    s.note || s.error ? h("span", { class: "note" }, s.error || s.note) : null,
  ]))));
  if (run.canary) parts.push(canaryChart(run.canary, run.status));
  if (run.progress && typeof run.progress.processed === "number") parts.push(backfillProgress(run.progress, run.status));
  parts.push(runActions(run));
  if (run.artifacts && run.artifacts.length) parts.push(artifactLinks(run));
  card.replaceChildren(...parts);
  if (focused) {
    const again = [...card.querySelectorAll("button")].find((b) => b.textContent === focused);
    if (again) again.focus();
  }
}

function runActions(run) {
  const box = h("div", { class: "actions" });
  const isProd = /:production$/.test(run.env);
  const mine = state.me && run.requestedBy === state.me.id;
  const approver = state.me && (state.me.role === "admin" || (!isProd && state.me.role === "deployer"));
  const act = (label, action, cls) => h("button", {
    type: "button", class: cls,
    onclick: async (event) => {
      event.target.disabled = true;
      try {
        const { run: next } = await api("POST", "/api/runs/" + encodeURIComponent(run.id) + "/" + action, {});
        updateRun(next);
      } catch (e) {
        box.append(h("p", { class: "error", role: "alert" }, label + " failed: " + e.message));
        event.target.disabled = false;
      }
    },
  }, label);
  if (run.status === "awaiting-approval") {
    if (approver && !mine) box.append(act("Approve", "approve"), act("Reject", "reject", "danger"));
    else box.append(h("p", { class: "meta" }, mine ? "Waiting for an admin other than you to approve." : "Waiting for an admin to approve (requested by " + nameOf(run.requestedBy) + ")."));
  }
  if (run.status === "stopped" && can("deployer")) box.append(act("Resume", "resume"));
  if (run.canary && (run.status === "running" || run.status === "stopped") && can("deployer")) box.append(act("Promote now", "promote", "secondary"));
  if (run.status === "running" && run.type === "backfill" && can("deployer")) box.append(act("Stop", "stop", "secondary"));
  if (!TERMINAL.includes(run.status) && can("deployer")) box.append(act("Cancel run", "cancel", "danger"));
  return box;
}

/** Incident files first, then the run's own files; per-step provider receipts fold away. */
function artifactLinks(run) {
  const link = (name) => h("li", {}, h("button", {
    type: "button", class: "secondary" + (/incident/.test(name) ? " incident" : ""),
    onclick: () => openArtifact(run.id, name),
  }, /incident/.test(name) ? "Incident: " + name : name));
  const receipts = run.artifacts.filter((n) => n.startsWith("receipts/"));
  const main = run.artifacts.filter((n) => !n.startsWith("receipts/")).sort((a, b) => Number(/incident/.test(b)) - Number(/incident/.test(a)));
  return h("div", { class: "artifact-box" }, [
    h("ul", { class: "artifacts", "aria-label": "Artifacts" }, main.map(link)),
    receipts.length ? h("details", {}, [h("summary", {}, "provider receipts (" + receipts.length + ")"), h("ul", { class: "artifacts" }, receipts.map(link))]) : null,
  ]);
}

function openArtifact(runId, name) {
  return openFile(name + " · " + runId, "/api/runs/" + encodeURIComponent(runId) + "/artifacts/" + name.split("/").map(encodeURIComponent).join("/"));
}

/** Shows a text or JSON file in the viewer dialog (fetched with the token; never rendered as HTML). */
async function openFile(title, path) {
  const body = $("viewer-body");
  $("viewer-title").textContent = title;
  body.textContent = "loading…";
  $("viewer").showModal();
  try {
    const content = await api("GET", path);
    body.textContent = typeof content === "string" ? content : JSON.stringify(content, null, 2);
  } catch (e) {
    body.textContent = "Could not load it: " + e.message;
  }
}

// ---- canary chart and backfill progress --------------------------------------------------------

/** Weight (area) and error rates of canary vs baseline per check, with the rollback marked. */
function canaryChart(canary, status) {
  const W = 360, H = 160, L = 34, R = 38, T = 10, B = 24;
  const points = canary.points || [];
  const n = Math.max(points.length, 1);
  const rolledBack = canary.phase === "rolled-back" || canary.phase === "rolling-back";
  const slots = n + (rolledBack ? 1 : 0);
  const x = (i) => L + (slots <= 1 ? 0 : (i * (W - L - R)) / (slots - 1));
  const maxRate = Math.max(0.05, ...points.map((p) => Math.max(p.canaryErrorRate || 0, p.baselineErrorRate || 0)));
  const yRate = (r) => T + (H - T - B) * (1 - r / maxRate);
  const yWeight = (w) => T + (H - T - B) * (1 - w / 100);
  const weights = points.map((p, i) => [x(i), yWeight(p.weight)]);
  if (rolledBack) weights.push([x(n), yWeight(0)]);
  const area = weights.length ? "M" + x(0) + "," + yWeight(0) + " " + weights.map((p) => "L" + p[0] + "," + p[1]).join(" ") + " L" + weights[weights.length - 1][0] + "," + yWeight(0) + " Z" : "";
  const line = (key) => points.filter((p) => p[key] !== null && p[key] !== undefined).map((p, i) => (i ? "L" : "M") + x(points.indexOf(p)) + "," + yRate(p[key])).join(" ");
  const pct = (v) => (v === null || v === undefined ? "?" : (Math.round(v * 1000) / 10) + "%");
  const last = points[points.length - 1];
  const summary = "Canary " + canary.phase + " at " + canary.weight + "% of traffic" + (canary.lastScore === null || canary.lastScore === undefined ? "" : ", score " + canary.lastScore) +
    (last ? "; last check: canary errors " + pct(last.canaryErrorRate) + " vs baseline " + pct(last.baselineErrorRate) : "; no checks yet");
  const chart = svg("svg", { class: "chart", viewBox: "0 0 " + W + " " + H, role: "img", "aria-label": summary, "data-phase": canary.phase, "data-points": points.length }, [
    svg("title", {}, summary),
    svg("line", { class: "axis", x1: L, y1: H - B, x2: W - R, y2: H - B }),
    svg("line", { class: "axis", x1: L, y1: T, x2: L, y2: H - B }),
    svg("line", { class: "axis", x1: W - R, y1: T, x2: W - R, y2: H - B }),
    svg("text", { x: 2, y: T + 8 }, pct(maxRate)),
    svg("text", { x: 2, y: H - B }, "0%"),
    svg("text", { x: W - R + 4, y: T + 8 }, "100%"),
    svg("text", { x: W - R + 4, y: H - B }, "0%"),
    svg("text", { x: L, y: H - 6 }, points.length ? "check 1 · " + points[0].at.slice(11, 19) : "no checks yet"),
    points.length ? svg("text", { x: W - R - 90, y: H - 6 }, "check " + points.length + " · " + last.at.slice(11, 19)) : null,
    area ? svg("path", { class: "weight", d: area }) : null,
    line("baselineErrorRate") ? svg("path", { class: "baseline", d: line("baselineErrorRate") }) : null,
    line("canaryErrorRate") ? svg("path", { class: "canary", d: line("canaryErrorRate") }) : null,
    rolledBack ? svg("line", { class: "rollback", x1: x(n), y1: T, x2: x(n), y2: H - B }) : null,
    rolledBack ? svg("text", { x: Math.max(L, x(n) - 50), y: T + 24, class: "rollback-label" }, "rollback") : null,
  ]);
  return h("figure", { class: "canary-figure", "data-phase": canary.phase }, [
    chart,
    h("ul", { class: "legend" }, [
      h("li", {}, [h("span", { class: "sw weight" }), "canary weight"]),
      h("li", {}, [h("span", { class: "sw canary" }), "canary error rate"]),
      h("li", {}, [h("span", { class: "sw baseline" }), "baseline error rate"]),
    ]),
    h("figcaption", { class: "meta" }, summary + (status === "rolled-back" ? ". Traffic is back on stable." : "")),
  ]);
}

function backfillProgress(p, status) {
  const total = typeof p.total === "number" ? p.total : null;
  const eta = p.etaSeconds ? (p.etaSeconds >= 90 ? "about " + Math.ceil(p.etaSeconds / 60) + " min left" : "about " + Math.ceil(p.etaSeconds) + " s left") : TERMINAL.includes(status) ? "done" : "ETA unknown";
  const rate = p.achievedRatePerMinute ?? p.ratePerMinute;
  return h("div", { class: "backfill" }, [
    h("label", {}, [
      (p.dryRun ? "Dry run: " : "Backfill: ") + p.processed + (total === null ? "" : " of " + total) + " rows",
      total === null ? h("progress", {}) : h("progress", { max: total || 1, value: Math.min(p.processed, total || 1) }),
    ]),
    h("p", { class: "meta" }, [(p.failed || 0) + " failed", rate ? rate + " rows/min" : null, eta, p.note || null].filter(Boolean).join(" · ")),
  ]);
}

// ---- environments, live sockets, recent runs and audit -----------------------------------------

async function loadEnvironments() {
  const { projects } = await api("GET", "/api/projects");
  const envs = [];
  for (const p of projects) {
    const { environments } = await api("GET", "/api/projects/" + encodeURIComponent(p.slug) + "/envs");
    for (const e of environments) envs.push(e.env);
  }
  state.envs = envs;
  const select = $("env");
  select.replaceChildren(...envs.map((e) => h("option", { value: e }, e)));
  const preferred = envs.find((e) => /:production$/.test(e)) || envs[0];
  if (preferred) {
    select.value = preferred;
    showEnvironment(preferred);
  }
}

function showEnvironment(env) {
  watchEnvironment(env);
  drawRecent();
  loadAudit();
  loadIncidents();
}

/** The environment's incidents, newest first, each with the files of its bundle one click away. */
async function loadIncidents() {
  const env = $("env").value;
  const list = $("incidents");
  try {
    const { incidents } = await api("GET", "/api/incidents?env=" + encodeURIComponent(env) + "&limit=10");
    list.replaceChildren(...incidents.map((i) => {
      const files = h("ul", { class: "files" });
      const show = h("button", { type: "button", class: "link" }, "bundle");
      show.addEventListener("click", async () => {
        const { incident } = await api("GET", "/api/incidents/" + encodeURIComponent(i.id));
        files.replaceChildren(...incident.bundle.files.map((name) => h("li", {}, h("button", {
          type: "button", class: "secondary",
          onclick: () => openFile(name + " · " + i.id, "/api/incidents/" + encodeURIComponent(i.id) + "/bundle/" + name.split("/").map(encodeURIComponent).join("/")),
        }, name))));
        if (!incident.bundle.files.length) files.append(h("li", { class: "meta" }, "no files"));
      });
      return h("li", { "data-incident-id": i.id }, [
        h("span", { class: "status " + (i.status === "open" ? "failed" : "succeeded") }, i.status), " ", i.title, " ",
        h("span", { class: "meta" }, i.openedAt.slice(5, 16).replace("T", " ")), " ", show, files,
      ]);
    }));
    if (!incidents.length) list.append(h("li", { class: "meta" }, "no incidents"));
  } catch (e) {
    list.replaceChildren(h("li", { class: "meta" }, "incidents unavailable: " + e.message));
  }
}

/** One WebSocket per environment, with the token as subprotocol; reconnects with backoff while signed in. */
function watchEnvironment(env, attempt) {
  if (!env || state.sockets.has(env) || !state.token) return;
  const url = location.origin.replace(/^http/, "ws") + "/api/envs/" + encodeURIComponent(env) + "/live";
  const ws = new WebSocket(url, ["infra-chat.v1", "bearer." + state.token]);
  state.sockets.set(env, ws);
  let ping = null;
  ws.addEventListener("open", () => {
    if (env === $("env").value) $("live-state").textContent = "live: connected to " + env;
    ping = setInterval(() => ws.readyState === 1 && ws.send("ping"), 30000);
  });
  ws.addEventListener("message", (event) => {
    if (event.data === "pong") return;
    const message = JSON.parse(event.data);
    const runs = message.type === "snapshot" ? message.runs : [message.run];
    for (const run of runs) {
      state.recent.set(run.id, run);
      updateRun(run);
    }
    if (env === $("env").value) {
      drawRecent();
      if (message.type === "run") refreshAuditSoon();
    }
  });
  ws.addEventListener("close", () => {
    clearInterval(ping);
    if (state.sockets.get(env) !== ws) return;
    state.sockets.delete(env);
    if (env === $("env").value) $("live-state").textContent = "live: reconnecting…";
    if (state.token) setTimeout(() => watchEnvironment(env, (attempt || 0) + 1), Math.min(15000, 500 * 2 ** (attempt || 0)));
  });
}

function noteRecent(run) {
  if (!run.env) return;
  const known = state.recent.get(run.id);
  if (known || state.sockets.has(run.env)) state.recent.set(run.id, Object.assign({}, known || {}, run));
  if (run.env === $("env").value) drawRecent();
}

function drawRecent() {
  const env = $("env").value;
  const runs = [...state.recent.values()].filter((r) => r.env === env).sort((a, b) => (a.createdAt < b.createdAt ? 1 : -1)).slice(0, 10);
  $("recent").replaceChildren(...runs.map((r) => h("li", { "data-run-id": r.id }, [
    h("button", { type: "button", class: "link", onclick: () => addEntry("assistant", runCard(r)) }, r.type + " " + r.id.slice(-6)),
    h("span", { class: "status " + r.status }, r.status),
  ])));
  if (!runs.length) $("recent").append(h("li", {}, "no runs yet"));
}

let auditTimer = null;
/** Transitions come in bursts; the audit list follows them once they settle. */
function refreshAuditSoon() {
  clearTimeout(auditTimer);
  auditTimer = setTimeout(() => { loadAudit(); loadIncidents(); }, 1000);
}

async function loadAudit() {
  const env = $("env").value;
  if (!env) return;
  const list = $("audit");
  try {
    const { events } = await api("GET", "/api/audit?env=" + encodeURIComponent(env) + "&limit=50");
    list.replaceChildren(...events.map((e) => h("li", {}, [
      h("div", { class: "meta" }, [h("time", { datetime: e.at }, e.at.slice(5, 19).replace("T", " ")), " · " + nameOf(e.actor)]),
      h("div", {}, [h("span", { class: "action" }, e.action), e.runId ? " · " + e.runId : ""]),
      e.diffSummary ? h("div", { class: "meta" }, e.diffSummary) : null,
    ])));
    if (!events.length) list.append(h("li", { class: "meta" }, "no audit events"));
  } catch (e) {
    list.replaceChildren(h("li", { class: "error" }, "Audit unavailable: " + e.message));
  }
}

async function verifyAudit() {
  const env = $("env").value;
  const verdict = $("audit-verdict");
  verdict.textContent = "verifying…";
  try {
    const r = await api("GET", "/api/audit/verify?env=" + encodeURIComponent(env));
    verdict.textContent = r.ok ? "Chain intact: " + r.events + " events recomputed." : "Chain BROKEN at " + r.brokenAt;
    verdict.className = "verdict " + (r.ok ? "ok" : "error");
  } catch (e) {
    verdict.textContent = "Could not verify: " + e.message;
  }
}

// ---- wiring ------------------------------------------------------------------------------------

function start() {
  $("signin").addEventListener("submit", async (event) => {
    event.preventDefault();
    const input = $("token");
    const token = input.value.trim();
    input.value = "";
    $("signin-error").textContent = "";
    try {
      await signIn(token);
    } catch (e) {
      signOut(e.status === 401 ? "That token was not accepted." : "Sign-in failed: " + e.message);
    }
  });
  $("sign-out").addEventListener("click", () => signOut(""));
  $("composer").addEventListener("submit", (event) => {
    event.preventDefault();
    const text = $("message").value.trim();
    if (!text) return;
    $("message").value = "";
    send(text);
  });
  $("message").addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      $("composer").requestSubmit();
    }
  });
  $("new-conversation").addEventListener("click", () => {
    sessionStorage.removeItem(CONVERSATION_KEY);
    $("log").replaceChildren();
    state.cards.clear();
    $("message").focus();
  });
  $("env").addEventListener("change", () => showEnvironment($("env").value));
  $("audit-refresh").addEventListener("click", loadAudit);
  $("audit-verify").addEventListener("click", verifyAudit);
  const saved = sessionStorage.getItem(TOKEN_KEY);
  if (saved) signIn(saved).catch(() => signOut("Please sign in again."));
  else $("token").focus();
}

start();
`;
