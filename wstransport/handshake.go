package wstransport

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/edgewamp/edgewamp/wamp"
)

// subprotocolPrefix starts every WAMP WebSocket subprotocol: "wamp.2.json",
// "wamp.2.msgpack", "wamp.2.cbor".
const subprotocolPrefix = "wamp.2."

// Subprotocol returns the WebSocket subprotocol that carries WAMP with s:
// "wamp.2." followed by s.Name(). It is safe for concurrent use.
func Subprotocol(s wamp.Serializer) string { return subprotocolPrefix + s.Name() }

// offeredSubprotocols returns the subprotocols a client offers, from every
// Sec-WebSocket-Protocol header line (each a comma-separated list).
func offeredSubprotocols(h http.Header) []string {
	var out []string
	for _, line := range h.Values("Sec-WebSocket-Protocol") {
		for p := range strings.SplitSeq(line, ",") {
			if p = strings.TrimSpace(p); p != "" {
				out = append(out, p)
			}
		}
	}
	return out
}

// pickSerializer returns the first serializer of prefs (the server's order of
// preference) whose subprotocol the client offered, or nil. Subprotocol names
// are compared exactly (they are case-sensitive tokens); unknown offers are
// ignored.
func pickSerializer(prefs []wamp.Serializer, offered []string) wamp.Serializer {
	for _, s := range prefs {
		name := Subprotocol(s)
		for _, o := range offered {
			if o == name {
				return s
			}
		}
	}
	return nil
}

// originAllowed applies the server's Origin rule:
//   - a request without an Origin header is accepted (non-browser clients
//     send none; browsers always send one with WebSocket requests);
//   - an Origin whose host (and port) equals the request's Host is accepted
//     (a page served by this same server);
//   - any other Origin is accepted only when allowed contains it (compared
//     case-insensitively, as "scheme://host[:port]") or contains "*".
//
// Origin "null" (sandboxed frames, files) is only accepted through "*".
func originAllowed(origin, host string, allowed []string) bool {
	if origin == "" {
		return true
	}
	origin = strings.TrimSuffix(origin, "/")
	for _, a := range allowed {
		if a == "*" || strings.EqualFold(strings.TrimSuffix(a, "/"), origin) {
			return true
		}
	}
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return false
	}
	return strings.EqualFold(u.Host, host)
}

// isUpgradeRequest reports whether r asks for a WebSocket upgrade.
func isUpgradeRequest(r *http.Request) bool {
	return headerHasToken(r.Header, "Connection", "upgrade") &&
		headerHasToken(r.Header, "Upgrade", "websocket")
}

// headerHasToken reports whether the comma-separated header name contains
// token, case-insensitively.
func headerHasToken(h http.Header, name, token string) bool {
	for _, line := range h.Values(name) {
		for t := range strings.SplitSeq(line, ",") {
			if strings.EqualFold(strings.TrimSpace(t), token) {
				return true
			}
		}
	}
	return false
}
