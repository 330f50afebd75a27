// pageclient.js URL - drives the web page's WAMP client (web/wamp-tiny.js)
// from node with the ws package: joins realm1, waits for a temperature
// event, calls light.set(true), light.get() and a missing procedure, and
// prints one JSON line with what it saw. Exits 1 on any failure or after 30 s.
'use strict';
const path = require('path');
const WebSocket = require('ws');
const TinyWamp = require(path.join(__dirname, '..', '..', 'web', 'wamp-tiny.js'));

const fail = (e) => { console.error('pageclient: ' + (e && e.stack || e)); process.exit(1); };
setTimeout(() => fail('timed out'), 30000).unref();

(async () => {
  const url = process.argv[2];
  const s = await TinyWamp.connect(url, 'realm1', { WebSocket });
  const temperature = await new Promise((resolve, reject) => {
    s.subscribe('temperature', (args) => resolve(args[0])).catch(reject);
  });
  const set = await s.call('light.set', [true]);
  const get = await s.call('light.get');
  let missing = '';
  try {
    await s.call('no.such.procedure');
  } catch (e) {
    missing = e.uri;
  }
  const closed = new Promise((resolve) => { s.onclose = resolve; });
  console.log(JSON.stringify({ session: s.id, temperature, set: set.args[0], get: get.args[0], missing }));
  s.close();
  await closed;
  process.exit(0);
})().catch(fail);
