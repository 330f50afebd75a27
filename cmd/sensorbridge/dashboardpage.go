package main

// dashboardPage is the dashboard's HTML: empty tables that dashboardScript
// fills from /stats. It is constant: nothing from the gateway or its
// clients is ever interpolated into HTML.
const dashboardPage = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>sensorbridge</title>
<style>
body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5em; color: #222; }
h1 { font-size: 1.3em; margin: 0 0 .2em; }
h2 { font-size: 1.05em; margin: 1.4em 0 .4em; }
table { border-collapse: collapse; }
th, td { padding: .2em .8em .2em 0; text-align: left; border-bottom: 1px solid #ddd; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
#status { color: #666; }
#status.err { color: #b00; }
</style>
</head>
<body>
<h1>sensorbridge</h1>
<div id="status">loading…</div>
<h2>Router</h2>
<table id="router"></table>
<h2>Listeners</h2>
<table id="listeners"></table>
<h2>Uplink</h2>
<table id="uplink"></table>
<h2>Sessions</h2>
<table id="sessions"></table>
<script src="/dashboard.js"></script>
</body>
</html>
`

// dashboardScript fetches /stats every refresh_ms and renders it with
// textContent only (no HTML from the data).
const dashboardScript = `'use strict';
function cell(tr, tag, text, num) {
  const c = document.createElement(tag);
  c.textContent = String(text);
  if (num) c.className = 'n';
  tr.appendChild(c);
}
function kv(id, obj) {
  const t = document.getElementById(id);
  t.replaceChildren();
  if (!obj) { const tr = t.insertRow(); cell(tr, 'td', 'none'); return; }
  for (const k of Object.keys(obj).sort()) {
    const tr = t.insertRow();
    cell(tr, 'th', k);
    cell(tr, 'td', obj[k], typeof obj[k] === 'number');
  }
}
function rows(id, cols, list) {
  const t = document.getElementById(id);
  t.replaceChildren();
  const h = t.insertRow();
  for (const c of cols) cell(h, 'th', c);
  for (const r of list || []) {
    const tr = t.insertRow();
    for (const c of cols) cell(tr, 'td', r[c] === undefined ? '' : r[c], typeof r[c] === 'number');
  }
}
let refresh = 2000;
async function update() {
  const st = document.getElementById('status');
  try {
    const res = await fetch('/stats', {cache: 'no-store'});
    if (!res.ok) throw new Error('HTTP ' + res.status);
    const d = await res.json();
    refresh = d.refresh_ms || refresh;
    kv('router', d.router);
    rows('listeners', ['url', 'kind', 'active', 'connections', 'handshake_failures', 'protocol_errors', 'auth_failures', 'timeouts'], d.listeners);
    kv('uplink', d.uplink);
    rows('sessions', ['realm', 'id', 'authid', 'authrole', 'authmethod', 'remote', 'events_dropped'], d.sessions);
    st.className = '';
    st.textContent = 'up ' + d.uptime_seconds + ' s, updated ' + new Date().toLocaleTimeString();
  } catch (e) {
    st.className = 'err';
    st.textContent = 'cannot read /stats: ' + e.message;
  }
  setTimeout(update, refresh);
}
update();
`
