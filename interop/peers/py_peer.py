#!/usr/bin/python3
"""Interop peer on AutobahnPython (Debian python3-autobahn 22.7.1, asyncio) over RawSocket or WebSocket.

Run it with /usr/bin/python3 (Debian's interpreter, where python3-autobahn lives).

usage: py_peer.py URL REALM SERIALIZER ROLE [N] [--timeout S] [--uri URI] [--cafile PEM]

  URL         rs://host:port (RawSocket over TCP) | unix:///path or unix:/path (RawSocket over a Unix socket)
              | ws://host:port/path (WebSocket) | rss://host:port, wss://host:port/path (the same over TLS)
  REALM       e.g. realm1
  SERIALIZER  json | msgpack | cbor (cbor needs python3-cbor2)
  ROLE        callee      register com.example.add2(a, b) -> a + b, answer N calls, then leave
              caller      call com.example.add2(i+2, 3) for i = 0..N-1, check each result is i+5
              subscriber  subscribe com.example.topic, expect N events in order with args [i], kwargs {seq: i}
              publisher   N acknowledged publishes to com.example.topic with args [i], kwargs {seq: i}
              revoked-callee, revoked-subscriber  register com.example.add2 (subscribe com.example.topic) and
                          com.example.add2.alive; end OK when .alive is called (the test revokes the first)
  N           default 5
  --timeout   seconds for the whole run, default 15
  --cafile    PEM file of the CAs the router's TLS certificate is verified against (default: the system's)

Prints "READY" once registered/subscribed (callee, subscriber) or joined (caller, publisher), and ends with a
line "OK ..." or "FAIL ...". Exit status: 0 ok, 1 failure, 2 usage.
"""
import argparse
import asyncio
import ssl
import sys
from urllib.parse import urlparse

import txaio

txaio.use_asyncio()

from autobahn.asyncio import rawsocket as _aio_rs  # noqa: E402
from autobahn.asyncio.rawsocket import WampRawSocketClientFactory  # noqa: E402
from autobahn.asyncio.wamp import ApplicationSession  # noqa: E402
from autobahn.asyncio.websocket import WampWebSocketClientFactory  # noqa: E402
from autobahn.wamp import serializer as ser  # noqa: E402
from autobahn.wamp.exception import ApplicationError  # noqa: E402
from autobahn.wamp.types import ComponentConfig, PublishOptions  # noqa: E402

# AutobahnPython 22.7.1 (Debian bookworm): the asyncio RawSocket protocol lacks `transport_details`, so every
# asyncio RawSocket client crashes when WELCOME arrives (crossbario/autobahn-python#1592, fixed upstream in
# 22.8). Patch the property in at import time.
if not hasattr(_aio_rs.PrefixProtocol, "transport_details"):
    _aio_rs.PrefixProtocol.transport_details = property(lambda self: getattr(self, "_transport_details", None))

PROC = "com.example.add2"
TOPIC = "com.example.topic"
SERIALIZERS = {"json": ser.JsonSerializer, "msgpack": ser.MsgPackSerializer, "cbor": ser.CBORSerializer}
ROLES = ("callee", "caller", "subscriber", "publisher", "revoked-callee", "revoked-subscriber")


def out(*a):
    print(*a, flush=True)


def parse_url(url):
    """Returns ("tcp" or "rss", host, port), ("unix", path, None) or ("ws" or "wss", host, port); raises ValueError."""
    if url.startswith(("ws://", "wss://")):
        u = urlparse(url)
        if not u.hostname or not u.port:
            raise ValueError("bad %s:// url %r (want %s://host:port/path)" % (u.scheme, url, u.scheme))
        return u.scheme, u.hostname, u.port
    if url.startswith(("rs://", "rss://")):
        scheme, _, hostport = url.partition("://")
        host, sep, port = hostport.rstrip("/").rpartition(":")
        if not sep or not port.isdigit():
            raise ValueError("bad %s:// url %r (want %s://host:port)" % (scheme, url, scheme))
        return {"rs": "tcp"}.get(scheme, scheme), host.strip("[]"), int(port)
    if url.startswith("unix:"):
        path = url[len("unix:"):]
        if path.startswith("//"):
            path = path[2:]
        if not path:
            raise ValueError("bad unix url %r" % url)
        return "unix", path, None
    raise ValueError("unsupported url %r (want rs[s]://host:port, unix:///path or ws[s]://host:port/path)" % url)


def main():
    global PROC, TOPIC
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("url")
    ap.add_argument("realm")
    ap.add_argument("serializer", choices=sorted(SERIALIZERS))
    ap.add_argument("role", choices=ROLES)
    ap.add_argument("n", nargs="?", type=int, default=5)
    ap.add_argument("--timeout", type=float, default=15.0)
    ap.add_argument("--uri", help="the procedure or topic instead of com.example.add2 / com.example.topic")
    ap.add_argument("--cafile", help="PEM file of the CAs the router's TLS certificate is verified against")
    args = ap.parse_args()
    if args.uri:
        PROC = TOPIC = args.uri
    if args.n < 1:
        ap.error("N must be >= 1")
    try:
        kind, host, port = parse_url(args.url)
    except ValueError as e:
        out("FAIL usage:", e)
        return 2

    txaio.start_logging(level="warn", out=sys.stderr)
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    done = loop.create_future()
    gone = loop.create_future()
    state = {"why": "", "session": None}
    role, n = args.role, args.n

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
                finish(1, "ApplicationError: %s %s %s" % (e.error, list(e.args), e.kwargs or ""))
            except Exception as e:  # TransportLost, ...
                finish(1, "%s: %s" % (type(e).__name__, e))

        async def run_role(self):
            if role == "callee":
                calls = {"n": 0}

                def add2(a, b):
                    calls["n"] += 1
                    if calls["n"] >= n:
                        # let the YIELD go out first
                        loop.call_later(0.05, finish, 0, "answered %d calls" % calls["n"])
                    return a + b

                await self.register(add2, PROC)
                out("READY")
            elif role in ("revoked-callee", "revoked-subscriber"):
                # Registers PROC and PROC.alive; the router takes PROC away (remove_callee). AutobahnPython
                # 22.7.1 accepts the UNREGISTERED [0, {registration, reason}] without surfacing it (it only
                # logs at debug level and keeps its Registration active: wamp/protocol.py), so what shows is
                # that the session survives it: PROC.alive still answers, and PROC is no longer called.
                def revoked(a, b):
                    finish(1, "the revoked procedure was called")

                def alive():
                    loop.call_later(0.05, finish, 0, "alive after the revocation (not surfaced by AutobahnPython)")
                    return "alive"

                if role == "revoked-callee":
                    await self.register(revoked, PROC)
                else:
                    # AutobahnPython 22.7.1 raises ProtocolError on UNSUBSCRIBED [0, ...] (it looks the request
                    # up among its own UNSUBSCRIBEs) and drops the connection, although it announces
                    # subscription_revocation: this role fails against a router that revokes.
                    await self.subscribe(lambda *a, **kw: finish(1, "an event of the revoked subscription arrived"), TOPIC)
                await self.register(alive, PROC + ".alive")
                out("READY")
            elif role == "caller":
                out("READY")
                for i in range(n):
                    res = await self.call(PROC, i + 2, 3)
                    if res != i + 5:
                        finish(1, "add2(%d, 3) returned %r, want %d" % (i + 2, res, i + 5))
                        return
                finish(0, "%d calls" % n)
            elif role == "subscriber":
                got = {"n": 0}

                def on_event(*a, **kw):
                    i = got["n"]
                    if list(a) != [i] or kw != {"seq": i}:
                        finish(1, "event #%d has args=%r kwargs=%r, want [%d] {seq: %d}" % (i, list(a), kw, i, i))
                        return
                    got["n"] += 1
                    if got["n"] >= n:
                        finish(0, "received %d events" % n)

                await self.subscribe(on_event, TOPIC)
                out("READY")
            else:
                out("READY")
                for i in range(n):
                    await self.publish(TOPIC, i, seq=i, options=PublishOptions(acknowledge=True))
                finish(0, "published %d" % n)

        def onLeave(self, details):
            finish(1, "session left: %s %s" % (details.reason, details.message or ""))
            state["session"] = None
            self.disconnect()

        def onDisconnect(self):
            finish(1, "transport disconnected")
            if not gone.done():
                gone.set_result(None)

    if kind in ("ws", "wss"):
        factory = WampWebSocketClientFactory(lambda: Peer(ComponentConfig(args.realm, {})), url=args.url,
                                             serializers=[SERIALIZERS[args.serializer]()])
    else:
        factory = WampRawSocketClientFactory(lambda: Peer(ComponentConfig(args.realm, {})),
                                             serializer=SERIALIZERS[args.serializer]())
    base = factory.protocol

    class Proto(base):
        # report a connection that dies before a session exists (e.g. a refused handshake)
        def connection_lost(self, exc):
            try:
                super().connection_lost(exc)
            finally:
                finish(1, "connection lost%s" % (": %s" % exc if exc else ""))

    factory.protocol = Proto
    if kind in ("tcp", "ws"):
        coro = loop.create_connection(factory, host, port)
    elif kind in ("rss", "wss"):  # verifies the certificate and that it names host
        coro = loop.create_connection(factory, host, port, ssl=ssl.create_default_context(cafile=args.cafile))
    else:
        coro = loop.create_unix_connection(factory, host)

    async def connect():
        try:
            await coro
        except Exception as e:
            finish(1, "connect failed: %s" % e)

    loop.create_task(connect())
    loop.call_later(args.timeout, finish, 1, "timeout after %.1fs" % args.timeout)
    try:
        rc = loop.run_until_complete(done)
    except KeyboardInterrupt:
        rc, state["why"] = 1, "interrupted"
    out("OK" if rc == 0 else "FAIL", state["why"])
    # leave politely (GOODBYE), wait briefly for the close, then cancel what is left
    sess = state["session"]
    try:
        if sess is not None and sess.is_attached():
            sess.leave()
            loop.run_until_complete(asyncio.wait_for(asyncio.shield(gone), 1.0))
    except Exception:
        pass
    loop.set_exception_handler(lambda _loop, _ctx: None)  # shutdown noise (cancelled calls)
    pending = [t for t in asyncio.all_tasks(loop) if not t.done()]
    for t in pending:
        t.cancel()
    if pending:
        loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
    return rc


if __name__ == "__main__":
    sys.exit(main())
