"""Seal or open a payload with AutobahnPython's cryptobox KeyRing.

Usage: cryptobox_peer.py seal|open KEY_B64 URI [HEX_BOX]
  seal: prints the hex box of args [21.5, "celsius"], kwargs {"sensor": 7}
  open: prints the opened (uri, args, kwargs) as JSON

Debian's python3-autobahn 22.7.1 imports pytrie for its keyring (a trie of
URI prefixes), which Debian does not package: without it cryptobox is off
(HAS_CRYPTOBOX False). This peer supplies a minimal StringTrie (exact keys
and longest_prefix_value, all the keyring uses) before importing it.
"""
import json
import sys
import types

try:
    import pytrie  # noqa: F401
except ImportError:
    class StringTrie(dict):
        def longest_prefix_value(self, key):
            best = None
            for k in self:
                if key.startswith(k) and (best is None or len(k) > len(best)):
                    best = k
            if best is None:
                raise KeyError(key)
            return self[best]
    sys.modules["pytrie"] = types.SimpleNamespace(StringTrie=StringTrie)

from autobahn.wamp import cryptobox  # noqa: E402
from autobahn.wamp.types import EncodedPayload  # noqa: E402

if not cryptobox.HAS_CRYPTOBOX:
    print("FAIL cryptobox unavailable")
    sys.exit(2)

mode, key, uri = sys.argv[1], sys.argv[2], sys.argv[3]
ring = cryptobox.KeyRing()
ring.set_key(uri.split(".")[0] + ".", key)
if mode == "seal":
    enc = ring.encode(True, uri, [21.5, "celsius"], {"sensor": 7})
    print(enc.enc_algo, enc.enc_serializer, enc.payload.hex())
else:
    enc = EncodedPayload(bytes.fromhex(sys.argv[4]), "cryptobox", "json")
    u, args, kwargs = ring.decode(False, uri, enc)
    print(json.dumps({"uri": u, "args": args, "kwargs": kwargs}, sort_keys=True))
