#!/usr/bin/env python3
"""Computes WAMP authentication values with AutobahnPython's own functions.

Used by auth/autobahn_test.go as an independent cross-check. Reads a JSON
object of inputs on stdin and writes a JSON object of results on stdout:

  wcs:         [{key, challenge}]                  -> compute_wcs(key, challenge)
  derive:      [{secret, salt, iterations, keylen}] -> derive_key(...)
  cra_client:  [{secret, extra}]                   -> AuthWampCra(secret=...).on_challenge(...)
  cryptosign:  [{seed, challenge, channel_id}]     -> {pubkey, signature} via CryptosignKey
  keyfiles:    [path]                              -> CryptosignKey.from_keyfile(path).public_key()
  cra_challenge: [{session, authid, authrole, authprovider, nonce, unix_us}]
                 -> json.dumps of Crossbar's challenge object (ensure_ascii=False),
                    timestamp via autobahn.util.utcstr
"""
import asyncio
import binascii
import datetime
import json
import sys

import txaio
txaio.use_asyncio()

from autobahn import util  # noqa: E402
from autobahn.wamp import auth  # noqa: E402
from autobahn.wamp.cryptosign import CryptosignKey  # noqa: E402
from autobahn.wamp.types import Challenge  # noqa: E402


async def sign(seed_hex, challenge_hex, channel_id_hex):
    key = CryptosignKey.from_bytes(binascii.a2b_hex(seed_hex))
    ch = Challenge('cryptosign', {'challenge': challenge_hex})
    if channel_id_hex:
        sig = key.sign_challenge(ch, binascii.a2b_hex(channel_id_hex), 'tls-unique')
    else:
        sig = key.sign_challenge(ch)
    return {'pubkey': key.public_key(), 'signature': await sig}


async def main():
    inp = json.load(sys.stdin)
    out = {}
    out['wcs'] = [auth.compute_wcs(c['key'].encode('utf8'), c['challenge'].encode('utf8')).decode('ascii')
                  for c in inp.get('wcs', [])]
    out['derive'] = [auth.derive_key(c['secret'], c['salt'], c['iterations'], c['keylen']).decode('ascii')
                     for c in inp.get('derive', [])]
    out['cra_client'] = [auth.AuthWampCra(authid='x', secret=c['secret']).on_challenge(None, Challenge('wampcra', c['extra']))
                         for c in inp.get('cra_client', [])]
    out['cryptosign'] = [await sign(c['seed'], c['challenge'], c.get('channel_id'))
                         for c in inp.get('cryptosign', [])]
    out['keyfiles'] = [CryptosignKey.from_keyfile(p).public_key() for p in inp.get('keyfiles', [])]
    res = []
    for c in inp.get('cra_challenge', []):
        ts = datetime.datetime(1970, 1, 1) + datetime.timedelta(microseconds=c['unix_us'])
        obj = {
            'authid': c['authid'],
            'authrole': c['authrole'],
            'authmethod': 'wampcra',
            'authprovider': c['authprovider'],
            'session': c['session'],
            'nonce': c['nonce'],
            'timestamp': util.utcstr(ts),
        }
        res.append(json.dumps(obj, ensure_ascii=False))
    out['cra_challenge'] = res
    json.dump(out, sys.stdout)


asyncio.run(main())
