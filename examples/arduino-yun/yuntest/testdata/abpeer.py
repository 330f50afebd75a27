"""What the AutobahnPython peers of the Yun example share: AutobahnPython (Debian python3-autobahn, asyncio) over
RawSocket with MessagePack, on a Unix socket; one session, whose onJoin does the peer's work and returns what to print.

run(work, doc, timeout) joins realm1 on the socket named by sys.argv[1], awaits work(session, loop), prints its
result as one JSON line and returns 0; on any failure (or after timeout seconds) it prints FAIL to stderr and
returns 1.
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


def run(work, doc, timeout):
    if len(sys.argv) != 2:
        print(doc, file=sys.stderr)
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
                finish(await work(self, loop))
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
    loop.call_later(timeout, finish, "timeout after %d s" % timeout)
    result = loop.run_until_complete(done)
    loop.run_until_complete(asyncio.sleep(0.1))  # let GOODBYE out
    if isinstance(result, dict):
        print(json.dumps(result), flush=True)
        return 0
    print("FAIL " + result, file=sys.stderr, flush=True)
    return 1
