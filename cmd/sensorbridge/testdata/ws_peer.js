#!/usr/bin/env node
// WebSocket peer on AutobahnJS (npm autobahn@22.11.1, installed into interop/node by scripts/install-peers.sh),
// for sensorbridge's interop tests.
//
// usage: node ws_peer.js URL REALM SER ROLE N URI [--timeout S]
//   URL   ws://127.0.0.1:PORT/ws     SER  json | msgpack
//   ROLE  callee      register URI(a, b) -> a + b; answer N calls, then leave
//         caller      call URI(i+2, 3) for i = 0..N-1, check each result is i+5
//         subscriber  subscribe URI; expect N events in order with args [i], kwargs {seq: i}
//         publisher   N acknowledged publishes to URI with args [i], kwargs {seq: i}
// Prints READY when registered/subscribed/joined and ends with "OK ..." or "FAIL ..." (exit 0 / 1; 2 usage).
'use strict';

const path = require('path');
const { createRequire } = require('module');

const pos = [];
let timeout = 15;
{
  const a = process.argv.slice(2);
  for (let i = 0; i < a.length; i++) {
    if (a[i] === '--timeout') timeout = parseFloat(a[++i]);
    else pos.push(a[i]);
  }
}
if (pos.length !== 6) { console.log('FAIL usage: URL REALM SER ROLE N URI'); process.exit(2); }
const [url, realm, ser, role, nStr, uri] = pos;
const n = Number(nStr);

let autobahn;
try {
  autobahn = createRequire(path.join(__dirname, '..', '..', '..', 'interop', 'node', 'package.json'))('autobahn');
} catch (e) {
  console.log('FAIL cannot load autobahn from interop/node/node_modules (run scripts/install-peers.sh): ' + e.message);
  process.exit(1);
}

let finished = false;
let closeFn = () => {};
function finish(rc, why) {
  if (finished) return;
  finished = true;
  console.log((rc === 0 ? 'OK ' : 'FAIL ') + why);
  try { closeFn(); } catch (e) { /* already closed */ }
  process.exitCode = rc;
  setTimeout(() => process.exit(rc), 300).unref();
}
setTimeout(() => finish(1, 'timeout after ' + timeout + 's'), timeout * 1000).unref();
process.on('unhandledRejection', (e) => finish(1, 'unhandled rejection: ' + errText(e)));
const keepAlive = setInterval(() => {}, 1 << 30);
process.on('exit', () => clearInterval(keepAlive));

function errText(e) {
  if (e === null || e === undefined || typeof e !== 'object') return String(e);
  if (typeof e.error === 'string') return e.error + ' ' + JSON.stringify(e.args || []);
  if (e.message) return e.message;
  try { return JSON.stringify(e); } catch (_) { return String(e); }
}
const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);

async function runRole(session) {
  if (role === 'callee') {
    let calls = 0;
    await session.register(uri, (args) => {
      calls++;
      if (calls >= n) setTimeout(() => finish(0, `answered ${calls} calls`), 50);
      return args[0] + args[1];
    });
    console.log('READY');
  } else if (role === 'caller') {
    console.log('READY');
    for (let i = 0; i < n; i++) {
      let r = await session.call(uri, [i + 2, 3]);
      if (r instanceof autobahn.Result) r = (r.args || [])[0];
      if (r !== i + 5) return finish(1, `call ${i}: got ${JSON.stringify(r)}, want ${i + 5}`);
    }
    finish(0, `${n} calls`);
  } else if (role === 'subscriber') {
    let got = 0;
    await session.subscribe(uri, (args, kwargs) => {
      if (!same(args, [got]) || !same(kwargs, { seq: got })) {
        return finish(1, `event #${got}: args=${JSON.stringify(args)} kwargs=${JSON.stringify(kwargs)}`);
      }
      got++;
      if (got >= n) finish(0, `received ${n} events`);
    });
    console.log('READY');
  } else if (role === 'publisher') {
    console.log('READY');
    for (let i = 0; i < n; i++) await session.publish(uri, [i], { seq: i }, { acknowledge: true });
    finish(0, `published ${n}`);
  } else {
    finish(2, 'unknown role ' + role);
  }
}

const serializers = ser === 'msgpack' ? [new autobahn.serializer.MsgpackSerializer()] : [new autobahn.serializer.JSONSerializer()];
const conn = new autobahn.Connection({
  transports: [{ type: 'websocket', url, serializers }],
  realm,
  max_retries: 0,
  retry_if_unreachable: false,
});
closeFn = () => { if (conn.isOpen) conn.close(); };
conn.onopen = (session) => { runRole(session).catch((e) => finish(1, 'error: ' + errText(e))); };
conn.onclose = (reason, details) => {
  finish(1, `connection closed: ${reason} ${details && details.message ? details.message : ''}`.trim());
  return true;
};
conn.open();
