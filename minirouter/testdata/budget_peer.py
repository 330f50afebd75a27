#!/usr/bin/python3
"""AutobahnPython (asyncio, RawSocket over TCP, MessagePack) peer for the budget interop test.

usage: budget_peer.py HOST PORT

Joins realm1 and meets the router's budgets: a SUBSCRIBE, a REGISTER and an acknowledged PUBLISH of a 2,000-octet
URI, and a wamp.session.add_testament of 100,000 bytes; prints one line per answer ("subscribe
wamp.error.invalid_uri", ...) then "OK" and leaves, or "FAIL ...". Run it with /usr/bin/python3.
"""
import asyncio
import sys

import txaio

txaio.use_asyncio()

from autobahn.asyncio import rawsocket as _aio_rs  # noqa: E402
from autobahn.asyncio.rawsocket import WampRawSocketClientFactory  # noqa: E402
from autobahn.asyncio.wamp import ApplicationSession  # noqa: E402
from autobahn.wamp.exception import ApplicationError  # noqa: E402
from autobahn.wamp.serializer import MsgPackSerializer  # noqa: E402
from autobahn.wamp.types import ComponentConfig, PublishOptions  # noqa: E402

if not hasattr(_aio_rs.PrefixProtocol, "transport_details"):
    _aio_rs.PrefixProtocol.transport_details = property(lambda self: getattr(self, "_transport_details", None))


def out(*a):
    print(*a, flush=True)


def main():
    host, port = sys.argv[1], int(sys.argv[2])
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    done = loop.create_future()
    long_uri = "com.example." + "x" * (2000 - len("com.example."))

    class Peer(ApplicationSession):
        async def onJoin(self, details):
            steps = [
                ("subscribe", lambda: self.subscribe(lambda *a: None, long_uri)),
                ("register", lambda: self.register(lambda *a: None, long_uri)),
                ("publish", lambda: self.publish(long_uri, 1, options=PublishOptions(acknowledge=True))),
                ("add_testament", lambda: self.call("wamp.session.add_testament", "com.example.will", ["w" * 100000], {})),
            ]
            try:
                for name, step in steps:
                    try:
                        await step()
                        out(name, "accepted")
                    except ApplicationError as e:
                        out(name, e.error)
                out("OK")
            except Exception as e:  # noqa: BLE001
                out("FAIL", repr(e))
            self.leave()

        def onDisconnect(self):
            if not done.done():
                done.set_result(True)

    factory = WampRawSocketClientFactory(lambda: Peer(ComponentConfig("realm1")), serializer=MsgPackSerializer())
    loop.run_until_complete(loop.create_connection(factory, host, port))
    loop.run_until_complete(asyncio.wait_for(done, 20))


if __name__ == "__main__":
    main()
