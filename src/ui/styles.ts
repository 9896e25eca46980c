/** The web chat's stylesheet: one column on a phone, chat beside the environment panel from 900px. */
export const CHAT_CSS = `
:root{--fg:#1b1f24;--muted:#5b6470;--bg:#fff;--panel:#f5f6f8;--line:#d8dce2;--accent:#2457d6;--ok:#137333;--bad:#b3261e;--warn:#9a6700;--canary:#c0392b;--base:#2f6fb3;--weight:#7b4bc4}
@media (prefers-color-scheme:dark){:root{--fg:#e6e8eb;--muted:#9aa3ad;--bg:#121417;--panel:#1b1e23;--line:#30353c;--accent:#7aa2ff;--ok:#5fd07a;--bad:#ff8a80;--warn:#e3b341;--canary:#ff7b6b;--base:#6fb0ff;--weight:#b18cff}}
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",sans-serif;color:var(--fg);background:var(--bg)}
button,input,select,textarea{font:inherit;color:inherit}
button{cursor:pointer;border:1px solid var(--accent);background:var(--accent);color:#fff;border-radius:6px;padding:.4rem .8rem;min-height:2.5rem}
button.quiet,button.secondary{background:transparent;color:var(--accent)}
button.danger{border-color:var(--bad);background:transparent;color:var(--bad)}
button.link{border:0;background:none;color:var(--accent);padding:0;min-height:0;text-decoration:underline}
button:disabled{opacity:.5;cursor:default}
:focus-visible{outline:3px solid var(--accent);outline-offset:2px}
.skip{position:absolute;left:-999px}.skip:focus{left:1rem;top:1rem;background:var(--bg);padding:.5rem;z-index:10}
.visually-hidden{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0)}
.top{display:flex;gap:1rem;align-items:center;padding:.5rem 1rem;border-bottom:1px solid var(--line)}
.top h1{font-size:1.2rem;margin:0;flex:1}
.who{margin:0;color:var(--muted)}
.signin{max-width:28rem;margin:3rem auto;padding:0 1rem}
.signin input{width:100%;padding:.5rem;border:1px solid var(--line);border-radius:6px;margin:.25rem 0 .75rem;background:var(--bg)}
.error{color:var(--bad);min-height:1.5em}
.app{display:grid;grid-template-columns:minmax(0,1fr);gap:1rem;padding:1rem;max-width:80rem;margin:0 auto}
@media (min-width:900px){.app{grid-template-columns:minmax(0,2fr) minmax(18rem,1fr)}}
.log{list-style:none;margin:0;padding:0;display:flex;flex-direction:column;gap:.75rem}
.msg{max-width:100%;padding:.6rem .8rem;border-radius:10px;background:var(--panel);overflow-wrap:anywhere}
.msg.user{align-self:flex-end;background:var(--accent);color:#fff;max-width:85%}
.msg pre,.reply-text{white-space:pre-wrap;overflow-wrap:anywhere;margin:0;font:inherit}
.msg details summary{cursor:pointer;color:var(--muted);font-size:.85rem}
.risk-notes{margin:.25rem 0;padding-left:1.2rem;font-size:.9rem}
.msg .meta{font-size:.8rem;color:var(--muted)}
.card{overflow-wrap:anywhere;min-width:0;border:1px solid var(--line);border-radius:10px;padding:.75rem;margin-top:.5rem;background:var(--bg)}
.card h3{margin:0 0 .25rem;font-size:1rem}
.card .actions{display:flex;flex-wrap:wrap;gap:.5rem;margin-top:.5rem}
.steps{list-style:none;padding:0;margin:.25rem 0;font-size:.92rem}
.steps li{display:grid;grid-template-columns:1.5rem minmax(0,1fr);gap:.25rem;overflow-wrap:anywhere}
.steps .note{grid-column:2;color:var(--muted);font-size:.85rem}
.status{display:inline-block;border-radius:999px;padding:0 .6rem;font-size:.85rem;border:1px solid currentColor}
.status.succeeded{color:var(--ok)}.status.failed,.status.rolled-back,.status.rejected{color:var(--bad)}
.status.running,.status.queued{color:var(--accent)}.status.awaiting-approval,.status.stopped{color:var(--warn)}
.run-error{color:var(--bad)}
.chart{width:100%;max-width:36rem;height:auto;display:block;margin:.5rem 0}
.chart text{font-size:10px;fill:var(--muted)}
.chart .axis{stroke:var(--line)}
.chart .weight{fill:var(--weight);fill-opacity:.18;stroke:var(--weight)}
.chart .canary{stroke:var(--canary);fill:none;stroke-width:2}
.chart .baseline{stroke:var(--base);fill:none;stroke-width:2;stroke-dasharray:4 3}
.chart .rollback{stroke:var(--bad);stroke-width:2}
.chart .threshold{stroke:var(--bad);stroke-dasharray:2 3}.chart .evidence{stroke:var(--fg);fill:none;stroke-width:2}
.chart .metric{fill:none;stroke-width:1.5}.chart .errors{stroke:var(--canary)}.chart .latency{stroke:var(--base)}.chart .logs{stroke:var(--warn)}.chart .synthetic{stroke:var(--ok)}
.sw.evidence{background:var(--fg)}.sw.metric.errors{background:var(--canary)}.sw.metric.latency{background:var(--base)}.sw.metric.logs{background:var(--warn)}.sw.metric.synthetic{background:var(--ok)}
.legend{display:flex;flex-wrap:wrap;gap:.75rem;font-size:.85rem;color:var(--muted);margin:0;padding:0;list-style:none}
.legend .sw{display:inline-block;width:.8rem;height:.8rem;border-radius:2px;margin-right:.3rem;vertical-align:-1px}
.sw.canary{background:var(--canary)}.sw.baseline{background:var(--base)}.sw.weight{background:var(--weight)}
progress{width:100%;height:1rem}
.artifacts{display:flex;flex-wrap:wrap;gap:.5rem;margin:.5rem 0 0;padding:0;list-style:none}
.artifact-box details summary{cursor:pointer;color:var(--muted);font-size:.85rem;margin-top:.5rem}
.artifacts .incident{border-color:var(--bad);color:var(--bad)}
.composer{min-width:0;display:flex;gap:.5rem;margin-top:1rem;position:sticky;bottom:0;background:var(--bg);padding:.5rem 0}
.composer textarea{flex:1;min-width:0;padding:.5rem;border:1px solid var(--line);border-radius:6px;background:var(--bg);resize:vertical}
.hint{font-size:.8rem;color:var(--muted)}
.side{background:var(--panel);border-radius:10px;padding:.75rem;align-self:start}
.side h2{font-size:1rem;margin:1rem 0 .25rem}
.side select{width:100%;padding:.4rem;border-radius:6px;border:1px solid var(--line);background:var(--bg)}
.live-state{font-size:.85rem;color:var(--muted);margin:.25rem 0}
.recent{list-style:none;padding:0;margin:0;font-size:.9rem}
.recent li{display:flex;justify-content:space-between;gap:.5rem;padding:.2rem 0;border-bottom:1px solid var(--line)}
.incidents{list-style:none;padding:0;margin:0;font-size:.9rem}
.incidents li{padding:.3rem 0;border-bottom:1px solid var(--line)}
.incidents .files{display:flex;flex-wrap:wrap;gap:.25rem;margin:.25rem 0 0;padding:0;list-style:none}
.audit-actions{display:flex;gap:.5rem}
.verdict{font-size:.9rem;min-height:1.5em}
.audit{list-style:none;padding:0;margin:0;font-size:.85rem}
.audit li{padding:.3rem 0;border-bottom:1px solid var(--line);overflow-wrap:anywhere}
.audit .action{font-weight:600}
dialog{max-width:min(90vw,50rem);width:100%;border:1px solid var(--line);border-radius:10px;background:var(--bg);color:var(--fg)}
.viewer-head{display:flex;justify-content:space-between;align-items:center}
.viewer-head h2{font-size:1rem;margin:0}
#viewer-body{white-space:pre-wrap;overflow:auto;max-height:70vh;font-size:.85rem}
`;
