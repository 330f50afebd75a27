#!/usr/bin/python3
"""An independent WAMP peer for the Yun example's thermostat sketch: AutobahnPython (abpeer.py).

usage: autobahn_thermostat.py SOCKET_PATH

Joins realm1 and provides heater.set(on) -> on, publishes thermostat.setpoint 30 (an integer, retained), waits for
heater.set(True), calls thermostat.get(), publishes thermostat.setpoint 15.5 (a float) and waits for heater.set(False).
Prints one JSON line {"on": [..], "state": [celsius, setpoint, heating], "off": [..]}, where on and off are the
arguments of the heater.set calls seen up to then. Exit status 0 on success, 1 on any failure or after 40 s.
"""
import asyncio
import sys

from autobahn.wamp.types import PublishOptions

import abpeer


async def work(session, loop):
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
        await session.publish("thermostat.setpoint", setpoint, options=PublishOptions(acknowledge=True, retain=True))
        await asyncio.wait_for(waiting[on], 15)
        return list(seen)

    await session.register(heater_set, "heater.set")
    on = await until(True, 30)
    state = await session.call("thermostat.get")
    off = await until(False, 15.5)
    return {"on": on, "state": state, "off": off}


if __name__ == "__main__":
    sys.exit(abpeer.run(work, __doc__, 40))
