#!/usr/bin/env node
// Interop peer on AutobahnJS (npm autobahn@22.11.1, installed into interop/node by scripts/install-peers.sh)
// over RawSocket or WebSocket. AutobahnJS's Node RawSocket transport speaks JSON only
// (lib/transport/rawsocket.js); over WebSocket it speaks JSON and MessagePack.
//
// usage: node js_peer.js URL REALM SERIALIZER ROLE [N] [--timeout S] [--uri URI]
//   URL         rs://host:port (RawSocket over TCP) | unix:///path or unix:/path (RawSocket over a Unix socket)
//               | ws://host:port/path (WebSocket) | wss://host:port/path (WebSocket over TLS; the certificate is
//               verified against Node's CAs and those of the file NODE_EXTRA_CA_CERTS names)
//   REALM       e.g. realm1
//   SERIALIZER  json | msgpack | cbor (msgpack and cbor over WebSocket only)
//   ROLE        callee      register com.example.add2(a, b) -> a + b, answer N calls, then leave
//               caller      call com.example.add2(i+2, 3) for i = 0..N-1, check each result is i+5
//               subscriber  subscribe com.example.topic, expect N events in order with args [i], kwargs {seq: i}
//               publisher   N acknowledged publishes to com.example.topic with args [i], kwargs {seq: i}
//               revoked-callee, revoked-subscriber  register com.example.add2 (subscribe com.example.topic) and
//                           com.example.add2.alive; end OK when .alive is called, if told of the revocation
//   N           default 5
//   --timeout   seconds for the whole run, default 15
//   --uri       the procedure or topic instead of com.example.add2 / com.example.topic
// Prints "READY" once registered/subscribed (callee, subscriber) or joined (caller, publisher), and ends with
// a line "OK ..." or "FAIL ...". Exit status: 0 ok, 1 failure, 2 usage.
'use strict';

const path = require('path');
const { createRequire } = require('module');

let PROC = 'com.example.add2';
let TOPIC = 'com.example.topic';
const ROLES = ['callee', 'caller', 'subscriber', 'publisher', 'revoked-callee', 'revoked-subscriber'];

function usage(msg) {
  console.log('FAIL usage: ' + msg);
  console.log('usage: node js_peer.js URL REALM json|msgpack|cbor callee|caller|subscriber|publisher [N] [--timeout S] [--uri URI]');
  process.exit(2);
}

const pos = [];
let timeout = 15;
{
  const a = process.argv.slice(2);
  for (let i = 0; i < a.length; i++) {
    if (a[i] === '--timeout') timeout = parseFloat(a[++i]);
    else if (a[i] === '--uri') PROC = TOPIC = a[++i];
    else pos.push(a[i]);
  }
}
if (pos.length < 4 || pos.length > 5) usage('wrong number of arguments');
const [url, realm, serName, role] = pos;
const n = pos.length === 5 ? Number(pos[4]) : 5;
const isWS = url.startsWith('ws://') || url.startsWith('wss://');
if (serName !== 'json' && !(isWS && (serName === 'msgpack' || serName === 'cbor'))) usage('AutobahnJS supports json, and msgpack and cbor over WebSocket only');
if (!ROLES.includes(role)) usage('unknown role ' + role);
if (!Number.isInteger(n) || n < 1) usage('N must be an integer >= 1');
if (!(timeout > 0)) usage('--timeout must be > 0');

function parseUrl(u) {
  if (isWS) return { url: u };
  if (u.startsWith('unix:')) {
    let p = u.slice('unix:'.length);
    if (p.startsWith('//')) p = p.slice(2);
    if (!p) usage('bad unix url ' + u);
    return { path: p };
  }
  const m = /^rs:\/\/\[?([^\]/]+?)\]?:(\d+)\/?$/.exec(u);
  if (!m) usage('unsupported url ' + u + ' (want rs://host:port or unix:///path)');
  return { host: m[1], port: parseInt(m[2], 10) };
}
const target = parseUrl(url);

let autobahn;
try {
  autobahn = createRequire(path.join(__dirname, '..', 'node', 'package.json'))('autobahn');
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
  // give GOODBYE a moment, then leave regardless
  setTimeout(() => process.exit(rc), 300).unref();
}
setTimeout(() => finish(1, 'timeout after ' + timeout + 's'), timeout * 1000).unref();
process.on('unhandledRejection', (e) => finish(1, 'unhandled rejection: ' + errText(e)));
const keepAlive = setInterval(() => {}, 1 << 30);
process.on('exit', () => clearInterval(keepAlive));

function errText(e) {
  if (e === null || e === undefined || typeof e !== 'object') return String(e);
  if (typeof e.error === 'string') return e.error + ' ' + JSON.stringify(e.args || []) + ' ' + JSON.stringify(e.kwargs || {});
  if (e.message) return e.message;
  try { return JSON.stringify(e); } catch (_) { return String(e); }
}

function sameJSON(a, b) { return JSON.stringify(a) === JSON.stringify(b); }

async function runRole(session) {
  if (role === 'callee') {
    let calls = 0;
    await session.register(PROC, (args) => {
      calls++;
      if (calls >= n) setTimeout(() => finish(0, `answered ${calls} calls`), 50); // let the YIELD go out first
      return args[0] + args[1];
    });
    console.log('READY');
  } else if (role === 'revoked-callee' || role === 'revoked-subscriber') {
    // The router takes PROC (TOPIC) away: AutobahnJS resolves registration.on_unregister
    // (subscription.on_unsubscribe) with the reason; then PROC.alive shows the session is still fine.
    let seen = '';
    const taken = role === 'revoked-callee'
      ? (await session.register(PROC, () => finish(1, 'the revoked procedure was called'))).on_unregister
      : (await session.subscribe(TOPIC, () => finish(1, 'an event of the revoked subscription arrived'))).on_unsubscribe;
    taken.then((reason) => { seen = reason; });
    await session.register(PROC + '.alive', () => {
      setTimeout(() => finish(seen ? 0 : 1, `alive after the revocation; told: ${seen || 'no'}`), 50);
      return 'alive';
    });
    console.log('READY');
  } else if (role === 'caller') {
    console.log('READY');
    for (let i = 0; i < n; i++) {
      let r = await session.call(PROC, [i + 2, 3]);
      if (r instanceof autobahn.Result) r = (r.args || [])[0];
      if (r !== i + 5) return finish(1, `add2(${i + 2}, 3) returned ${JSON.stringify(r)}, want ${i + 5}`);
    }
    finish(0, `${n} calls`);
  } else if (role === 'subscriber') {
    let got = 0;
    await session.subscribe(TOPIC, (args, kwargs) => {
      const i = got;
      if (!sameJSON(args, [i]) || !sameJSON(kwargs, { seq: i })) {
        return finish(1, `event #${i} has args=${JSON.stringify(args)} kwargs=${JSON.stringify(kwargs)}, want [${i}] {seq: ${i}}`);
      }
      got++;
      if (got >= n) finish(0, `received ${n} events`);
    });
    console.log('READY');
  } else {
    console.log('READY');
    for (let i = 0; i < n; i++) await session.publish(TOPIC, [i], { seq: i }, { acknowledge: true });
    finish(0, `published ${n}`);
  }
}

const conn = new autobahn.Connection({
  transports: [isWS
    ? { type: 'websocket', url: target.url, serializers: [new ({ json: autobahn.serializer.JSONSerializer, msgpack: autobahn.serializer.MsgpackSerializer, cbor: autobahn.serializer.CBORSerializer })[serName]()] }
    : Object.assign({ type: 'rawsocket', protocols: ['wamp.2.json'] }, target)],
  realm,
  max_retries: 0,
  retry_if_unreachable: false,
});
closeFn = () => { if (conn.isOpen) conn.close(); };
conn.onopen = (session) => { runRole(session).catch((e) => finish(1, 'error: ' + errText(e))); };
conn.onclose = (reason, details) => {
  finish(1, `connection closed: ${reason} ${details && details.reason ? details.reason : ''} ${details && details.message ? details.message : ''}`.trim());
  return true; // no retry
};
conn.open();
