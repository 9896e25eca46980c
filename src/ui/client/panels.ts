/** The environment panel, the live sockets, the approvals inbox, and start-up wiring. Part of the one client script (see ../client.ts). */
export const PANELS_JS = String.raw`
// ---- environments and live sockets -------------------------------------------------------------

async function loadEnvironments() {
  const { projects } = await api("GET", "/api/projects");
  const envs = [];
  for (const p of projects) {
    const { environments } = await api("GET", "/api/projects/" + encodeURIComponent(p.slug) + "/envs");
    for (const e of environments) envs.push(e.env);
  }
  state.envs = envs;
  $("env").replaceChildren(...envs.map((e) => h("option", { value: e }, e)));
  // Every environment's feed is watched: approvals and runs anywhere reach the inbox without a reload.
  for (const env of envs) watchEnvironment(env);
  selectEnvironment(envs.find((e) => /:production$/.test(e)) || envs[0]);
}

/** Shows an environment in the panel (the conversation's last command, or the page's subject). */
function selectEnvironment(env) {
  if (!env || !state.envs.includes(env)) return;
  if ($("env").value === env && $("env").dataset.shown === env) return;
  $("env").value = env;
  showEnvironment(env);
}

function showEnvironment(env) {
  $("env").dataset.shown = env;
  watchEnvironment(env);
  const ws = state.sockets.get(env);
  $("live-state").textContent = ws && ws.readyState === 1 ? "live: connected to " + env : "live: connecting…";
  drawRecent();
  drawEnvSummary(env);
  loadAudit();
  loadIncidents();
}

async function drawEnvSummary(env) {
  const box = $("env-summary");
  try {
    const { environment: e } = await api("GET", "/api/envs/" + encodeURIComponent(env));
    if ($("env").value !== env) return;
    envReleases.set(env, e.currentRelease);
    box.replaceChildren(
      h("p", {}, [link("/envs/" + e.env, "Overview of " + envName(e.env)), " · " + releaseName(e.currentRelease && e.currentRelease.version)]),
      e.currentRelease ? h("p", { class: "meta" }, Object.entries(e.currentRelease.services).map(([s, r]) => commitName(s, r.commitSha, r.commitMessage)).join(" · ")) : null,
    );
  } catch (e) {
    box.replaceChildren(h("p", { class: "meta" }, "overview unavailable: " + e.message));
  }
}

/** The environment's incidents, newest first, each linking to its page. */
async function loadIncidents() {
  const env = $("env").value;
  const list = $("incidents");
  try {
    const { incidents } = await api("GET", "/api/incidents?env=" + encodeURIComponent(env) + "&limit=10");
    if ($("env").value !== env) return;
    list.replaceChildren(...incidents.map((i) => h("li", { "data-incident-id": i.id }, [
      h("span", { class: "status " + i.status }, i.status), " ", link("/incidents/" + i.id, i.title), " ", h("span", { class: "meta" }, clock(i.openedAt)),
    ])));
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
  ws.addEventListener("close", (event) => {
    clearInterval(ping);
    if (state.sockets.get(env) !== ws) return;
    state.sockets.delete(env);
    // Closed because its token was revoked: this page has no business staying signed in.
    if (event.code === 4401 && state.me) return signOut("Your token was revoked.");
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
    link("/runs/" + r.id, r.type + " " + r.id.slice(-6)),
    h("span", { class: "status " + r.status }, r.status),
  ])));
  if (!runs.length) $("recent").append(h("li", {}, "no runs yet"));
}

// ---- approvals inbox ---------------------------------------------------------------------------

/** Runs waiting for this person, from the history at sign-in; the live feeds keep it current. */
async function loadApprovals() {
  try {
    const { runs } = await api("GET", "/api/runs?status=awaiting-approval&limit=100");
    for (const r of runs) noteApproval(Object.assign({ steps: [] }, r, { requestedBy: r.requestedBy }));
  } catch (e) {
    // The live feeds still fill the inbox.
  }
  drawBadge();
}

function noteApproval(run) {
  const had = state.approvals.has(run.id);
  if (mayApprove(run)) state.approvals.set(run.id, Object.assign({}, state.approvals.get(run.id) || {}, run));
  else state.approvals.delete(run.id);
  if (had !== state.approvals.has(run.id)) {
    drawBadge();
    const list = $("approvals-list");
    if (list) drawApprovals(list);
  }
}

function drawBadge() {
  const n = state.approvals.size;
  const badge = $("approvals-badge");
  badge.hidden = n === 0;
  badge.textContent = String(n);
  $("approvals-link").setAttribute("aria-label", "Approvals" + (n ? ", " + n + " waiting for you" : ""));
  setTitle();
}

// ---- audit -------------------------------------------------------------------------------------

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
    if ($("env").value !== env) return;
    list.replaceChildren(...events.map((e) => h("li", {}, [
      h("div", { class: "meta" }, [timeEl(e.at), " · " + nameOf(e.actor)]),
      h("div", {}, [h("span", { class: "action" }, e.action), e.runId ? " · " : null, e.runId ? link("/runs/" + e.runId, e.runId) : null]),
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
    verdict.className = "verdict error";
  }
}

// ---- start -------------------------------------------------------------------------------------

function start() {
  $("signin").addEventListener("submit", async (event) => {
    event.preventDefault();
    const token = $("token").value.trim();
    if (!token) return;
    $("signin-error").textContent = "";
    try {
      await signIn(token);
    } catch (e) {
      state.token = null;
      state.me = null;
      $("signin-error").textContent = e.status === 401 ? "That token was not accepted: it is unknown, revoked or expired." : "Could not sign in: " + e.message;
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
    conversationRuns.clear();
    updateStatusLine();
    $("message").focus();
  });
  $("conversations").addEventListener("toggle", () => $("conversations").open && loadConversations());
  $("env").addEventListener("change", () => showEnvironment($("env").value));
  $("audit-refresh").addEventListener("click", loadAudit);
  $("audit-verify").addEventListener("click", verifyAudit);
  $("tab-main").addEventListener("click", () => showTab("main"));
  $("tab-side").addEventListener("click", () => showTab("side"));
  showTab("main");
  // In-app links change the address without a reload; the browser's back and forward redraw the page.
  document.addEventListener("click", (event) => {
    const a = event.target.closest && event.target.closest("a[data-nav]");
    if (!a || event.ctrlKey || event.metaKey || event.shiftKey || event.button !== 0) return;
    event.preventDefault();
    navigate(a.getAttribute("href"));
  });
  window.addEventListener("popstate", route);
  const saved = sessionStorage.getItem(TOKEN_KEY);
  if (saved) signIn(saved).catch(() => signOut("Please sign in again."));
  else $("token").focus();
}

start();
`;
