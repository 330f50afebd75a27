// pagescript.js URL - runs web/index.html's own script in node, against a
// stand-in DOM (the elements it uses: textContent, className, disabled,
// onclick, a canvas context with no-op drawing) and with web/wamp-tiny.js on
// the ws package: waits until the page shows a temperature and the light's
// state, clicks the light button once, waits for the new state, and prints
// one JSON line {"temp": ..., "before": ..., "after": ..., "status": ...}.
// Exits 1 on failure or after 30 s.
'use strict';
const fs = require('fs');
const path = require('path');
const vm = require('vm');
const WebSocket = require('ws');

const fail = (e) => { console.error('pagescript: ' + (e && e.stack || e)); process.exit(1); };
setTimeout(() => fail('timed out; page shows ' + JSON.stringify(snapshot())), 30000).unref();

const web = path.join(__dirname, '..', '..', 'web');
const html = fs.readFileSync(path.join(web, 'index.html'), 'utf8');
const scripts = [...html.matchAll(/<script>([\s\S]*?)<\/script>/g)].map((m) => m[1]);
if (scripts.length !== 1) fail('want one inline script in index.html, found ' + scripts.length);

const elements = {};
const element = (id) => elements[id] || (elements[id] = {
  id, textContent: '', className: '', disabled: false, onclick: null, width: 480, height: 60,
  getContext: () => new Proxy({}, { get: () => () => {} }),  // every drawing call is a no-op
});
const snapshot = () => ({
  temp: element('temp').textContent, light: element('light').textContent,
  status: element('status').textContent, disabled: element('light').disabled,
});

const TinyWamp = require(path.join(web, 'wamp-tiny.js'));
const sandbox = {
  console, setTimeout, clearTimeout, URLSearchParams, Number, Math, Date, JSON,
  location: { search: '?url=' + encodeURIComponent(process.argv[2]), hostname: '127.0.0.1' },
  document: { getElementById: element },
  TinyWamp: { connect: (url, realm) => TinyWamp.connect(url, realm, { WebSocket }), WampError: TinyWamp.WampError },
};
vm.runInNewContext(scripts[0], sandbox, { filename: 'index.html' });

const until = (cond) => new Promise((resolve) => {
  const t = setInterval(() => { if (cond()) { clearInterval(t); resolve(); } }, 20);
});
(async () => {
  await until(() => /°C$/.test(element('temp').textContent) && /light: (ON|off)/.test(element('light').textContent) &&
    !element('light').disabled);
  const before = element('light').textContent;
  await element('light').onclick();
  const after = element('light').textContent;
  console.log(JSON.stringify({ temp: element('temp').textContent, before, after, status: element('status').textContent }));
  process.exit(0);
})().catch(fail);
