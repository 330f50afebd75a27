#!/usr/bin/python3
"""WebSocket peer on AutobahnPython (Debian python3-autobahn 22.7.1, asyncio), for sensorbridge's interop tests.

usage: ws_peer.py URL REALM SER ROLE N URI [--timeout S]
  URL   ws://127.0.0.1:PORT/ws     SER  json | msgpack
  ROLE  callee      register URI(a, b) -> a + b; answer N calls, then leave
        caller      call URI(i+2, 3) for i = 0..N-1, check each result is i+5
        subscriber  subscribe URI; expect N events in order with args [i], kwargs {seq: i}
        publisher   N acknowledged publishes to URI with args [i], kwargs {seq: i}
Prints READY when registered/subscribed/joined and ends with "OK ..." or "FAIL ..." (exit 0 / 1; 2 usage).
"""
import argparse
import asyncio
import sys
from urllib.parse import urlparse

import txaio

txaio.use_asyncio()

from autobahn.asyncio.wamp import ApplicationSession  # noqa: E402
from autobahn.asyncio.websocket import WampWebSocketClientFactory  # noqa: E402
from autobahn.wamp import serializer as ser  # noqa: E402
from autobahn.wamp.exception import ApplicationError  # noqa: E402
from autobahn.wamp.types import ComponentConfig, PublishOptions  # noqa: E402

SERIALIZERS = {"json": ser.JsonSerializer, "msgpack": ser.MsgPackSerializer}
ROLES = ("callee", "caller", "subscriber", "publisher")


def out(*a):
    print(*a, flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("url")
    ap.add_argument("realm")
    ap.add_argument("serializer", choices=sorted(SERIALIZERS))
    ap.add_argument("role", choices=ROLES)
    ap.add_argument("n", type=int)
    ap.add_argument("uri")
    ap.add_argument("--timeout", type=float, default=15.0)
    args = ap.parse_args()
    u = urlparse(args.url)
    if u.scheme != "ws" or not u.port:
        out("FAIL usage: want ws://host:port/path")
        return 2

    txaio.start_logging(level="warn", out=sys.stderr)
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    done = loop.create_future()
    gone = loop.create_future()
    state = {"why": "", "session": None}
    role, n, uri = args.role, args.n, args.uri

    def finish(rc, why):
        if not done.done():
            state["why"] = why
            done.set_result(rc)

    class Peer(ApplicationSession):
        async def onJoin(self, details):
            state["session"] = self
            try:
                await self.run_role()
            except ApplicationError as e:
                finish(1, "ApplicationError: %s %s" % (e.error, list(e.args)))
            except Exception as e:
                finish(1, "%s: %s" % (type(e).__name__, e))

        async def run_role(self):
            if role == "callee":
                calls = {"n": 0}

                def add2(a, b):
                    calls["n"] += 1
                    if calls["n"] >= n:
                        loop.call_later(0.05, finish, 0, "answered %d calls" % calls["n"])
                    return a + b

                await self.register(add2, uri)
                out("READY")
            elif role == "caller":
                out("READY")
                for i in range(n):
                    res = await self.call(uri, i + 2, 3)
                    if res != i + 5:
                        finish(1, "call %d returned %r, want %d" % (i, res, i + 5))
                        return
                finish(0, "%d calls" % n)
            elif role == "subscriber":
                got = {"n": 0}

                def on_event(*a, **kw):
                    i = got["n"]
                    if list(a) != [i] or kw != {"seq": i}:
                        finish(1, "event #%d has args=%r kwargs=%r" % (i, list(a), kw))
                        return
                    got["n"] += 1
                    if got["n"] >= n:
                        finish(0, "received %d events" % n)

                await self.subscribe(on_event, uri)
                out("READY")
            else:
                out("READY")
                for i in range(n):
                    await self.publish(uri, i, seq=i, options=PublishOptions(acknowledge=True))
                finish(0, "published %d" % n)

        def onLeave(self, details):
            finish(1, "session left: %s %s" % (details.reason, details.message or ""))
            state["session"] = None
            self.disconnect()

        def onDisconnect(self):
            finish(1, "transport disconnected")
            if not gone.done():
                gone.set_result(None)

    factory = WampWebSocketClientFactory(lambda: Peer(ComponentConfig(args.realm, {})), url=args.url,
                                         serializers=[SERIALIZERS[args.serializer]()])

    async def connect():
        try:
            await loop.create_connection(factory, u.hostname, u.port)
        except Exception as e:
            finish(1, "connect failed: %s" % e)

    loop.create_task(connect())
    loop.call_later(args.timeout, finish, 1, "timeout after %.1fs" % args.timeout)
    rc = loop.run_until_complete(done)
    out("OK" if rc == 0 else "FAIL", state["why"])
    sess = state["session"]
    try:
        if sess is not None and sess.is_attached():
            sess.leave()
            loop.run_until_complete(asyncio.wait_for(asyncio.shield(gone), 1.0))
    except Exception:
        pass
    return rc


if __name__ == "__main__":
    sys.exit(main())
