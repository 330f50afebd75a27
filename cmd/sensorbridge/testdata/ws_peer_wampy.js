#!/usr/bin/env node
// WebSocket peer on wampy (npm wampy@8.0.2, installed into interop/node by scripts/install-peers.sh), for
// sensorbridge's interop tests. Same contract as ws_peer.js:
//
// usage: node ws_peer_wampy.js URL REALM SER ROLE N URI [--timeout S]
//   URL   ws://127.0.0.1:PORT/ws     SER  json | msgpack
//   ROLE  callee | caller | subscriber | publisher (see ws_peer.js)
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
if (ser !== 'json' && ser !== 'msgpack') { console.log('FAIL usage: SER must be json or msgpack'); process.exit(2); }

const req = createRequire(path.join(__dirname, '..', '..', '..', 'interop', 'node', 'package.json'));
let Wampy, WebSocket, Serializer;
try {
  ({ Wampy } = req('wampy'));
  WebSocket = req('ws');
  Serializer = ser === 'msgpack' ? req('wampy/MsgpackSerializer.js').MsgpackSerializer : req('wampy/JsonSerializer.js').JsonSerializer;
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
  setTimeout(() => process.exit(rc), 300).unref();
}
setTimeout(() => finish(1, 'timeout after ' + timeout + 's'), timeout * 1000).unref();
process.on('unhandledRejection', (e) => finish(1, 'unhandled rejection: ' + errText(e)));

function errText(e) {
  if (e === null || e === undefined || typeof e !== 'object') return String(e);
  if (e.errorUri) return e.errorUri + ' ' + JSON.stringify(e.argsList || []);
  if (e.message) return e.message;
  try { return JSON.stringify(e); } catch (_) { return String(e); }
}
const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);

async function main() {
  const w = new Wampy(url, {
    realm, ws: WebSocket, serializer: new Serializer(), autoReconnect: false,
    onClose: () => finish(1, 'connection closed'),
    onError: (e) => finish(1, 'connection error: ' + errText(e)),
  });
  closeFn = () => { w.disconnect().catch(() => {}); };
  await w.connect();
  if (role === 'callee') {
    let calls = 0;
    await w.register(uri, ({ argsList }) => {
      calls++;
      if (calls >= n) setTimeout(() => finish(0, `answered ${calls} calls`), 50);
      return { argsList: [argsList[0] + argsList[1]] };
    });
    console.log('READY');
  } else if (role === 'caller') {
    console.log('READY');
    for (let i = 0; i < n; i++) {
      const r = (await w.call(uri, [i + 2, 3])).argsList[0];
      if (r !== i + 5) return finish(1, `call ${i}: got ${JSON.stringify(r)}, want ${i + 5}`);
    }
    finish(0, `${n} calls`);
  } else if (role === 'subscriber') {
    let got = 0;
    await w.subscribe(uri, ({ argsList, argsDict }) => {
      if (!same(argsList, [got]) || !same(argsDict, { seq: got })) {
        return finish(1, `event #${got}: args=${JSON.stringify(argsList)} kwargs=${JSON.stringify(argsDict)}`);
      }
      got++;
      if (got >= n) finish(0, `received ${n} events`);
    });
    console.log('READY');
  } else if (role === 'publisher') {
    console.log('READY');
    for (let i = 0; i < n; i++) await w.publish(uri, { argsList: [i], argsDict: { seq: i } }, { acknowledge: true });
    finish(0, `published ${n}`);
  } else {
    finish(2, 'unknown role ' + role);
  }
}
main().catch((e) => finish(1, 'error: ' + errText(e)));
