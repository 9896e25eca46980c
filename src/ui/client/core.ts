/** The console's core: helpers, API calls, times and names, sign-in and the router. Part of the one client script (see ../client.ts). */
export const CORE_JS = String.raw`
const TOKEN_KEY = "infra-chat.token";
const CONVERSATION_KEY = "infra-chat.conversation";
const TERMINAL = ["succeeded", "failed", "rolled-back", "cancelled", "rejected"];
const RUN_RANK = { planned: 0, queued: 1, "awaiting-approval": 1, running: 2, stopped: 2 };
const STEP_RANK = { pending: 0, running: 1 };
const STEP_ICON = { pending: "○", running: "◐", succeeded: "✓", failed: "✗", skipped: "–" };
const ROLE_RANK = { viewer: 0, deployer: 1, admin: 2 };

const $ = (id) => document.getElementById(id);
const state = {
  token: null, me: null, runs: new Map(), cards: new Map(), sockets: new Map(), envs: [], recent: new Map(),
  names: new Map(), approvals: new Map(), plans: new Map(), route: null, streams: [],
};

/** Builds an element: h("p", {class: "x", onclick: f}, ["text", child]). Text is always textContent. */
function h(tag, attrs, children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else if (k === "class") el.className = v;
    else el.setAttribute(k, v === true ? "" : String(v));
  }
  // Nested lists flatten, so a child may be [" · ", link]; never the text of a list.
  for (const c of [].concat(children || []).flat(Infinity)) if (c !== null && c !== undefined && c !== false) el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return el;
}

function svg(tag, attrs, children) {
  const el = document.createElementNS("http://www.w3.org/2000/svg", tag);
  for (const [k, v] of Object.entries(attrs || {})) el.setAttribute(k, String(v));
  for (const c of [].concat(children || [])) if (c) el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return el;
}

/** An in-app link: navigates without reloading (the router draws the page). */
function link(href, text, attrs) {
  return h("a", Object.assign({ href, "data-nav": true }, attrs || {}), text);
}

// ---- times, names, releases -------------------------------------------------------------------

const pad = (n) => String(n).padStart(2, "0");
/** Wall-clock time in the viewer's zone: "14:05:09", with the date when it is not today. */
function clock(iso) {
  if (!iso) return "";
  const d = new Date(iso);
  const time = pad(d.getHours()) + ":" + pad(d.getMinutes()) + ":" + pad(d.getSeconds());
  return d.toDateString() === new Date().toDateString() ? time : d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate()) + " " + time;
}
function timeEl(iso) {
  return h("time", { datetime: iso, title: iso }, clock(iso));
}
function duration(ms) {
  if (ms === undefined || ms === null || ms < 0) return "";
  const s = Math.round(ms / 1000);
  return s < 60 ? s + " s" : s < 3600 ? Math.floor(s / 60) + " min " + (s % 60) + " s" : Math.floor(s / 3600) + " h " + Math.floor((s % 3600) / 60) + " min";
}
function ago(iso) {
  const ms = Date.now() - Date.parse(iso);
  return ms < 60000 ? "just now" : duration(ms).replace(/ \d+ s$/, "") + " ago";
}
/** "release 4" for the release version "v4": release numbers are not service versions. */
function releaseName(version) {
  return version ? "release " + String(version).replace(/^v/, "") : "no release";
}
/** "api v2 (abc1234)": what a service runs, by its commit. */
function commitName(service, sha, message) {
  return service + " " + (message || "") + (sha ? " (" + String(sha).slice(0, 7) + ")" : "");
}
const envName = (env) => String(env || "").split(":").pop();

/** User ids read better as names (GET /api/users never includes tokens). */
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
  if (id === "infra-chat") return "Infra Chat";
  const name = state.names.get(id);
  // Someone added since sign-in (another admin, say): look the names up again, once things settle.
  if (!name && /^usr_/.test(id || "") && !namesTimer) namesTimer = setTimeout(() => loadNames().then(() => redrawAll()), 1000);
  return name || id;
}

function redrawAll() {
  for (const [id, cards] of state.cards) for (const card of cards) drawRun(card, state.runs.get(id));
}

function can(role) {
  return state.me && ROLE_RANK[state.me.role] >= ROLE_RANK[role];
}

/** The API's approval rule as the page applies it to buttons: not one's own run; production needs an admin. */
function mayApprove(run) {
  if (!state.me || run.status !== "awaiting-approval" || run.requestedBy === state.me.id) return false;
  return state.me.role === "admin" || (state.me.role === "deployer" && !/:production$/.test(run.env));
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
  if (res.status === 401 && state.me) signOut("Your token was not accepted (unknown, revoked or expired).");
  const text = await res.text();
  let json = null;
  try { json = text ? JSON.parse(text) : null; } catch (e) { json = null; }
  if (!res.ok) throw new ApiError(res.status, json);
  return json === null ? text : json;
}

/** A server-sent-event stream read with fetch (the token goes in a header); onEvent returning "stop" ends it. */
async function eventStream(method, path, body, onEvent, forPage) {
  const controller = new AbortController();
  // A page's streams (a run's logs) end when the page is left; the chat's end with their replies.
  controller.page = !!forPage;
  state.streams.push(controller);
  const res = await fetch(path, {
    method, signal: controller.signal,
    headers: Object.assign({ authorization: "Bearer " + state.token, accept: "text/event-stream" }, body === undefined ? {} : { "content-type": "application/json" }),
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (res.status === 401 && state.me) signOut("Your token was not accepted (unknown, revoked or expired).");
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
        if (event === "error") {
          const parsed = JSON.parse(data.join("\n"));
          if (parsed.error && parsed.error.code === "unauthorized" && state.me) signOut("Your token was revoked.");
        }
        if (data.length && onEvent(event, JSON.parse(data.join("\n"))) === "stop") {
          controller.abort();
          return;
        }
      }
    }
  } catch (e) {
    if (e.name !== "AbortError") throw e;
  } finally {
    state.streams = state.streams.filter((c) => c !== controller);
  }
}

/** Asks the person to confirm in a modal dialog (focus stays inside it); resolves true on Confirm. */
function confirmAction(title, lines, confirmLabel) {
  const dialog = $("confirm");
  $("confirm-title").textContent = title;
  $("confirm-body").replaceChildren(...lines.map((l) => (l instanceof Node ? l : h("p", {}, l))));
  $("confirm-yes").textContent = confirmLabel;
  dialog.returnValue = "";
  dialog.showModal();
  $("confirm-no").focus();
  return new Promise((resolve) => dialog.addEventListener("close", () => resolve(dialog.returnValue === "yes"), { once: true }));
}

// ---- sign-in -----------------------------------------------------------------------------------

async function signIn(token) {
  state.token = token;
  const { user } = await api("GET", "/api/me");
  state.me = user;
  sessionStorage.setItem(TOKEN_KEY, token);
  $("token").value = "";
  await loadNames();
  await loadEnvironments();
  // The app appears once the page the address names can be drawn (a deep link lands where it points).
  $("who").textContent = user.name + " · " + user.role;
  $("signin-view").hidden = true;
  $("app-view").hidden = false;
  route();
  await Promise.all([loadHistory(), loadApprovals()]);
}

function signOut(reason) {
  sessionStorage.removeItem(TOKEN_KEY);
  sessionStorage.removeItem(CONVERSATION_KEY);
  state.token = null;
  state.me = null;
  for (const ws of state.sockets.values()) ws.close(1000, "signed out");
  state.sockets.clear();
  for (const c of state.streams) c.abort();
  state.streams = [];
  state.approvals.clear();
  state.cards.clear();
  $("log").replaceChildren();
  $("view-page").replaceChildren();
  $("app-view").hidden = true;
  $("signin-view").hidden = false;
  $("signin-error").textContent = reason || "";
  document.title = "Infra Chat";
  $("token").focus();
}

// ---- router ------------------------------------------------------------------------------------

const ROUTES = [
  [/^\/$/, () => showChat()],
  [/^\/runs\/([^/]+)$/, (m) => showPage("Run " + m[1], (el) => runPage(el, decodeURIComponent(m[1])))],
  [/^\/envs\/([^/]+)$/, (m) => showPage("Environment", (el) => envPage(el, decodeURIComponent(m[1])))],
  [/^\/incidents\/([^/]+)$/, (m) => showPage("Incident " + m[1], (el) => incidentPage(el, decodeURIComponent(m[1])))],
  [/^\/approvals$/, () => showPage("Approvals", approvalsPage)],
  [/^\/history$/, () => showPage("History", historyPage)],
  [/^\/settings$/, () => showPage("Settings", settingsPage)],
];

function navigate(path) {
  if (path !== location.pathname + location.search) history.pushState(null, "", path);
  route();
}

/** Draws the page for the current address (a deep link works after sign-in: the address is kept). */
function route() {
  if (!state.me) return;
  for (const c of state.streams.filter((s) => s.page)) c.abort();
  const path = location.pathname;
  const found = ROUTES.map(([re, draw]) => [path.match(re), draw]).find(([m]) => m);
  const section = path === "/" ? "chat" : path.split("/")[1].replace(/s$/, "") === "approval" ? "approvals" : path.split("/")[1];
  for (const a of document.querySelectorAll(".nav a")) {
    if (a.dataset.route === section) a.setAttribute("aria-current", "page");
    else a.removeAttribute("aria-current");
  }
  if (found) found[1](found[0]);
  else showPage("Not found", (el) => el.append(h("h1", {}, "Nothing here"), h("p", {}, ["No page at " + path + ". ", link("/", "Back to the chat")])));
}

function showChat() {
  $("tab-main").textContent = "Conversation";
  $("view-page").hidden = true;
  $("view-chat").hidden = false;
  setTitle();
}

async function showPage(title, draw) {
  $("view-chat").hidden = true;
  $("tab-main").textContent = "Page";
  const el = $("view-page");
  el.hidden = false;
  el.replaceChildren();
  setTitle(title);
  showTab("main");
  try {
    await draw(el);
  } catch (e) {
    el.append(h("p", { class: "error", role: "alert" }, "Could not load this page: " + e.message));
  }
  $("main").focus({ preventScroll: true });
}

let pageTitle = "";
/** The tab's title carries the number of approvals waiting for this person. */
function setTitle(title) {
  if (title !== undefined) pageTitle = title;
  const n = state.approvals.size;
  document.title = (n ? "(" + n + ") " : "") + (pageTitle ? pageTitle + " · " : "") + "Infra Chat";
}

function showTab(which) {
  document.querySelector(".layout").dataset.tab = which;
  $("tab-main").setAttribute("aria-selected", String(which === "main"));
  $("tab-side").setAttribute("aria-selected", String(which === "side"));
}
`;
