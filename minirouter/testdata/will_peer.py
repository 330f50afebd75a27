#!/usr/bin/python3
"""AutobahnPython (asyncio, RawSocket over TCP, MessagePack) peer for the testament and retention tests.

usage: will_peer.py HOST PORT will|retained|meta
       will_peer.py HOST PORT tls CA_FILE CERT_FILE KEY_FILE

  will      join realm1, call wamp.session.add_testament("device.gone", ["dev-1 lost"], {"why": "power"}),
            publish 21.5 to sensor.temp with retain=True (acknowledged), print READY and wait to be killed
  retained  join realm1, subscribe to sensor.temp with get_retained=True, print "EVENT <arg> retained=<bool>"
            for the first event and leave
  tls       over TLS (verifying the router with CA_FILE, presenting the client certificate CERT_FILE/KEY_FILE),
            join realm "site" with authmethods ["tls"] and print "TLS <authid> <authrole> <authmethod>" from WELCOME
  meta      join realm1, register com.example.meta, and print "META <count> <uri> <callees> <mine>": the
            wamp.session.count, the uri of wamp.registration.get(wamp.registration.lookup(...)), its
            wamp.registration.count_callees, and whether wamp.session.get of its own session gives its id

Ends with a line "OK ..." or "FAIL ...". Run it with /usr/bin/python3 (Debian's python3-autobahn).
"""
import asyncio
import ssl
import sys

import txaio

txaio.use_asyncio()

from autobahn.asyncio import rawsocket as _aio_rs  # noqa: E402
from autobahn.asyncio.rawsocket import WampRawSocketClientFactory  # noqa: E402
from autobahn.asyncio.wamp import ApplicationSession  # noqa: E402
from autobahn.wamp.serializer import MsgPackSerializer  # noqa: E402
from autobahn.wamp.types import ComponentConfig, PublishOptions, SubscribeOptions  # noqa: E402

# Debian's AutobahnPython 22.7.1 lacks transport_details on asyncio RawSocket (fixed upstream in 22.8).
if not hasattr(_aio_rs.PrefixProtocol, "transport_details"):
    _aio_rs.PrefixProtocol.transport_details = property(lambda self: getattr(self, "_transport_details", None))


def out(*a):
    print(*a, flush=True)


def main():
    host, port, role = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    done = loop.create_future()

    def finish(ok, why):
        if not done.done():
            done.set_result((ok, why))

    class Peer(ApplicationSession):
        def onConnect(self):
            if role == "tls":
                self.join("site", authmethods=["tls"])
            else:
                super().onConnect()

        async def onJoin(self, details):
            try:
                if role == "tls":
                    out("TLS %s %s %s" % (details.authid, details.authrole, details.authmethod))
                    finish(True, "joined by client certificate")
                    return
                if role == "will":
                    await self.call("wamp.session.add_testament", "device.gone", ["dev-1 lost"], {"why": "power"})
                    await self.publish("sensor.temp", 21.5, options=PublishOptions(retain=True, acknowledge=True))
                    out("READY")
                    return  # wait to be killed
                if role == "meta":
                    await self.register(lambda: None, "com.example.meta")
                    count = await self.call("wamp.session.count")
                    reg = await self.call("wamp.registration.lookup", "com.example.meta")
                    info = await self.call("wamp.registration.get", reg)
                    callees = await self.call("wamp.registration.count_callees", reg)
                    me = await self.call("wamp.session.get", details.session)
                    out("META %s %s %s %s" % (count, info["uri"], callees, me["session"] == details.session))
                    finish(True, "meta API answered")
                    return
                got = loop.create_future()

                def on_event(temp, details=None):
                    if not got.done():
                        got.set_result((temp, details.retained))

                await self.subscribe(on_event, "sensor.temp",
                                     options=SubscribeOptions(get_retained=True, details_arg="details"))
                temp, retained = await asyncio.wait_for(got, 5)
                out("EVENT %s retained=%s" % (temp, retained))
                finish(True, "got the retained event")
            except Exception as e:
                finish(False, "%s: %s" % (type(e).__name__, e))

        def onLeave(self, details):
            finish(False, "left: %s %s" % (details.reason, details.message))

    factory = WampRawSocketClientFactory(lambda: Peer(ComponentConfig("realm1", {})), serializer=MsgPackSerializer())
    tls = None
    if role == "tls":
        tls = ssl.create_default_context(cafile=sys.argv[4])
        tls.load_cert_chain(sys.argv[5], sys.argv[6])

    async def connect():
        try:
            if tls is not None:
                await loop.create_connection(factory, host, port, ssl=tls, server_hostname=host)
            else:
                await loop.create_connection(factory, host, port)
        except Exception as e:
            finish(False, "connect failed: %s" % e)

    loop.create_task(connect())
    loop.call_later(15, finish, False, "timeout")
    ok, why = loop.run_until_complete(done)
    out("OK" if ok else "FAIL", why)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
