#!/usr/bin/env node
// Payload passthru interop peer on wampy 8.0.2 (which implements the mode; it does not encrypt).
//
// usage: node wampy_ppt.js URL REALM SERIALIZER N [--timeout S]
// Over WebSocket with SERIALIZER (json, msgpack or cbor), it subscribes to ppt.back, then publishes N events
// to ppt.out in passthru mode (ppt_scheme x_edgewamp, ppt_serializer cbor: the payload {args: [i], kwargs:
// {seq: i}} CBOR-encoded by wampy, one binary item), which the Go side sends back unread on ppt.back with the
// options it received; each must decode to what was sent. Then it calls ppt.echo(i) in passthru mode, whose
// Go callee yields the opaque payload back with the options. Prints READY once subscribed, then OK or FAIL.
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
if (pos.length !== 4) {
  console.log('FAIL usage: node wampy_ppt.js ws://host:port/path REALM json|msgpack|cbor N [--timeout S]');
  process.exit(2);
}
const [url, realm, serName, nArg] = pos;
const n = Number(nArg);

const req = createRequire(path.join(__dirname, '..', 'node', 'package.json'));
const { Wampy } = req('wampy');
const WebSocket = req('ws');
const { CborSerializer } = req('wampy/CborSerializer.js');
const Serializer = {
  json: () => req('wampy/JsonSerializer.js').JsonSerializer,
  msgpack: () => req('wampy/MsgpackSerializer.js').MsgpackSerializer,
  cbor: () => CborSerializer,
}[serName]();

const { finish, errText, onClose } = require('./peer_common.js')(timeout);
const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);
const PPT = { ppt_scheme: 'x_edgewamp', ppt_serializer: 'cbor' };

async function main() {
  const w = new Wampy(url, {
    realm,
    ws: WebSocket,
    serializer: new Serializer(),
    payloadSerializers: { cbor: new CborSerializer() },
    autoReconnect: false,
    onClose: () => finish(1, 'connection closed'),
    onError: (e) => finish(1, 'connection error: ' + errText(e)),
  });
  onClose(() => { w.disconnect().catch(() => {}); });
  await w.connect();
  let got = 0;
  await w.subscribe('ppt.back', async ({ details, argsList, argsDict }) => {
    const i = got;
    if (details.ppt_scheme !== 'x_edgewamp' || details.ppt_serializer !== 'cbor' ||
        !same(argsList, [i]) || !same(argsDict, { seq: i })) {
      return finish(1, `event back #${i}: details=${JSON.stringify(details)} args=${JSON.stringify(argsList)} kwargs=${JSON.stringify(argsDict)}`);
    }
    got++;
    if (got < n) return;
    for (let j = 0; j < n; j++) {
      const r = await w.call('ppt.echo', { argsList: [j], argsDict: { seq: j } }, PPT);
      if (!same(r.argsList, [j]) || !same(r.argsDict, { seq: j }) || r.details.ppt_scheme !== 'x_edgewamp') {
        return finish(1, `ppt.echo(${j}) returned ${JSON.stringify(r)}`);
      }
    }
    finish(0, `${n} passthru events back and ${n} passthru calls`);
  });
  console.log('READY');
  for (let i = 0; i < n; i++) {
    await w.publish('ppt.out', { argsList: [i], argsDict: { seq: i } }, { ...PPT, acknowledge: true });
  }
}
main().catch((e) => finish(1, 'error: ' + errText(e)));
