/**
 * The console's HTML shell, the same for every address (/, /runs/:id, /envs/:id, /incidents/:id,
 * /approvals, /history, /settings): the client script reads the path and draws the page. Everything
 * dynamic is built with DOM calls and textContent (never innerHTML), so the page has no inline script
 * or style and a strict CSP holds.
 */
export const CHAT_PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>Infra Chat</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/ui/app.css">
<script type="module" src="/ui/app.js"></script>
</head>
<body>
<div id="signin-view" class="signin-view">
  <main class="signin">
    <h1>Infra Chat</h1>
    <form id="signin" autocomplete="off">
      <h2>Sign in</h2>
      <label for="token">API token</label>
      <input id="token" name="token" type="password" required spellcheck="false" autocapitalize="off" autocomplete="off" aria-describedby="token-help">
      <button type="submit">Sign in</button>
      <p id="signin-error" class="error" role="alert"></p>
    </form>
    <section id="token-help" class="token-help" aria-label="Where the token comes from">
      <h2>Where do I get a token?</h2>
      <ul>
        <li>On your machine: <code>npm start</code> prints the local admin's token when it starts (it is also in <code>.dev.vars</code> as <code>INFRA_CHAT_ADMIN_TOKEN</code>).</li>
        <li>On a real deployment: <code>npx infra-chat init</code> creates the first admin and prints their token once.</li>
        <li>Everyone else: an admin creates your user (or a new token for you) under Settings and hands you the token.</li>
      </ul>
      <p>The token stays in this browser tab only (session storage) and is sent as a Bearer header.</p>
    </section>
  </main>
</div>

<div id="app-view" class="app-view" hidden>
  <a class="skip" href="#main">Skip to content</a>
  <header class="top">
    <p class="brand"><a href="/" data-nav>Infra Chat</a></p>
    <nav class="nav" aria-label="Main">
      <a href="/" data-nav data-route="chat">Chat</a>
      <a href="/history" data-nav data-route="history">History</a>
      <a href="/approvals" data-nav data-route="approvals" id="approvals-link">Approvals <span id="approvals-badge" class="badge" hidden></span></a>
      <a href="/settings" data-nav data-route="settings">Settings</a>
    </nav>
    <p id="who" class="who"></p>
    <button id="sign-out" type="button" class="quiet">Sign out</button>
  </header>
  <div class="phone-tabs" role="tablist" aria-label="Show">
    <button type="button" role="tab" id="tab-main" aria-controls="main" aria-selected="true">Conversation</button>
    <button type="button" role="tab" id="tab-side" aria-controls="side" aria-selected="false">Environment</button>
  </div>
  <div class="layout">
    <main id="main" class="main" tabindex="-1">
      <section id="view-chat" class="chat" aria-label="Conversation">
        <div class="chat-tools">
          <button id="new-conversation" type="button" class="secondary">New conversation</button>
          <details id="conversations" class="conversations">
            <summary>Past conversations</summary>
            <ol id="conversation-list" class="conversation-list"></ol>
          </details>
        </div>
        <ol id="log" class="log" aria-live="polite" aria-relevant="additions"></ol>
        <div class="composer-box">
          <p id="status-line" class="status-line" role="status"></p>
          <form id="composer" class="composer">
            <label for="message" class="visually-hidden">Message</label>
            <textarea id="message" name="message" rows="2" maxlength="4000" required placeholder="deploy staging · status of production"></textarea>
            <button type="submit" id="send">Send</button>
          </form>
          <p class="hint">Enter sends, Shift+Enter adds a line.</p>
        </div>
      </section>
      <section id="view-page" class="page" aria-live="polite" hidden></section>
    </main>
    <aside id="side" class="side" aria-label="Environment">
      <label for="env">Environment</label>
      <select id="env"></select>
      <p id="live-state" class="meta">not connected</p>
      <div id="env-summary" class="env-summary"></div>
      <h2>Recent runs</h2>
      <ol id="recent" class="recent"></ol>
      <h2>Incidents</h2>
      <ol id="incidents" class="incidents"></ol>
      <h2>Audit</h2>
      <div class="audit-actions">
        <button id="audit-refresh" type="button" class="secondary">Refresh</button>
        <button id="audit-verify" type="button" class="secondary">Verify chain</button>
      </div>
      <p id="audit-verdict" class="verdict"></p>
      <ol id="audit" class="audit" aria-label="Audit events, newest first"></ol>
    </aside>
  </div>
</div>

<dialog id="viewer" aria-labelledby="viewer-title">
  <form method="dialog" class="viewer-head"><h2 id="viewer-title">Artifact</h2><button type="submit">Close</button></form>
  <pre id="viewer-body"></pre>
</dialog>
<dialog id="confirm" aria-labelledby="confirm-title" aria-describedby="confirm-body">
  <form method="dialog">
    <h2 id="confirm-title">Are you sure?</h2>
    <div id="confirm-body"></div>
    <div class="actions">
      <button type="submit" value="yes" id="confirm-yes">Confirm</button>
      <button type="submit" value="no" class="secondary" id="confirm-no" autofocus>Cancel</button>
    </div>
  </form>
</dialog>
</body>
</html>`;
