#!/usr/bin/env node
// Starts the fox-wamp router (npm fox-wamp 0.7.28) on ws://HOST:PORT/ (any path; wamp.2.json only), for the
// uplink's interop test against an independent upstream. fox-wamp is loaded from $EDGEWAMP_FOX_DIR/node_modules,
// else from interop/node/node_modules (scripts/install-peers.sh). Realms are created on first HELLO.
// usage: node fox_router.js PORT [HOST]      prints "READY" once listening
'use strict';
const path = require('path');
const { createRequire } = require('module');

const dir = process.env.EDGEWAMP_FOX_DIR || path.join(__dirname, '..', '..', '..', 'interop', 'node');
let FoxRouter;
try {
  FoxRouter = createRequire(path.join(dir, 'package.json'))('fox-wamp');
} catch (e) {
  console.log('FAIL cannot load fox-wamp from ' + dir + '/node_modules: ' + e.message);
  process.exit(1);
}
const port = parseInt(process.argv[2] || '9000', 10);
const host = process.argv[3] || '127.0.0.1';
const router = new FoxRouter();
const server = router.listenWAMP({ port, host });
server.on('listening', () => console.log('READY'));
server.on('error', (e) => { console.log('FAIL listen: ' + e.message); process.exit(1); });
const stop = () => { server.close(); process.exit(0); };
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
