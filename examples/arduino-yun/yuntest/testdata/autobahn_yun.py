#!/usr/bin/python3
"""An independent WAMP peer for the Yun example's light sketch: AutobahnPython (abpeer.py).

usage: autobahn_yun.py SOCKET_PATH

Joins realm1, waits for one `temperature` event, calls light.set(True) and light.get(), and prints one
JSON line {"temperature": t, "set": s, "get": g}. Exit status 0 on success, 1 on any failure or after 20 s.
"""
import asyncio
import sys

import abpeer


async def work(session, loop):
    got = loop.create_future()
    await session.subscribe(lambda t, *a, **kw: got.done() or got.set_result(t), "temperature")
    temperature = await asyncio.wait_for(got, 10)
    on = await session.call("light.set", True)
    state = await session.call("light.get")
    return {"temperature": temperature, "set": on, "get": state}


if __name__ == "__main__":
    sys.exit(abpeer.run(work, __doc__, 20))
