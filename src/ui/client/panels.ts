/** The side panel (environments, live sockets, recent runs, incidents, audit) and start-up wiring. Part of the web chat's one client script (see ../client.ts). */
export const PANELS_JS = String.raw`
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
