package main

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/edgewamp/edgewamp/wamp"
	"github.com/edgewamp/edgewamp/wstransport"
)

// The WebSocket attackers of TestHostileInput.

// Sizes of the WebSocket attack.
const (
	wsStalledRequests = 100 // HTTP requests whose headers never end
	wsNotUpgrades     = 100 // plain GETs on the WebSocket path
	wsSilentSessions  = 100 // upgraded connections that never send HELLO
)

// wsMalformedCases are sent, each on its own WebSocket connection (JSON), before HELLO or after WELCOME.
var wsMalformedCases = []malformedCase{
	{"not JSON", jsonSer, false, []byte("hello, router")},
	{"WELCOME from a client", jsonSer, false, []byte(`[2, 1, {}]`)},
	{"realm not a string", jsonSer, false, []byte(`[1, 5, {"roles": {"caller": {}}}]`)},
	{"garbage in session", jsonSer, true, []byte("\x00\xff garbage")},
	{"EVENT from a client", jsonSer, true, []byte(`[36, 1, 1, {}]`)},
}

// dialWS upgrades a connection, retrying one closed before the upgrade (to make room for newer ones
// from this address) every 20 ms for up to shedWithin, as dial does.
func dialWS(ctx context.Context, addr string) (wamp.Transport, error) {
	return retryShed(ctx, func() (wamp.Transport, error) {
		return wstransport.Dial(ctx, "ws://"+addr+"/ws?serializer=json", wstransport.ClientConfig{})
	})
}

func attackWSStalledRequests(ctx context.Context, addr string) attackResult {
	r := attackResult{name: "WebSocket: stalled HTTP requests"}
	start := time.Now()
	// The request line and one header, never the blank line that ends them.
	slowest, err := stall(ctx, addr, wsStalledRequests, func(int) []byte { return []byte("GET /ws HTTP/1.1\r\nHost: gateway\r\n") })
	r.err = err
	r.summary = fmt.Sprintf("%d requests with unfinished headers, all closed by the server; slowest after %v (handshake_timeout 1s); %v in all",
		wsStalledRequests, slowest.Round(time.Millisecond), time.Since(start).Round(time.Millisecond))
	return r
}

func attackWSNotUpgrades(ctx context.Context, addr string) attackResult {
	r := attackResult{name: "WebSocket: plain GETs"}
	codes := map[int]int{}
	var hc http.Client
	for range wsNotUpgrades {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+"/ws", nil)
		if err != nil {
			r.err = err
			return r
		}
		resp, err := retryShed(ctx, func() (*http.Response, error) { return hc.Do(req) })
		if err != nil {
			r.err = err
			return r
		}
		resp.Body.Close()
		codes[resp.StatusCode]++
	}
	if codes[http.StatusUpgradeRequired] != wsNotUpgrades {
		r.err = fmt.Errorf("status codes %v, want %d × 426", codes, wsNotUpgrades)
	}
	r.summary = fmt.Sprintf("%d requests without an upgrade: HTTP status %v", wsNotUpgrades, codes)
	return r
}

func attackWSSilentSessions(ctx context.Context, addr string) attackResult {
	return silent("WebSocket: upgrade, no HELLO", wsSilentSessions, func() (wamp.Transport, error) { return dialWS(ctx, addr) })
}

func attackWSMalformed(ctx context.Context, addr string) attackResult {
	return sendMalformed("WebSocket: malformed messages", wsMalformedCases, func(wamp.Serializer) (wamp.Transport, error) {
		return dialWS(ctx, addr)
	})
}
