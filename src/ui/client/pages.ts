/** Pages with addresses: a run, an environment, an incident, the approvals inbox, the history. Part of the one client script (see ../client.ts). */
export const PAGES_JS = String.raw`
// ---- /runs/:id ---------------------------------------------------------------------------------

async function runPage(el, runId) {
  const { run } = await api("GET", "/api/runs/" + encodeURIComponent(runId));
  setTitle("Run " + run.id + " · " + run.type + " " + envName(run.env));
  watchEnvironment(run.env);
  selectEnvironment(run.env);
  const card = runCard(run);
  const logs = h("section", { class: "logs", "aria-label": "Deployment logs" }, [h("h2", {}, "Deployment logs"), h("p", { class: "meta" }, "loading…")]);
  const audit = h("section", { "aria-label": "Audit events of this run" }, [h("h2", {}, "Audit events")]);
  el.append(h("h1", {}, run.type + " " + run.env), h("p", { class: "meta" }, [link("/envs/" + run.env, "Environment " + run.env), " · ", link("/history?env=" + encodeURIComponent(run.env), "its history")]), card, logs, audit);
  if (run.planId) {
    api("GET", "/api/plans/" + encodeURIComponent(run.planId)).then(({ plan }) => {
      state.plans.set(plan.id, plan);
      card.after(h("section", { "aria-label": "Plan" }, [h("h2", {}, "Plan"), h("p", {}, [riskBadge(plan.risk), " · planned " + clock(plan.createdAt) + " by " + nameOf(plan.createdBy || run.requestedBy)]),
        plan.risk.notes.length ? h("ul", { class: "risk-notes" }, plan.risk.notes.map((n) => h("li", {}, n))) : null, commitList(plan.commits), diffTable(plan.diff)]));
    }).catch(() => undefined);
  }
  streamLogs(run.id, logs);
  api("GET", "/api/audit?env=" + encodeURIComponent(run.env) + "&limit=500").then(({ events }) => {
    const mine = events.filter((e) => e.runId === run.id).reverse();
    audit.append(mine.length ? h("ol", { class: "plain" }, mine.map((e) => h("li", {}, [timeEl(e.at), " · " + nameOf(e.actor) + " · ", h("strong", {}, e.action), e.diffSummary ? " · " + e.diffSummary : ""]))) : h("p", { class: "meta" }, "no audit events yet"));
  }).catch((e) => audit.append(h("p", { class: "error" }, "Audit unavailable: " + e.message)));
}

/** Streams a run's deployment logs into the page (build, pre-deploy, runtime per deployment). */
async function streamLogs(runId, section) {
  const draw = (data) => {
    const body = data.steps.length ? data.steps.map((s) => h("details", { open: !s.final || undefined }, [
      h("summary", {}, s.service + " · deployment " + s.deploymentId + (s.final ? "" : " · live")),
      ...[["Build", s.build], ["Pre-deploy", s.preDeploy], ["Runtime", s.runtime]].filter(([, lines]) => lines.length).map(([title, lines]) => h("div", {}, [
        h("h3", { class: "meta" }, title + " (" + lines.length + " lines)"),
        h("pre", { tabindex: "0", "aria-label": title + " log of " + s.service }, lines.map((l) => clock(l.at) + "  " + (l.severity || "") + "  " + l.message).join("\n")),
      ])),
    ])) : [h("p", { class: "meta" }, "No deployment has started in this run.")];
    section.replaceChildren(h("h2", {}, "Deployment logs"), ...body);
  };
  try {
    await eventStream("GET", "/api/runs/" + encodeURIComponent(runId) + "/logs", undefined, (event, data) => {
      if (event === "logs") draw(data);
      if (event === "done") return "stop";
    }, true);
  } catch (e) {
    if (section.isConnected) section.append(h("p", { class: "error" }, "Logs unavailable: " + e.message));
  }
}

// ---- /envs/:id ---------------------------------------------------------------------------------

async function envPage(el, envRef) {
  const { environment: e } = await api("GET", "/api/envs/" + encodeURIComponent(envRef));
  setTitle(e.env);
  selectEnvironment(e.env);
  watchEnvironment(e.env);
  const [{ incidents }, { runs }, { revisions }] = await Promise.all([
    api("GET", "/api/incidents?env=" + encodeURIComponent(e.env) + "&status=open"),
    api("GET", "/api/runs?env=" + encodeURIComponent(e.env) + "&limit=10"),
    api("GET", "/api/envs/" + encodeURIComponent(e.env) + "/revisions"),
  ]);
  const release = e.currentRelease;
  const health = incidents.length ? incidents.length + " open incident" + (incidents.length > 1 ? "s" : "") : "healthy: no open incidents";
  el.append(
    h("h1", {}, e.env),
    h("p", {}, [h("span", { class: "status " + (incidents.length ? "open" : "resolved") }, health), " · spec revision " + e.revision]),
    h("h2", {}, "Current release"),
    release ? h("div", {}, [
      h("p", {}, releaseName(release.version) + " since " + clock(release.createdAt)),
      h("div", { class: "table-wrap" }, h("table", {}, [
        h("caption", { class: "visually-hidden" }, "What each service runs"),
        h("thead", {}, h("tr", {}, [h("th", { scope: "col" }, "Service"), h("th", { scope: "col" }, "Version (commit)"), h("th", { scope: "col" }, "Deployment")])),
        h("tbody", {}, Object.entries(release.services).map(([name, s]) => h("tr", {}, [h("td", {}, name), h("td", {}, commitName("", s.commitSha, s.commitMessage).trim()), h("td", {}, s.deploymentId || "")]))),
      ])),
    ]) : h("p", { class: "meta" }, "Nothing deployed yet."),
    h("h2", {}, "Active run"),
    e.activeRun ? h("p", {}, [link("/runs/" + e.activeRun.id, e.activeRun.type + " " + e.activeRun.id), " · ", h("span", { class: "status " + e.activeRun.status }, e.activeRun.status)]) : h("p", { class: "meta" }, "none"),
    h("h2", {}, "Open incidents"),
    incidents.length ? h("ul", { class: "plain" }, incidents.map((i) => h("li", {}, [link("/incidents/" + i.id, i.title), " · opened " + clock(i.openedAt)]))) : h("p", { class: "meta" }, "none"),
    h("h2", {}, "Recent runs"),
    historyTable(runs),
    h("p", {}, link("/history?env=" + encodeURIComponent(e.env), "All of " + e.env + "'s history")),
    h("h2", {}, "Revisions of the desired state"),
    h("ol", { class: "plain" }, revisions.map((r) => h("li", {}, [
      h("strong", {}, "revision " + r.revision), " · " + clock(r.createdAt) + " · " + nameOf(r.author) + " · " + r.reason,
      r.changes && r.changes.length ? h("details", {}, [h("summary", { class: "meta" }, r.changes.length + " changes"), diffTable(r.changes, "Changes in revision " + r.revision)]) : null,
    ]))),
  );
}

// ---- /incidents/:id ----------------------------------------------------------------------------

async function incidentPage(el, id) {
  const { incident: i } = await api("GET", "/api/incidents/" + encodeURIComponent(id));
  setTitle("Incident · " + envName(i.env));
  selectEnvironment(i.env);
  const actions = h("div", { class: "actions" });
  if (i.status === "open" && can("deployer") && !i.acknowledged) {
    actions.append(h("button", { type: "button", onclick: async (event) => {
      event.currentTarget.disabled = true;
      try {
        await api("POST", "/api/incidents/" + encodeURIComponent(i.id) + "/ack");
        route();
      } catch (e) {
        actions.append(h("p", { class: "error", role: "alert" }, "ACK failed: " + e.message));
      }
    } }, "Acknowledge"));
  }
  el.append(
    h("h1", {}, i.title),
    h("p", {}, [h("span", { class: "status " + i.status }, i.status), " · " + i.kind + " · ", link("/envs/" + i.env, i.env), " · opened " + clock(i.openedAt) + (i.resolvedAt ? " · resolved " + clock(i.resolvedAt) : "")]),
    i.resolution ? h("p", {}, "Resolution: " + i.resolution) : null,
    i.acknowledged ? h("p", { class: "meta" }, "Acknowledged by " + nameOf(i.acknowledged.by) + " at " + clock(i.acknowledged.at)) : null,
    actions,
    h("h2", {}, "Runs"),
    i.runIds.length ? h("ul", { class: "plain" }, i.runIds.map((r) => h("li", {}, link("/runs/" + r, r)))) : h("p", { class: "meta" }, "none"),
    i.proposal ? h("p", {}, "Proposed remediation: " + (i.proposal.action || JSON.stringify(i.proposal))) : null,
    h("h2", {}, "Bundle"),
    i.bundle.files.length ? h("ul", { class: "artifacts" }, i.bundle.files.map((name) => h("li", {}, h("button", {
      type: "button", class: "secondary",
      onclick: () => openFile(name + " · " + i.id, "/api/incidents/" + encodeURIComponent(i.id) + "/bundle/" + name.split("/").map(encodeURIComponent).join("/")),
    }, name)))) : h("p", { class: "meta" }, "no files"),
  );
}

// ---- /approvals --------------------------------------------------------------------------------

function approvalsPage(el) {
  el.append(h("h1", {}, "Waiting for your approval"));
  const list = h("div", { id: "approvals-list" });
  el.append(list);
  drawApprovals(list);
}

function drawApprovals(list) {
  const runs = [...state.approvals.values()].sort((a, b) => (a.createdAt < b.createdAt ? 1 : -1));
  list.replaceChildren(...(runs.length ? runs.map((r) => runCard(r)) : [h("p", { class: "meta" }, "Nothing waits for you.")]));
  // The inbox may know a run only from the history list: its card catches up with steps and plan.
  for (const r of runs) if (!r.steps || !r.steps.length) refreshRun(r.id);
}

// ---- /history ----------------------------------------------------------------------------------

const STATUSES = ["planned", "queued", "awaiting-approval", "running", "stopped", "succeeded", "failed", "rolled-back", "cancelled", "rejected"];
const TYPES = ["setup", "deploy", "migrate", "backfill", "rollback", "reconcile", "remediate", "rotate-secret"];

async function historyPage(el) {
  const params = new URLSearchParams(location.search);
  const select = (name, label, values) => h("label", {}, [label, h("select", { name, id: "history-" + name }, [h("option", { value: "" }, "any"), ...values.map((v) => h("option", { value: v, selected: params.get(name) === v || undefined }, v))])]);
  const form = h("form", { class: "filters", "aria-label": "Filter the history" }, [
    select("env", "Environment", state.envs), select("status", "Status", STATUSES), select("type", "Type", TYPES),
    h("button", { type: "submit" }, "Filter"),
  ]);
  const results = h("div", { "aria-live": "polite" });
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const query = new URLSearchParams([...new FormData(form)].filter(([, v]) => v));
    history.replaceState(null, "", "/history" + (query.toString() ? "?" + query : ""));
    loadHistoryPage(results, query);
  });
  for (const s of form.querySelectorAll("select")) s.addEventListener("change", () => form.requestSubmit());
  el.append(h("h1", {}, "Run history"), form, results);
  await loadHistoryPage(results, new URLSearchParams([...params].filter(([k, v]) => ["env", "status", "type"].includes(k) && v)));
}

let historySeq = 0;
async function loadHistoryPage(results, query, before) {
  const q = new URLSearchParams(query);
  q.set("limit", "25");
  if (before) q.set("before", before);
  // Filters change faster than answers come back: only the latest filter's answer is drawn.
  const seq = before ? historySeq : ++historySeq;
  const { runs, next } = await api("GET", "/api/runs?" + q);
  if (seq !== historySeq) return;
  const table = historyTable(runs);
  if (!before) results.replaceChildren(table);
  else results.querySelector("tbody").append(...table.querySelectorAll("tbody tr"));
  const more = results.querySelector(".more");
  if (more) more.remove();
  if (next) results.append(h("button", { type: "button", class: "secondary more", onclick: () => loadHistoryPage(results, query, next) }, "Older runs"));
  if (!runs.length && !before) results.replaceChildren(h("p", { class: "meta" }, "No runs match."));
}

function historyTable(runs) {
  return h("div", { class: "table-wrap" }, h("table", { class: "history" }, [
    h("caption", { class: "visually-hidden" }, "Runs, newest first"),
    h("thead", {}, h("tr", {}, ["Run", "Environment", "Status", "Requested by", "When", "Took", "Release · commits"].map((t) => h("th", { scope: "col" }, t)))),
    h("tbody", {}, runs.map((r) => h("tr", { "data-run-id": r.id, "data-status": r.status, "data-type": r.type }, [
      h("td", {}, link("/runs/" + r.id, r.type + " " + r.id.slice(-6))),
      h("td", {}, envName(r.env)),
      h("td", {}, h("span", { class: "status " + r.status }, r.status)),
      h("td", {}, r.requestedByName || ""),
      h("td", {}, [timeEl(r.createdAt), h("span", { class: "meta" }, " · " + ago(r.createdAt))]),
      h("td", {}, duration(r.durationMs)),
      h("td", {}, [r.release ? releaseName(r.release) : r.toRelease ? "to " + r.toRelease : "", r.commits ? (r.release ? " · " : "") + r.commits.map((c) => commitName(c.service, c.sha, c.message)).join(", ") : ""].join("")),
    ]))),
  ]));
}
`;
