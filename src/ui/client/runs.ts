/** Run cards: live merging, what an approver must see, actions behind confirmations, artifacts, canary chart, backfill progress. Part of the one client script (see ../client.ts). */
export const RUNS_JS = String.raw`
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
  if (!merged.approvals && known.approvals) merged.approvals = known.approvals;
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
  for (const [id, cards] of state.cards) state.cards.set(id, cards.filter((c) => c.isConnected));
  for (const card of state.cards.get(update.id) || []) drawRun(card, merged);
  noteRecent(merged);
  noteApproval(merged);
  if (conversationRuns.has(merged.id)) updateStatusLine();
  if (TERMINAL.includes(merged.status) && !(before && TERMINAL.includes(before.status))) loadArtifacts(merged.id, 0);
}

/** Artifacts are listed by the REST view; run.json and metrics.json land just after the final transition. */
async function loadArtifacts(runId, attempt) {
  try {
    const { run } = await api("GET", "/api/runs/" + encodeURIComponent(runId));
    const merged = mergeRun({ id: run.id, status: run.status, artifacts: run.artifacts, steps: run.steps, error: run.error, approvals: run.approvals, progress: run.progress, planId: run.planId });
    for (const card of state.cards.get(run.id) || []) drawRun(card, merged);
    const complete = run.artifacts.includes("run.json") && (!merged.canary || run.artifacts.includes("metrics.json"));
    if (!complete && attempt < 8) setTimeout(() => loadArtifacts(runId, attempt + 1), 500);
  } catch (e) {
    // The card still shows the pushed state; artifacts are a convenience.
  }
}

function drawRun(card, run) {
  if (!run) return;
  const focused = card.contains(document.activeElement) ? document.activeElement.textContent : null;
  const parts = [
    h("h3", {}, [link("/runs/" + run.id, "Run " + run.id), " · " + run.type + " " + run.env + " ", h("span", { class: "status " + run.status, "data-status": run.status }, run.status)]),
  ];
  const who = [run.requestedBy ? "requested by " + nameOf(run.requestedBy) : null,
    run.approvals && run.approvals.approvedBy.length ? "approved by " + run.approvals.approvedBy.map(nameOf).join(", ") : null,
    run.approvals && run.approvals.rejectedBy ? "rejected by " + nameOf(run.approvals.rejectedBy) : null,
    run.startedAt ? "started " + clock(run.startedAt) : run.createdAt ? "created " + clock(run.createdAt) : null,
    run.startedAt && run.endedAt ? "took " + duration(Date.parse(run.endedAt) - Date.parse(run.startedAt)) : null].filter(Boolean);
  if (who.length) parts.push(h("p", { class: "meta" }, who.join(" · ")));
  if (run.error) parts.push(h("p", { class: "run-error" }, run.error));
  if (run.status === "awaiting-approval") parts.push(approvalBox(card, run));
  const steps = run.steps || [];
  const list = h("ol", { class: "steps" }, steps.map((s) => h("li", { "data-step": s.id, "data-status": s.status }, [
    h("span", { "aria-label": s.status, title: s.status }, STEP_ICON[s.status] || "·"),
    h("span", {}, s.summary + (s.attempts > 1 ? " (attempt " + s.attempts + ")" : "")),
    h("span", { class: "time" }, s.startedAt && s.endedAt ? duration(Date.parse(s.endedAt) - Date.parse(s.startedAt)) : s.startedAt ? "since " + clock(s.startedAt) : ""),
    s.note || s.error ? h("span", { class: "note" }, s.error || s.note) : null,
  ])));
  // A run in motion shows every step; one that waits or has ended folds them behind a count.
  const moving = run.status === "running" || run.status === "queued" || run.status === "stopped";
  if (moving || steps.length <= 6) parts.push(list);
  else {
    const counts = {};
    for (const s of steps) counts[s.status] = (counts[s.status] || 0) + 1;
    parts.push(h("details", { class: "step-box" }, [h("summary", { class: "meta" }, steps.length + " steps: " + Object.entries(counts).map(([k, n]) => n + " " + k).join(", ")), list]));
  }
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

// ---- approvals ---------------------------------------------------------------------------------

const planLoads = new Map();
/** The plan behind a run (risk, diff, commits), fetched once and kept. */
function planOf(run, card) {
  if (!run.planId) return null;
  const cached = [...state.plans.values()].find((p) => p.id === run.planId);
  if (cached) return cached;
  if (!planLoads.has(run.planId)) {
    planLoads.set(run.planId, api("GET", "/api/plans/" + encodeURIComponent(run.planId)).then(({ plan }) => {
      state.plans.set(plan.id, plan);
      for (const c of state.cards.get(run.id) || []) drawRun(c, state.runs.get(run.id));
    }).catch(() => undefined));
  }
  return null;
}

const envReleases = new Map();
/** The release an environment runs now ("release 3"), fetched once per environment and page. */
function currentReleaseOf(env) {
  if (envReleases.has(env)) return envReleases.get(env);
  envReleases.set(env, null);
  api("GET", "/api/envs/" + encodeURIComponent(env)).then(({ environment }) => {
    envReleases.set(env, environment.currentRelease);
    redrawAll();
  }).catch(() => undefined);
  return null;
}

/** What an approver must see before saying yes: risk, notes, the commits going out, the diff. */
function approvalBox(card, run) {
  const plan = planOf(run, card);
  const current = currentReleaseOf(run.env);
  const box = h("section", { class: "approval", "aria-label": "What you are asked to approve" }, [h("h4", {}, "Approval needed: " + run.type + " " + run.env)]);
  if (!plan) {
    box.append(h("p", { class: "meta" }, "loading the plan…"));
    return box;
  }
  box.append(
    h("p", {}, [riskBadge(plan.risk), " · requested by " + nameOf(run.requestedBy) + " · now on " + (current ? releaseName(current.version) + " (" + Object.entries(current.services).map(([s, r]) => commitName(s, r.commitSha, r.commitMessage)).join(", ") + ")" : "its current release")]),
    plan.risk.notes.length ? h("ul", { class: "risk-notes", "aria-label": "Risk notes" }, plan.risk.notes.map((n) => h("li", {}, n))) : null,
    plan.commits && plan.commits.length ? h("p", {}, "Goes out:") : null,
    commitList(plan.commits),
    diffTable(plan.diff, "Desired-state changes to approve"),
  );
  if (run.approvals && run.approvals.code) box.append(h("p", { class: "meta" }, "Your approval code (for SMS): " + run.approvals.code + " · expires " + clock(run.approvals.expiresAt)));
  return box;
}

function releaseSummary(run) {
  const plan = [...state.plans.values()].find((p) => p.id === run.planId);
  const current = envReleases.get(run.env);
  const to = plan && plan.commits && plan.commits.length ? plan.commits.map((c) => commitName(c.service, c.sha, c.message)).join(", ") : "the planned changes";
  return "Release: from " + (current ? releaseName(current.version) : "the current release") + " to a new release with " + to;
}

function runActions(run) {
  const box = h("div", { class: "actions" });
  const mine = state.me && run.requestedBy === state.me.id;
  const act = (label, action, cls, confirm) => h("button", {
    type: "button", class: cls,
    onclick: async (event) => {
      const button = event.currentTarget;
      if (confirm && !(await confirmAction(confirm.title, confirm.lines, label))) return;
      button.disabled = true;
      try {
        const { run: next } = await api("POST", "/api/runs/" + encodeURIComponent(run.id) + "/" + action, {});
        updateRun(next);
      } catch (e) {
        box.append(h("p", { class: "error", role: "alert" }, label + " failed: " + e.message));
        button.disabled = false;
      }
    },
  }, label);
  if (run.status === "awaiting-approval") {
    if (mayApprove(run)) {
      box.append(
        act("Approve", "approve", undefined, { title: "Approve " + run.type + " on " + run.env + "?", lines: ["Environment: " + run.env, releaseSummary(run), "Requested by " + nameOf(run.requestedBy) + ". This starts the run now."] }),
        act("Reject", "reject", "danger", { title: "Reject " + run.type + " on " + run.env + "?", lines: ["Environment: " + run.env, "Nothing will change; " + nameOf(run.requestedBy) + " can plan it again."] }),
      );
    } else box.append(h("p", { class: "meta" }, mine ? "Waiting for an admin other than you to approve." : "Waiting for an admin to approve (requested by " + nameOf(run.requestedBy) + ")."));
  }
  if (run.status === "stopped" && can("deployer")) box.append(act("Resume", "resume"));
  if (run.canary && (run.status === "running" || run.status === "stopped") && can("deployer")) box.append(act("Promote now", "promote", "secondary", { title: "Promote the canary on " + run.env + " now?", lines: ["The remaining soak is skipped and the release takes all traffic."] }));
  if (run.status === "running" && run.type === "backfill" && can("deployer")) box.append(act("Stop", "stop", "secondary"));
  if (!TERMINAL.includes(run.status) && can("deployer")) box.append(act("Cancel run", "cancel", "danger", { title: "Cancel run " + run.id + "?", lines: ["Environment: " + run.env, "Steps not yet run are skipped; a canary's traffic goes back to stable."] }));
  return box;
}

/** Incident files first, then the run's own files; per-step provider receipts and logs fold away. */
function artifactLinks(run) {
  const button = (name) => h("li", {}, h("button", {
    type: "button", class: "secondary" + (/incident/.test(name) ? " incident" : ""),
    onclick: () => openArtifact(run.id, name),
  }, /incident/.test(name) ? "Incident: " + name : name));
  const folded = run.artifacts.filter((n) => n.startsWith("receipts/") || n.startsWith("logs/steps/"));
  const main = run.artifacts.filter((n) => !folded.includes(n)).sort((a, b) => Number(/incident/.test(b)) - Number(/incident/.test(a)));
  return h("div", { class: "artifact-box" }, [
    h("ul", { class: "artifacts", "aria-label": "Artifacts" }, main.map(button)),
    folded.length ? h("details", {}, [h("summary", { class: "meta" }, "provider receipts and step logs (" + folded.length + ")"), h("ul", { class: "artifacts" }, folded.map(button))]) : null,
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

/** A check's place on the clock: wall time, and "simulated +300s" into the soak where the sandbox sped it up. */
function checkTime(p) {
  return clock(p.at) + (p.simulated && p.soakSeconds !== undefined ? " (simulated +" + p.soakSeconds + "s)" : "");
}

function canarySummary(canary, status) {
  const pct = (v) => (v === null || v === undefined ? "?" : (Math.round(v * 1000) / 10) + "%");
  const points = canary.points || [];
  const last = points[points.length - 1];
  const where = canary.phase === "succeeded" ? "Canary succeeded: promoted, the release takes all traffic on stable"
    : canary.phase === "rolled-back" ? "Canary rolled back: all traffic is back on stable"
    : "Canary " + canary.phase + " at " + canary.weight + "% of traffic";
  return where + (canary.lastScore === null || canary.lastScore === undefined ? "" : ", score " + canary.lastScore) +
    (last ? "; last check " + checkTime(last) + ": canary errors " + pct(last.canaryErrorRate) + " vs baseline " + pct(last.baselineErrorRate) : "; no checks yet");
}

/**
 * The sequential judge's running evidence per metric against its own threshold (1 = that metric alone
 * would roll back), the combined evidence against 1/α, the weight, and the samples behind the last look.
 */
function evidenceChart(canary, status) {
  const W = 360, H = 160, L = 34, R = 38, T = 10, B = 24;
  const looks = canary.evidence.looks || [];
  const n = Math.max(looks.length, 1);
  const x = (i) => L + (n <= 1 ? 0 : (i * (W - L - R)) / (n - 1));
  const TOP = 1.25;
  const share = (logE, logThreshold) => Math.min(TOP, Math.max(0, logE) / logThreshold);
  const y = (v) => T + (H - T - B) * (1 - v / TOP);
  const yWeight = (w) => T + (H - T - B) * (1 - w / 100);
  const path = (values) => values.map((v, i) => (i ? "L" : "M") + x(i) + "," + y(v)).join(" ");
  const metrics = ["errors", "latency", "logs", "synthetic"].filter((m) => looks.some((l) => l.metrics.some((k) => k.metric === m)));
  const names = { errors: "5xx", latency: "p95 latency", logs: "critical log lines", synthetic: "health checks" };
  const fmt = (logE) => (logE > Math.log(1e6) ? "e^" + logE.toFixed(1) : Math.exp(logE).toPrecision(3));
  const last = looks[looks.length - 1];
  const area = looks.length ? "M" + x(0) + "," + yWeight(0) + " " + looks.map((l, i) => "L" + x(i) + "," + yWeight(l.weight)).join(" ") + " L" + x(looks.length - 1) + "," + yWeight(0) + " Z" : "";
  const summary = "Canary " + canary.phase + " at " + canary.weight + "% of traffic, judged on " + (canary.evidence.router === "edge" ? "the edge router's per-second counts" : "Railway logs per check") +
    (last ? "; evidence " + fmt(last.logEvidence) + " of 1/α = " + fmt(last.logThreshold) + " (" + last.metrics.map((m) => names[m.metric] + " " + fmt(m.logE) + " of " + fmt(m.logThreshold)).join(", ") + "); samples canary " + last.samples.canary + " (" + last.samples.stepCanary + " this step), baseline " + last.samples.baseline : "; no looks yet");
  const decided = looks.findIndex((l) => l.decision === "rollback");
  const chart = svg("svg", { class: "chart", viewBox: "0 0 " + W + " " + H, role: "img", "aria-label": summary, "data-phase": canary.phase, "data-looks": looks.length }, [
    svg("title", {}, summary),
    svg("line", { class: "axis", x1: L, y1: H - B, x2: W - R, y2: H - B }),
    svg("line", { class: "axis", x1: L, y1: T, x2: L, y2: H - B }),
    svg("line", { class: "threshold", x1: L, y1: y(1), x2: W - R, y2: y(1) }),
    svg("text", { x: 2, y: y(1) + 3 }, "1/α"),
    svg("text", { x: 2, y: H - B }, "e≤1"),
    svg("text", { x: W - R + 4, y: T + 8 }, "100%"),
    svg("text", { x: L, y: H - 6 }, looks.length ? looks[0].at.slice(11, 19) : "no looks yet"),
    last ? svg("text", { x: W - R - 50, y: H - 6 }, last.at.slice(11, 19)) : null,
    area ? svg("path", { class: "weight", d: area }) : null,
    ...metrics.map((m) => svg("path", { class: "metric " + m, d: path(looks.map((l) => { const k = l.metrics.find((q) => q.metric === m); return k ? share(k.logE, k.logThreshold) : 0; })) })),
    looks.length ? svg("path", { class: "evidence", d: path(looks.map((l) => share(l.logEvidence, l.logThreshold))) }) : null,
    decided >= 0 ? svg("line", { class: "rollback", x1: x(decided), y1: T, x2: x(decided), y2: H - B }) : null,
    decided >= 0 ? svg("text", { x: Math.max(L, x(decided) - 50), y: T + 24, class: "rollback-label" }, "rollback") : null,
  ]);
  return h("figure", { class: "canary-figure", "data-phase": canary.phase }, [
    chart,
    h("ul", { class: "legend" }, [
      h("li", {}, [h("span", { class: "sw weight" }), "canary weight"]),
      h("li", {}, [h("span", { class: "sw evidence" }), "all metrics vs 1/α"]),
      ...metrics.map((m) => h("li", {}, [h("span", { class: "sw metric " + m }), names[m] + " vs its threshold"])),
    ]),
    h("figcaption", { class: "meta" }, summary + (status === "rolled-back" ? ". Traffic is back on stable." : "")),
  ]);
}

/** Weight (area) and error rates of canary vs baseline per check, with the rollback marked. */
function canaryChart(canary, status) {
  if (canary.evidence) return evidenceChart(canary, status);
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
  const pct = (v) => (Math.round(v * 1000) / 10) + "%";
  const last = points[points.length - 1];
  const summary = canarySummary(canary, status);
  const chart = svg("svg", { class: "chart", viewBox: "0 0 " + W + " " + H, role: "img", "aria-label": summary, "data-phase": canary.phase, "data-points": points.length }, [
    svg("title", {}, summary),
    svg("line", { class: "axis", x1: L, y1: H - B, x2: W - R, y2: H - B }),
    svg("line", { class: "axis", x1: L, y1: T, x2: L, y2: H - B }),
    svg("line", { class: "axis", x1: W - R, y1: T, x2: W - R, y2: H - B }),
    svg("text", { x: 2, y: T + 8 }, pct(maxRate)),
    svg("text", { x: 2, y: H - B }, "0%"),
    svg("text", { x: W - R + 4, y: T + 8 }, "100%"),
    svg("text", { x: W - R + 4, y: H - B }, "0%"),
    svg("text", { x: L, y: H - 6 }, points.length ? "check 1 · " + clock(points[0].at) : "no checks yet"),
    points.length ? svg("text", { x: W - R - 90, y: H - 6 }, "check " + points.length + " · " + clock(last.at)) : null,
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
    h("figcaption", { class: "meta" }, summary + "."),
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
`;
