#!/usr/bin/env node
// Authentication peer on AutobahnJS (npm autobahn@22.11.1, installed into interop/node by
// scripts/install-peers.sh): runs a list of authentication attempts against a router over WebSocket, one
// session each, and reports how each ended. The signatures are AutobahnJS's own: auth_cra.sign and
// auth_cra.derive_key for WAMP-CRA, auth_cryptosign.sign_challenge (tweetnacl) for cryptosign.
//
// usage: node auth_peer.js URL REALM SERIALIZER CASES [--timeout S]
//   URL         ws://host:port/path
//   SERIALIZER  json | msgpack
//   CASES       a JSON list of attempts, each {"method": "ticket"|"wampcra"|"cryptosign", "authid": "...",
//               "secret": "..."}: the ticket, the WAMP-CRA secret (derived with derive_key when the challenge
//               carries a salt) or the hex Ed25519 seed (32 bytes)
//   --timeout   seconds per attempt, default 10
// For each attempt it prints one JSON line (the same as auth_peer.py):
//   {"case": i, "result": "welcome", "authid": ..., "authrole": ..., "authmethod": ..., "signature": ...}
//   {"case": i, "result": "abort", "reason": "wamp.error....", "message": ..., "signature": ...}
//   {"case": i, "result": "error", "why": ...}
// Exit status: 0 when every attempt got a WELCOME or an ABORT, 1 otherwise, 2 usage.
'use strict';

const path = require('path');
const { createRequire } = require('module');

const pos = [];
let timeout = 10;
{
  const a = process.argv.slice(2);
  for (let i = 0; i < a.length; i++) {
    if (a[i] === '--timeout') timeout = parseFloat(a[++i]);
    else pos.push(a[i]);
  }
}
if (pos.length !== 4 || !pos[0].startsWith('ws://') || !['json', 'msgpack'].includes(pos[2]) || !(timeout > 0)) {
  console.error('usage: node auth_peer.js ws://host:port/path REALM json|msgpack CASES [--timeout S]');
  process.exit(2);
}
const [url, realm, serName, casesJSON] = pos;
const cases = JSON.parse(casesJSON);

let autobahn;
try {
  autobahn = createRequire(path.join(__dirname, '..', 'node', 'package.json'))('autobahn');
} catch (e) {
  console.log(JSON.stringify({ case: 0, result: 'error', why: 'cannot load autobahn from interop/node/node_modules: ' + e.message }));
  process.exit(1);
}

// attempt runs one authentication attempt and resolves to its report (without "case").
function attempt(c) {
  return new Promise((resolve) => {
    const report = { signature: '' };
    let settled = false;
    let conn;
    const finish = (d) => {
      if (settled) return;
      settled = true;
      Object.assign(report, d);
      clearTimeout(timer);
      try { if (conn.isOpen) conn.close(); } catch (e) { /* already closed */ }
      // let the close go out before the next attempt
      setTimeout(() => resolve(report), 20);
    };
    const timer = setTimeout(() => finish({ result: 'error', why: 'timeout after ' + timeout + 's' }), timeout * 1000);
    let keyPair = null;
    let authextra;
    if (c.method === 'cryptosign') {
      keyPair = autobahn.nacl.sign.keyPair.fromSeed(autobahn.util.htob(c.secret));
      authextra = { pubkey: autobahn.auth_cryptosign.public_key(keyPair) };
    }
    conn = new autobahn.Connection({
      transports: [{
        type: 'websocket',
        url,
        serializers: [serName === 'msgpack' ? new autobahn.serializer.MsgpackSerializer() : new autobahn.serializer.JSONSerializer()],
      }],
      realm,
      authmethods: [c.method],
      authid: c.authid,
      authextra,
      max_retries: 0,
      retry_if_unreachable: false,
      onchallenge: (session, method, extra) => {
        let sig;
        if (method === 'ticket') {
          sig = c.secret;
        } else if (method === 'wampcra') {
          let key = c.secret;
          if (extra.salt) key = autobahn.auth_cra.derive_key(c.secret, extra.salt, extra.iterations, extra.keylen);
          sig = autobahn.auth_cra.sign(key, extra.challenge);
        } else if (method === 'cryptosign') {
          sig = autobahn.auth_cryptosign.sign_challenge(keyPair, extra);
        } else {
          throw new Error('unexpected challenge method ' + method);
        }
        report.signature = sig;
        return sig;
      },
    });
    conn.onopen = (session, details) => {
      finish({ result: 'welcome', authid: details.authid, authrole: details.authrole, authmethod: details.authmethod });
    };
    conn.onclose = (reason, details) => {
      if (details && details.reason && reason !== 'lost' && reason !== 'unreachable') {
        finish({ result: 'abort', reason: details.reason, message: details.message || '' });
      } else {
        finish({ result: 'error', why: 'connection ' + reason + (details && details.reason ? ' ' + details.reason : '') });
      }
      return true; // no retry
    };
    conn.open();
  });
}

(async () => {
  let rc = 0;
  for (let i = 0; i < cases.length; i++) {
    const rep = await attempt(cases[i]);
    rep.case = i;
    if (rep.result !== 'welcome' && rep.result !== 'abort') rc = 1;
    console.log(JSON.stringify(rep));
  }
  process.exit(rc);
})();
