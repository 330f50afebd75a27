#!/usr/bin/env node
// Interop peer on wampy (npm wampy@8.0.2, installed into interop/node by scripts/install-peers.sh) over
// WebSocket (package ws), with JSON or MessagePack (wampy/MsgpackSerializer.js).
//
// usage: node wampy_peer.js URL REALM SERIALIZER ROLE [N] [--timeout S] [--uri URI]
//   URL         ws://host:port/path (wampy speaks WebSocket only)
//   REALM       e.g. realm1
//   SERIALIZER  json | msgpack | cbor
//   ROLE        callee      register com.example.add2(a, b) -> a + b, answer N calls, then leave
//               caller      call com.example.add2(i+2, 3) for i = 0..N-1, check each result is i+5
//               subscriber  subscribe com.example.topic, expect N events in order with args [i], kwargs {seq: i}
//               publisher   N acknowledged publishes to com.example.topic with args [i], kwargs {seq: i}
//               revoked-callee, revoked-subscriber  register com.example.add2 (subscribe com.example.topic) and
//                           com.example.add2.alive; end OK when .alive is called (the test revokes the first)
//               stream-caller  one call of com.example.add2 whose input is N chunks [i]; expect [sum, N]
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
const ROLES = ['callee', 'caller', 'subscriber', 'publisher', 'revoked-callee', 'revoked-subscriber', 'stream-caller'];

function usage(msg) {
  console.log('FAIL usage: ' + msg);
  console.log('usage: node wampy_peer.js ws://host:port/path REALM json|msgpack|cbor callee|caller|subscriber|publisher [N] [--timeout S] [--uri URI]');
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
if (!url.startsWith('ws://')) usage('unsupported url ' + url + ' (wampy speaks WebSocket only: ws://host:port/path)');
if (!['json', 'msgpack', 'cbor'].includes(serName)) usage('SERIALIZER must be json, msgpack or cbor');
if (!ROLES.includes(role)) usage('unknown role ' + role);
if (!Number.isInteger(n) || n < 1) usage('N must be an integer >= 1');
if (!(timeout > 0)) usage('--timeout must be > 0');

const req = createRequire(path.join(__dirname, '..', 'node', 'package.json'));
let Wampy, WebSocket, Serializer;
try {
  ({ Wampy } = req('wampy'));
  WebSocket = req('ws');
  Serializer = {
    json: () => req('wampy/JsonSerializer.js').JsonSerializer,
    msgpack: () => req('wampy/MsgpackSerializer.js').MsgpackSerializer,
    cbor: () => req('wampy/CborSerializer.js').CborSerializer,
  }[serName]();
} catch (e) {
  console.log('FAIL cannot load wampy from interop/node/node_modules (run scripts/install-peers.sh): ' + e.message);
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
  if (e.errorUri) return e.errorUri + ' ' + JSON.stringify(e.argsList || []) + ' ' + JSON.stringify(e.argsDict || {});
  if (e.message) return e.message;
  try { return JSON.stringify(e); } catch (_) { return String(e); }
}

function sameJSON(a, b) { return JSON.stringify(a) === JSON.stringify(b); }

async function main() {
  const w = new Wampy(url, {
    realm,
    ws: WebSocket,
    serializer: new Serializer(),
    autoReconnect: false,
    onClose: () => finish(1, 'connection closed'),
    onError: (e) => finish(1, 'connection error: ' + errText(e)),
  });
  closeFn = () => { w.disconnect().catch(() => {}); };
  if (role === 'stream-caller') w._wamp_features.roles.caller.features.progressive_call_invocations = true; // see below
  await w.connect();
  if (role === 'revoked-callee' || role === 'revoked-subscriber') {
    // The router takes PROC (TOPIC) away. wampy 8.0.2 announces neither registration_revocation nor
    // subscription_revocation (and its UNREGISTERED/UNSUBSCRIBED handlers look up a request it never made),
    // so the router does not tell it: it goes on, and PROC.alive shows the session is still fine.
    if (role === 'revoked-callee') await w.register(PROC, () => finish(1, 'the revoked procedure was called'));
    else await w.subscribe(TOPIC, () => finish(1, 'an event of the revoked subscription arrived'));
    await w.register(PROC + '.alive', () => {
      setTimeout(() => finish(0, 'alive after the revocation (not told: feature not announced)'), 50);
      return { argsList: ['alive'] };
    });
    console.log('READY');
  } else if (role === 'stream-caller') {
    // One call whose input is N chunks [i], i = 0..N-1 (progressive call invocations); the callee answers
    // [sum, chunks]. wampy 8.0.2 has progressiveCall but does not announce
    // caller.features.progressive_call_invocations in HELLO, which the spec makes a protocol violation for
    // a CALL with progress: announce it here, as its HELLO should.
    console.log('READY');
    const { result, sendData } = w.progressiveCall(PROC, { argsList: [0] });
    for (let i = 1; i < n; i++) sendData({ argsList: [i] }, { progress: i < n - 1 });
    const r = (await result).argsList || [];
    const sum = n * (n - 1) / 2;
    if (!sameJSON(r, [sum, n])) return finish(1, `streamed call returned ${JSON.stringify(r)}, want [${sum}, ${n}]`);
    finish(0, `streamed ${n} chunks in one call`);
  } else if (role === 'callee') {
    let calls = 0;
    await w.register(PROC, ({ argsList }) => {
      calls++;
      if (calls >= n) setTimeout(() => finish(0, `answered ${calls} calls`), 50); // let the YIELD go out first
      return { argsList: [argsList[0] + argsList[1]] };
    });
    console.log('READY');
  } else if (role === 'caller') {
    console.log('READY');
    for (let i = 0; i < n; i++) {
      const r = ((await w.call(PROC, [i + 2, 3])).argsList || [])[0];
      if (r !== i + 5) return finish(1, `add2(${i + 2}, 3) returned ${JSON.stringify(r)}, want ${i + 5}`);
    }
    finish(0, `${n} calls`);
  } else if (role === 'subscriber') {
    let got = 0;
    await w.subscribe(TOPIC, ({ argsList, argsDict }) => {
      const i = got;
      if (!sameJSON(argsList, [i]) || !sameJSON(argsDict, { seq: i })) {
        return finish(1, `event #${i} has args=${JSON.stringify(argsList)} kwargs=${JSON.stringify(argsDict)}, want [${i}] {seq: ${i}}`);
      }
      got++;
      if (got >= n) finish(0, `received ${n} events`);
    });
    console.log('READY');
  } else {
    console.log('READY');
    for (let i = 0; i < n; i++) await w.publish(TOPIC, { argsList: [i], argsDict: { seq: i } }, { acknowledge: true });
    finish(0, `published ${n}`);
  }
}
main().catch((e) => finish(1, 'error: ' + errText(e)));
