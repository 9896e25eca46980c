/**
 * The console's stylesheet. Light and dark schemes both meet WCAG AA contrast (text 4.5:1, checked by
 * axe-core in the browser tests); on a phone the environment panel becomes a tab beside the page.
 */
export const CHAT_CSS = `
:root{--fg:#1b1f24;--muted:#56606b;--bg:#fff;--panel:#f5f6f8;--line:#c9d1d9;--accent:#1f55cc;--on-accent:#fff;--ok:#116329;--bad:#b3261e;--warn:#7a5200;--canary:#c0392b;--base:#2f6fb3;--weight:#7b4bc4;--risk-low:#116329;--risk-medium:#7a5200;--risk-high:#b3261e;--code:#eef1f4}
@media (prefers-color-scheme:dark){:root{--fg:#e6e8eb;--muted:#a6afb9;--bg:#121417;--panel:#1b1e23;--line:#3a4048;--accent:#8cb0ff;--on-accent:#0b1020;--ok:#6fdc8c;--bad:#ff9a8f;--warn:#f0c14b;--canary:#ff7b6b;--base:#6fb0ff;--weight:#b18cff;--risk-low:#6fdc8c;--risk-medium:#f0c14b;--risk-high:#ff9a8f;--code:#262a31}}
*{box-sizing:border-box}
[hidden]{display:none!important}
html{-webkit-text-size-adjust:100%}
body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",sans-serif;color:var(--fg);background:var(--bg)}
a{color:var(--accent)}
code{background:var(--code);padding:0 .25rem;border-radius:4px;font-size:.92em}
button,input,select,textarea{font:inherit;color:inherit}
button{cursor:pointer;border:1px solid var(--accent);background:var(--accent);color:var(--on-accent);border-radius:6px;padding:.4rem .8rem;min-height:2.5rem}
button.quiet,button.secondary{background:transparent;color:var(--accent)}
button.danger{border-color:var(--bad);background:transparent;color:var(--bad)}
button.link{border:0;background:none;color:var(--accent);padding:0;min-height:0;text-decoration:underline;text-align:left}
button:disabled{opacity:.6;cursor:default}
input,select,textarea{background:var(--bg);border:1px solid var(--line);border-radius:6px;padding:.4rem}
:focus-visible{outline:3px solid var(--accent);outline-offset:2px}
.skip{position:absolute;left:-999px}.skip:focus{left:1rem;top:1rem;background:var(--bg);padding:.5rem;z-index:10}
.visually-hidden{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
.meta{font-size:.85rem;color:var(--muted);margin:.25rem 0}
.error{color:var(--bad)}
.signin{max-width:34rem;margin:3rem auto;padding:0 1rem}
.signin h1{font-size:1.5rem}
.signin input{width:100%;margin:.25rem 0 .75rem}
.token-help{border-top:1px solid var(--line);margin-top:1rem;font-size:.95rem}
.token-help h2{font-size:1rem}
.top{display:flex;flex-wrap:wrap;gap:.5rem 1rem;align-items:center;padding:.5rem 1rem;border-bottom:1px solid var(--line)}
.brand{margin:0;font-weight:700;font-size:1.1rem}.brand a{color:var(--fg);text-decoration:none}
.nav{display:flex;gap:.25rem;flex:1;flex-wrap:wrap}
.nav a{padding:.35rem .6rem;border-radius:6px;text-decoration:none}
.nav a[aria-current=page]{background:var(--panel);color:var(--fg);font-weight:600}
.badge{display:inline-block;min-width:1.4rem;padding:0 .4rem;border-radius:999px;background:var(--bad);color:var(--bg);font-size:.8rem;font-weight:700;text-align:center}
.who{margin:0;color:var(--muted)}
.phone-tabs{display:none;gap:.5rem;padding:.5rem 1rem 0}
.phone-tabs button{flex:1;background:transparent;color:var(--accent)}
.phone-tabs button[aria-selected=true]{background:var(--accent);color:var(--on-accent)}
.layout{display:grid;grid-template-columns:minmax(0,1fr);gap:1rem;padding:1rem;max-width:90rem;margin:0 auto}
.main{min-width:0}
@media (min-width:900px){.layout{grid-template-columns:minmax(0,2fr) minmax(18rem,1fr)}.side{position:sticky;top:.5rem;max-height:calc(100vh - 1rem);overflow:auto}}
@media (max-width:899px){.phone-tabs{display:flex}.top{justify-content:space-between}.who{font-size:.85rem}.nav{order:4;flex-basis:100%;flex:none;width:100%}.layout[data-tab=main] .side{display:none}.layout[data-tab=side] .main{display:none}}
.chat-tools{display:flex;flex-wrap:wrap;gap:.5rem;align-items:flex-start;margin-bottom:.75rem}
.conversations summary{cursor:pointer;padding:.45rem 0;color:var(--accent)}
.conversation-list{list-style:none;padding:0;margin:.25rem 0;max-height:14rem;overflow:auto}
.conversation-list li{padding:.2rem 0}
.log{list-style:none;margin:0;padding:0;display:flex;flex-direction:column;gap:.75rem}
.msg{max-width:100%;padding:.6rem .8rem;border-radius:10px;background:var(--panel);overflow-wrap:anywhere;min-width:0}
.msg.user{align-self:flex-end;background:var(--accent);color:var(--on-accent);max-width:85%}
.msg pre,.reply-text{white-space:pre-wrap;overflow-wrap:anywhere;margin:0;font:inherit}
details summary{cursor:pointer}
.msg details>summary{color:var(--muted);font-size:.85rem}
.card{overflow-wrap:anywhere;min-width:0;border:1px solid var(--line);border-radius:10px;padding:.75rem;margin-top:.5rem;background:var(--bg)}
.card h3{margin:0 0 .25rem;font-size:1rem}
.actions{display:flex;flex-wrap:wrap;gap:.5rem;margin-top:.5rem;align-items:center}
.risk{display:inline-block;border-radius:6px;padding:0 .5rem;font-weight:700;border:2px solid currentColor}
.risk.low{color:var(--risk-low)}.risk.medium{color:var(--risk-medium)}.risk.high{color:var(--risk-high)}
.risk-notes{margin:.25rem 0;padding-left:1.2rem;font-size:.92rem}
.groups{list-style:none;padding:0;margin:.25rem 0;font-size:.92rem}
.groups li{padding:.1rem 0}
.groups .count{font-weight:600}
.steps{list-style:none;padding:0;margin:.25rem 0;font-size:.92rem}
.steps li{display:grid;grid-template-columns:1.5rem minmax(0,1fr) auto;gap:.25rem;overflow-wrap:anywhere}
.steps .time{color:var(--muted);font-size:.8rem;white-space:nowrap}
.steps .note{grid-column:2/4;color:var(--muted);font-size:.85rem}
.table-wrap{overflow-x:auto;max-width:100%}
table{border-collapse:collapse;width:100%;font-size:.88rem}
th,td{border-bottom:1px solid var(--line);padding:.3rem .4rem;text-align:left;vertical-align:top;overflow-wrap:anywhere}
th{font-weight:600}
td.before{color:var(--bad)}td.after{color:var(--ok)}
.status{display:inline-block;border-radius:999px;padding:0 .6rem;font-size:.85rem;border:1px solid currentColor}
.status.succeeded,.status.resolved{color:var(--ok)}.status.failed,.status.rolled-back,.status.rejected,.status.open{color:var(--bad)}
.status.running,.status.queued,.status.planned,.status.cancelled{color:var(--accent)}.status.awaiting-approval,.status.stopped{color:var(--warn)}
.run-error{color:var(--bad)}
.approval{border:2px solid var(--warn);border-radius:10px;padding:.6rem;margin:.5rem 0}
.approval h4{margin:0 0 .25rem;font-size:.95rem}
.commits{list-style:none;padding:0;margin:.25rem 0;font-size:.9rem}
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
.artifacts .incident{border-color:var(--bad);color:var(--bad)}
.logs pre{white-space:pre-wrap;overflow-wrap:anywhere;font-size:.8rem;max-height:18rem;overflow:auto;background:var(--panel);padding:.5rem;border-radius:6px;margin:.25rem 0}
.composer-box{position:sticky;bottom:0;background:var(--bg);padding:.5rem 0 0;margin-top:1rem;border-top:1px solid var(--line)}
.status-line{margin:0 0 .4rem;font-weight:600;color:var(--warn)}
.status-line:empty{display:none}
.composer{min-width:0;display:flex;gap:.5rem}
.composer textarea{flex:1;min-width:0;resize:vertical}
.hint{font-size:.8rem;color:var(--muted);margin:.25rem 0}
.side{background:var(--panel);border-radius:10px;padding:.75rem;align-self:start;min-width:0}
.side h2{font-size:1rem;margin:1rem 0 .25rem}
.side select{width:100%}
.env-summary{font-size:.9rem}
.recent,.incidents,.audit,.plain{list-style:none;padding:0;margin:0;font-size:.9rem}
.recent li,.incidents li,.audit li,.plain li{padding:.3rem 0;border-bottom:1px solid var(--line);overflow-wrap:anywhere}
.recent li{display:flex;justify-content:space-between;gap:.5rem}
.audit-actions{display:flex;gap:.5rem}
.verdict{font-size:.9rem;min-height:1.5em}
.audit .action{font-weight:600}
.page h1{font-size:1.3rem;margin:.25rem 0 .5rem}
.page h2{font-size:1.05rem;margin:1.25rem 0 .4rem}
.filters{display:flex;flex-wrap:wrap;gap:.75rem;align-items:end;margin:.5rem 0}
.filters label{display:flex;flex-direction:column;font-size:.85rem}
.form-row{display:flex;flex-wrap:wrap;gap:.5rem;align-items:end;margin:.5rem 0}
.form-row label{display:flex;flex-direction:column;font-size:.85rem}
.secret-box{border:1px solid var(--line);border-radius:8px;padding:.5rem;background:var(--panel);overflow-wrap:anywhere}
dialog{max-width:min(92vw,50rem);width:100%;border:1px solid var(--line);border-radius:10px;background:var(--bg);color:var(--fg)}
dialog::backdrop{background:rgb(0 0 0 / .5)}
.viewer-head{display:flex;justify-content:space-between;align-items:center}
.viewer-head h2,#confirm-title{font-size:1.05rem;margin:0 0 .5rem}
#viewer-body{white-space:pre-wrap;overflow:auto;max-height:70vh;font-size:.85rem}
`;
