#!/usr/bin/python3
"""An independent WAMP peer for the Yun example: AutobahnPython (Debian python3-autobahn, asyncio) over
RawSocket with MessagePack, on a Unix socket.

usage: autobahn_yun.py SOCKET_PATH

Joins realm1, waits for one `temperature` event, calls light.set(True) and light.get(), and prints one
JSON line {"temperature": t, "set": s, "get": g}. Exit status 0 on success, 1 on any failure or after 20 s.
"""
import asyncio
import json
import sys

import txaio

txaio.use_asyncio()

from autobahn.asyncio import rawsocket as aio_rs  # noqa: E402
from autobahn.asyncio.rawsocket import WampRawSocketClientFactory  # noqa: E402
from autobahn.asyncio.wamp import ApplicationSession  # noqa: E402
from autobahn.wamp.serializer import MsgPackSerializer  # noqa: E402
from autobahn.wamp.types import ComponentConfig  # noqa: E402

# AutobahnPython 22.7.1's asyncio RawSocket protocol lacks transport_details and fails on WELCOME
# (fixed upstream in 22.8): give it the property.
if not hasattr(aio_rs.PrefixProtocol, "transport_details"):
    aio_rs.PrefixProtocol.transport_details = property(lambda self: getattr(self, "_transport_details", None))


def main():
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    done = loop.create_future()

    def finish(result):
        if not done.done():
            done.set_result(result)

    class Peer(ApplicationSession):
        async def onJoin(self, details):
            try:
                got = loop.create_future()
                await self.subscribe(lambda t, *a, **kw: got.done() or got.set_result(t), "temperature")
                temperature = await asyncio.wait_for(got, 10)
                on = await self.call("light.set", True)
                state = await self.call("light.get")
                finish({"temperature": temperature, "set": on, "get": state})
            except Exception as e:  # ApplicationError, TransportLost, timeout
                finish("%s: %s" % (type(e).__name__, e))
            self.leave()

        def onDisconnect(self):
            finish("transport disconnected")

    factory = WampRawSocketClientFactory(lambda: Peer(ComponentConfig("realm1", {})), serializer=MsgPackSerializer())

    async def connect():
        try:
            await loop.create_unix_connection(factory, sys.argv[1])
        except Exception as e:
            finish("connect failed: %s" % e)

    loop.create_task(connect())
    loop.call_later(20, finish, "timeout after 20 s")
    result = loop.run_until_complete(done)
    loop.run_until_complete(asyncio.sleep(0.1))  # let GOODBYE out
    if isinstance(result, dict):
        print(json.dumps(result), flush=True)
        return 0
    print("FAIL " + result, file=sys.stderr, flush=True)
    return 1


if __name__ == "__main__":
    sys.exit(main())
