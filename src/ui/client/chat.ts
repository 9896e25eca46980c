/** The conversation: messages, replies with their cards, compact plans, the status line, past conversations. Part of the one client script (see ../client.ts). */
export const CHAT_JS = String.raw`
// ---- conversation ------------------------------------------------------------------------------

const conversationRuns = new Set();

function addEntry(role, content, quiet) {
  const li = h("li", { class: "msg " + role }, content);
  $("log").append(li);
  if (!quiet && !$("view-chat").hidden) li.scrollIntoView({ block: "end", behavior: "smooth" });
  return li;
}

/** Reload keeps the conversation: each reply comes back with its plan, run and question, drawn as before. */
async function loadHistory() {
  const id = sessionStorage.getItem(CONVERSATION_KEY);
  if (!id) return;
  await openConversation(id);
}

async function openConversation(id) {
  try {
    const { messages } = await api("GET", "/api/conversations/" + encodeURIComponent(id) + "/messages");
    sessionStorage.setItem(CONVERSATION_KEY, id);
    $("log").replaceChildren();
    state.cards.clear();
    conversationRuns.clear();
    for (const m of messages) {
      if (m.role === "user") addEntry("user", h("pre", { class: "reply-text" }, m.text), true);
      else renderReply(m, true);
    }
    // Runs have moved on since: their cards catch up from the API (and then live).
    for (const runId of conversationRuns) refreshRun(runId);
    const last = $("log").lastElementChild;
    if (last) last.scrollIntoView({ block: "end" });
  } catch (e) {
    sessionStorage.removeItem(CONVERSATION_KEY);
  }
}

async function refreshRun(runId) {
  try {
    const { run } = await api("GET", "/api/runs/" + encodeURIComponent(runId));
    updateRun(run);
  } catch (e) {
    // The card keeps what the conversation stored.
  }
}

async function loadConversations() {
  const list = $("conversation-list");
  try {
    const { conversations } = await api("GET", "/api/conversations?limit=30");
    list.replaceChildren(...conversations.map((c) => h("li", {}, [
      h("button", { type: "button", class: "link", onclick: () => { $("conversations").open = false; openConversation(c.id); } }, c.title || c.id),
      " ", h("span", { class: "meta" }, ago(c.updatedAt)),
    ])));
    if (!conversations.length) list.append(h("li", { class: "meta" }, "no conversations yet"));
  } catch (e) {
    list.replaceChildren(h("li", { class: "error" }, "Could not list conversations: " + e.message));
  }
}

async function send(text) {
  if (location.pathname !== "/") navigate("/");
  addEntry("user", h("pre", { class: "reply-text" }, text));
  const sendButton = $("send");
  sendButton.disabled = true;
  const pending = addEntry("assistant", h("p", { class: "meta" }, "thinking…"));
  let replies = 0;
  try {
    const conversationId = sessionStorage.getItem(CONVERSATION_KEY) || undefined;
    await eventStream("POST", "/api/chat", { message: text, conversationId }, (event, data) => {
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

function renderReply(reply, restored) {
  // A plan's card shows what its text says, structured; the full text stays one click away.
  const text = h("pre", { class: "reply-text" }, reply.text);
  const parts = [reply.plan ? h("details", {}, [h("summary", {}, "Full text of the reply"), text]) : text];
  // A plan card has its own Apply / Discard buttons; the question adds only the other choices.
  const options = ((reply.question && reply.question.options) || []).filter((o) => !reply.plan || (o !== "apply" && o !== "cancel"));
  if (options.length && !restored) {
    parts.push(h("div", { class: "actions" }, options.map((o) => h("button", { type: "button", class: "secondary", onclick: () => send(o) }, o))));
  }
  if (reply.plan) parts.push(planCard(reply.plan, reply.run, restored));
  if (reply.run) {
    conversationRuns.add(reply.run.id);
    watchEnvironment(reply.run.env);
    parts.push(runCard(reply.run));
  }
  addEntry("assistant", parts, restored);
  // The panel follows the environment the conversation last acted on.
  const env = (reply.run && reply.run.env) || (reply.plan && reply.plan.env);
  if (env) selectEnvironment(env);
  updateStatusLine();
}

/** The one thing to know about this conversation's runs, just above the composer. */
function updateStatusLine() {
  const runs = [...conversationRuns].map((id) => state.runs.get(id)).filter(Boolean);
  const waiting = runs.filter((r) => r.status === "awaiting-approval");
  const active = runs.filter((r) => r.status === "running" || r.status === "queued" || r.status === "stopped");
  let line = "";
  if (waiting.length) {
    const r = waiting[waiting.length - 1];
    line = r.requestedBy === (state.me && state.me.id)
      ? "Waiting for an admin other than you to approve " + r.type + " " + r.env + " (run " + r.id + ")."
      : r.type + " " + r.env + " (run " + r.id + ") waits for approval.";
  } else if (active.length) {
    const r = active[active.length - 1];
    line = r.type + " " + r.env + " is " + r.status + " (run " + r.id + ").";
  }
  $("status-line").textContent = line;
}

// ---- plans -------------------------------------------------------------------------------------

const KIND_LABEL = (kind) => kind.replace(/-/g, " ");

/** Steps collapsed into consecutive groups of one kind, with counts; every step one click away. */
function stepGroups(steps) {
  const groups = [];
  for (const s of steps) {
    const last = groups[groups.length - 1];
    if (last && last.kind === s.kind) last.steps.push(s);
    else groups.push({ kind: s.kind, steps: [s] });
  }
  return h("div", {}, [
    h("ol", { class: "groups", "aria-label": "Steps by kind" }, groups.map((g) => h("li", {}, [
      h("span", { class: "count" }, (g.steps.length > 1 ? g.steps.length + " × " : "") + KIND_LABEL(g.kind)),
      ": " + g.steps[0].summary + (g.steps.length > 1 ? " (and " + (g.steps.length - 1) + " more)" : ""),
    ]))),
    h("details", {}, [h("summary", { class: "meta" }, "All " + steps.length + " steps"), h("ol", { class: "steps" }, steps.map((s) => h("li", {}, [h("span", { "aria-hidden": "true" }, "·"), h("span", {}, s.summary)])))]),
  ]);
}

/** The desired-state diff as a before / after table. */
function diffTable(diff, caption) {
  if (!diff || !diff.length) return h("p", { class: "meta" }, "No desired-state changes.");
  const show = (v) => (v === undefined || v === null ? "—" : typeof v === "object" ? JSON.stringify(v) : String(v));
  return h("div", { class: "table-wrap" }, h("table", { class: "diff" }, [
    h("caption", { class: "visually-hidden" }, caption || "Desired-state changes"),
    h("thead", {}, h("tr", {}, [h("th", { scope: "col" }, "Desired state"), h("th", { scope: "col" }, "Before"), h("th", { scope: "col" }, "After")])),
    h("tbody", {}, diff.map((d) => h("tr", {}, [h("td", {}, d.path), h("td", { class: "before" }, show(d.from)), h("td", { class: "after" }, show(d.to))]))),
  ]));
}

function riskBadge(risk) {
  const level = (risk && risk.level) || "unknown";
  return h("span", { class: "risk " + level }, "risk " + level);
}

function commitList(commits) {
  if (!commits || !commits.length) return null;
  return h("ul", { class: "commits", "aria-label": "Commits" }, commits.map((c) => h("li", {}, commitName(c.service, c.sha, c.message))));
}

function planCard(plan, run, restored) {
  state.plans.set(plan.id, plan);
  const actions = h("div", { class: "actions" });
  const card = h("article", { class: "card plan", "data-plan-id": plan.id, "aria-label": "Plan " + plan.type + " " + plan.env }, [
    h("h3", {}, "Plan: " + plan.type + " " + plan.env),
    h("p", {}, [riskBadge(plan.risk), " · " + plan.steps.length + " steps · " + (plan.diff.length ? plan.diff.length + " desired-state changes" : "no desired-state changes") + (plan.requiresApproval ? " · needs an admin's approval" : "")]),
    plan.risk && plan.risk.notes && plan.risk.notes.length ? h("ul", { class: "risk-notes", "aria-label": "Risk notes" }, plan.risk.notes.map((n) => h("li", {}, n))) : null,
    commitList(plan.commits),
    stepGroups(plan.steps),
    plan.diff.length ? diffTable(plan.diff, "Desired-state changes of plan " + plan.id) : null,
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
        conversationRuns.add(started.id);
        watchEnvironment(started.env);
        card.after(runCard(started));
        updateStatusLine();
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
    // A plan drawn again after a reload may have been applied, or have expired, since.
    if (restored && plan.runId) planOutcome(plan, card, actions);
  } else {
    actions.append(h("p", { class: "meta" }, "A deployer or admin can apply this plan."));
  }
  return card;
}

async function planOutcome(plan, card, actions) {
  try {
    const { run } = await api("GET", "/api/runs/" + encodeURIComponent(plan.runId));
    if (run.status === "planned") return;
    // Applied with its button: the run's card followed the plan's, and follows it again.
    if (run.error !== "plan expired" && run.status !== "cancelled" && !state.cards.has(run.id)) {
      conversationRuns.add(run.id);
      watchEnvironment(run.env);
      card.after(runCard(run));
      updateStatusLine();
    }
    const what = run.error === "plan expired" ? "This plan expired before anyone applied it." : "Applied: ";
    actions.replaceChildren(h("p", { class: "meta" }, run.error === "plan expired" ? what : [what, link("/runs/" + run.id, "run " + run.id), " is " + run.status + "."]));
  } catch (e) {
    // The buttons stay; applying twice is refused by the API anyway.
  }
}
`;
