#!/usr/bin/python3
"""An independent WAMP peer for the Thermostat example: AutobahnPython (Debian python3-autobahn, asyncio) over
RawSocket with MessagePack, on a Unix socket.

usage: autobahn_thermostat.py SOCKET_PATH

Joins realm1 and provides heater.set(on) -> on, publishes thermostat.setpoint 30 (an integer, retained), waits for
heater.set(True), calls thermostat.get(), publishes thermostat.setpoint 15.5 (a float) and waits for heater.set(False).
Prints one JSON line {"on": [..], "state": [celsius, setpoint, heating], "off": [..]}, where on and off are the
arguments of the heater.set calls seen up to then. Exit status 0 on success, 1 on any failure or after 40 s.
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
from autobahn.wamp.types import ComponentConfig, PublishOptions  # noqa: E402

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
                seen = []
                waiting = {}

                def heater_set(on):
                    seen.append(on)
                    f = waiting.get(on)
                    if f is not None and not f.done():
                        f.set_result(True)
                    return on

                async def until(on, setpoint):
                    waiting[on] = loop.create_future()
                    await self.publish("thermostat.setpoint", setpoint,
                                       options=PublishOptions(acknowledge=True, retain=True))
                    await asyncio.wait_for(waiting[on], 15)
                    return list(seen)

                await self.register(heater_set, "heater.set")
                on = await until(True, 30)
                state = await self.call("thermostat.get")
                off = await until(False, 15.5)
                finish({"on": on, "state": state, "off": off})
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
    loop.call_later(40, finish, "timeout after 40 s")
    result = loop.run_until_complete(done)
    loop.run_until_complete(asyncio.sleep(0.1))  # let GOODBYE out
    if isinstance(result, dict):
        print(json.dumps(result), flush=True)
        return 0
    print("FAIL " + result, file=sys.stderr, flush=True)
    return 1


if __name__ == "__main__":
    sys.exit(main())
