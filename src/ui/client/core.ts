/** The page's core: helpers, API calls, sign-in and the conversation. Part of the web chat's one client script (see ../client.ts). */
export const CORE_JS = String.raw`
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

`;
