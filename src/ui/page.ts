/**
 * The web chat's HTML shell. Everything dynamic is built by the client script with DOM calls and
 * textContent (never innerHTML), so the page has no inline script or style and a strict CSP holds.
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
<a class="skip" href="#message">Skip to the message box</a>
<header class="top">
  <h1>Infra Chat</h1>
  <p id="who" class="who" hidden></p>
  <button id="sign-out" type="button" class="quiet" hidden>Sign out</button>
</header>

<main id="signin-view" class="signin">
  <form id="signin" autocomplete="off">
    <h2>Sign in</h2>
    <p>Paste your API token. It stays in this tab only (session storage) and is sent as a Bearer header.</p>
    <label for="token">API token</label>
    <input id="token" name="token" type="password" required spellcheck="false" autocapitalize="off" autocomplete="off">
    <button type="submit">Sign in</button>
    <p id="signin-error" class="error" role="alert"></p>
  </form>
</main>

<main id="app-view" class="app" hidden>
  <section class="chat" aria-label="Conversation">
    <ol id="log" class="log" aria-live="polite" aria-relevant="additions"></ol>
    <form id="composer" class="composer">
      <label for="message" class="visually-hidden">Message</label>
      <textarea id="message" name="message" rows="2" maxlength="4000" required placeholder="deploy staging · status of production · backfill timezone in staging at 500 users/min"></textarea>
      <button type="submit" id="send">Send</button>
    </form>
    <p class="hint">Enter sends, Shift+Enter adds a line. <button id="new-conversation" type="button" class="link">New conversation</button></p>
  </section>
  <aside class="side" aria-label="Environment">
    <label for="env">Environment</label>
    <select id="env"></select>
    <p id="live-state" class="live-state">not connected</p>
    <h2>Recent runs</h2>
    <ol id="recent" class="recent"></ol>
    <h2>Incidents</h2>
    <ol id="incidents" class="incidents"></ol>
    <h2>Audit</h2>
    <div class="audit-actions">
      <button id="audit-refresh" type="button">Refresh</button>
      <button id="audit-verify" type="button">Verify chain</button>
    </div>
    <p id="audit-verdict" class="verdict"></p>
    <ol id="audit" class="audit" aria-label="Audit events, newest first"></ol>
  </aside>
</main>

<dialog id="viewer" aria-labelledby="viewer-title">
  <form method="dialog" class="viewer-head"><h2 id="viewer-title">Artifact</h2><button type="submit">Close</button></form>
  <pre id="viewer-body"></pre>
</dialog>
</body>
</html>`;
