/** A small landing page until the web chat arrives: what this is and how to talk to it. */
export function homePage(): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>Infra Chat</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:42rem;margin:2rem auto;padding:0 1rem;color:#1b1f24}code,pre{background:#f3f4f6;padding:.1rem .3rem;border-radius:4px}pre{padding:.75rem;overflow:auto}</style>
</head><body>
<h1>Infra Chat</h1>
<p>The control plane is running. Talk to it through the API with the admin token from <code>.dev.vars</code>:</p>
<pre>curl -s localhost:8787/api/chat \\
  -H "authorization: Bearer $INFRA_CHAT_ADMIN_TOKEN" \\
  -H 'content-type: application/json' \\
  -d '{"message":"deploy staging"}'</pre>
<p>API contract: <a href="/api/openapi.json">/api/openapi.json</a>. Sandbox world: <a href="/sandbox/state">/sandbox/state</a>.</p>
</body></html>`;
}
