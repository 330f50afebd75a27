#!/usr/bin/python3
"""Authentication peer on AutobahnPython (Debian python3-autobahn 22.7.1, asyncio): runs a list of
authentication attempts against a router, one session each, and reports how each ended.

Run it with /usr/bin/python3 (Debian's interpreter, where python3-autobahn lives).

usage: auth_peer.py URL REALM SERIALIZER CASES [--timeout S]

  URL         rs://host:port (RawSocket over TCP) | ws://host:port/path (WebSocket)
  SERIALIZER  json | msgpack
  CASES       a JSON list of attempts, each {"method": "ticket"|"wampcra"|"cryptosign", "authid": "...",
              "secret": "..."} where secret is the ticket, the WAMP-CRA secret (the key is derived with
              Autobahn's own derive_key when the challenge carries a salt) or the hex Ed25519 seed (32 bytes)
  --timeout   seconds per attempt, default 10

For each attempt it prints one JSON line:
  {"case": i, "result": "welcome", "authid": ..., "authrole": ..., "authmethod": ..., "signature": ...}
  {"case": i, "result": "abort", "reason": "wamp.error....", "message": ..., "signature": ...}
  {"case": i, "result": "error", "why": ...}
where signature is what Autobahn computed for the CHALLENGE (empty when no CHALLENGE came), so that a test
can replay it. Exit status: 0 when every attempt got a WELCOME or an ABORT, 1 otherwise, 2 usage.
"""
import argparse
import asyncio
import binascii
import json
import sys
from urllib.parse import urlparse

import txaio

txaio.use_asyncio()

from autobahn.asyncio import rawsocket as _aio_rs  # noqa: E402
from autobahn.asyncio.rawsocket import WampRawSocketClientFactory  # noqa: E402
from autobahn.asyncio.wamp import ApplicationSession  # noqa: E402
from autobahn.asyncio.websocket import WampWebSocketClientFactory  # noqa: E402
from autobahn.wamp import auth, cryptosign  # noqa: E402
from autobahn.wamp import serializer as ser  # noqa: E402
from autobahn.wamp.types import ComponentConfig  # noqa: E402

# AutobahnPython 22.7.1: see py_peer.py (crossbario/autobahn-python#1592).
if not hasattr(_aio_rs.PrefixProtocol, "transport_details"):
    _aio_rs.PrefixProtocol.transport_details = property(lambda self: getattr(self, "_transport_details", None))

SERIALIZERS = {"json": ser.JsonSerializer, "msgpack": ser.MsgPackSerializer}


def out(d):
    print(json.dumps(d), flush=True)


async def attempt(loop, url, realm, serializer, case, timeout):
    """Runs one authentication attempt and returns its report (without "case")."""
    done = loop.create_future()
    report = {"signature": ""}
    method, authid, secret = case["method"], case.get("authid"), case["secret"]
    key = None
    extra = {}
    if method == "cryptosign":
        key = cryptosign.CryptosignKey.from_bytes(binascii.unhexlify(secret))
        extra = {"pubkey": key.public_key()}

    def finish(d):
        if not done.done():
            report.update(d)
            done.set_result(None)

    class Auth(ApplicationSession):
        def onConnect(self):
            self.join(realm, authmethods=[method], authid=authid, authextra=extra or None)

        async def onChallenge(self, challenge):
            if challenge.method == "ticket":
                sig = secret
            elif challenge.method == "wampcra":
                k = secret
                if "salt" in challenge.extra:
                    k = auth.derive_key(secret, challenge.extra["salt"], challenge.extra.get("iterations", 1000),
                                        challenge.extra.get("keylen", 32))
                sig = auth.compute_wcs(k, challenge.extra["challenge"])
            elif challenge.method == "cryptosign":
                sig = await key.sign_challenge(challenge)
            else:
                raise RuntimeError("unexpected challenge method %r" % challenge.method)
            if isinstance(sig, bytes):
                sig = sig.decode("ascii")
            report["signature"] = sig
            return sig

        def onJoin(self, details):
            finish({"result": "welcome", "authid": details.authid, "authrole": details.authrole,
                    "authmethod": details.authmethod})
            self.leave()

        def onLeave(self, details):
            if not done.done():
                finish({"result": "abort", "reason": details.reason, "message": details.message or ""})
            self.disconnect()

        def onDisconnect(self):
            finish({"result": "error", "why": "transport closed without WELCOME or ABORT"})

    def make():
        return Auth(ComponentConfig(realm, {}))

    u = urlparse(url)
    if url.startswith("ws://"):
        factory = WampWebSocketClientFactory(make, url=url, serializers=[SERIALIZERS[serializer]()])
    else:
        factory = WampRawSocketClientFactory(make, serializer=SERIALIZERS[serializer]())
    try:
        transport, _ = await loop.create_connection(factory, u.hostname, u.port)
    except Exception as e:
        return {"result": "error", "why": "connect failed: %s" % e}
    try:
        await asyncio.wait_for(asyncio.shield(done), timeout)
    except asyncio.TimeoutError:
        finish({"result": "error", "why": "timeout after %.1fs" % timeout})
    transport.close()
    return report


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("url")
    ap.add_argument("realm")
    ap.add_argument("serializer", choices=sorted(SERIALIZERS))
    ap.add_argument("cases")
    ap.add_argument("--timeout", type=float, default=10.0)
    args = ap.parse_args()
    if not (args.url.startswith("ws://") or args.url.startswith("rs://")):
        print("usage: URL must be rs://host:port or ws://host:port/path", file=sys.stderr)
        return 2
    if args.url.startswith("rs://"):
        args.url = "tcp://" + args.url[len("rs://"):]
    cases = json.loads(args.cases)
    txaio.start_logging(level="critical", out=sys.stderr)
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    loop.set_exception_handler(lambda _loop, _ctx: None)
    rc = 0
    for i, case in enumerate(cases):
        rep = loop.run_until_complete(attempt(loop, args.url, args.realm, args.serializer, case, args.timeout))
        rep["case"] = i
        if rep.get("result") not in ("welcome", "abort"):
            rc = 1
        out(rep)
    return rc


if __name__ == "__main__":
    sys.exit(main())
