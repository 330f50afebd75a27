"""Advanced-profile interop peer on AutobahnPython (Debian python3-autobahn 22.7.1, asyncio, WebSocket, JSON).

usage: py_advanced.py URL REALM MODE
  history  subscribe to hist.temp, call wamp.subscription.get_events(subscription, 2) and then with
           {"reverse": true}; print each result's args as JSON lines "EVENTS [...]", then OK
  codec    publish to sensor.temp with a cryptobox payload codec (AutobahnPython's own end-to-end encryption,
           the pre-passthru "payload transparency" draft: options enc_algo/enc_serializer and the payload as a
           bare binary element); print what the router answered, then OK or FAIL
Prints OK ... or FAIL ...; exit status 0 or 1.
"""
import asyncio
import json
import sys
import types

import txaio

txaio.use_asyncio()

from autobahn.asyncio.wamp import ApplicationSession  # noqa: E402
from autobahn.asyncio.websocket import WampWebSocketClientFactory  # noqa: E402
from autobahn.wamp.serializer import JsonSerializer  # noqa: E402
from autobahn.wamp.types import ComponentConfig, PublishOptions  # noqa: E402

url, realm, mode = sys.argv[1:4]
host, port = url.split("//")[1].split("/")[0].split(":")


def out(s):
    print(s, flush=True)


class StringTrie(dict):
    """The part of pytrie.StringTrie that cryptobox's keyring uses."""

    def longest_prefix_value(self, key):
        best = max((k for k in self if key.startswith(k)), key=len, default=None)
        if best is None:
            raise KeyError(key)
        return self[best]


def events(res):
    """The result's Arguments: AutobahnPython gives one argument as itself, several as a CallResult."""
    if hasattr(res, "results"):
        return list(res.results)
    return [] if res is None else [res]


def main():
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    done = loop.create_future()

    def finish(rc, why):
        if not done.done():
            out(("OK " if rc == 0 else "FAIL ") + why)
            done.set_result(rc)

    class Peer(ApplicationSession):
        async def onJoin(self, details):
            try:
                if mode == "history":
                    sub = await self.subscribe(lambda *a, **kw: None, "hist.temp")
                    res = events(await self.call("wamp.subscription.get_events", sub.id, 2))
                    out("EVENTS " + json.dumps([(e["args"], e["subscription"] == sub.id) for e in res]))
                    res = events(await self.call("wamp.subscription.get_events", sub.id, reverse=True))
                    out("EVENTS " + json.dumps([e["args"] for e in res]))
                    finish(0, "history")
                else:
                    # Debian does not package pytrie, which cryptobox's keyring imports
                    sys.modules.setdefault("pytrie", types.SimpleNamespace(StringTrie=StringTrie))
                    from autobahn.wamp import cryptobox
                    ring = cryptobox.KeyRing()
                    ring.set_key("sensor.", "IhswjuY8hPVgD9LlWdI3fuA9zlqcVKx9XJuq0RVRogM=")
                    self.set_payload_codec(ring)
                    await self.publish("sensor.temp", 21.5, options=PublishOptions(acknowledge=True))
                    finish(0, "encrypted publish acknowledged")
            except Exception as e:
                finish(1, "%s: %s" % (type(e).__name__, e))

        def onLeave(self, details):
            finish(1, "session left: %s %s" % (details.reason, details.message or ""))
            self.disconnect()

    factory = WampWebSocketClientFactory(lambda: Peer(ComponentConfig(realm, {})), url=url,
                                         serializers=[JsonSerializer()])
    loop.run_until_complete(loop.create_connection(factory, host, int(port)))
    try:
        rc = loop.run_until_complete(asyncio.wait_for(done, 15))
    except asyncio.TimeoutError:
        out("FAIL timeout")
        rc = 1
    sys.exit(rc)


main()
