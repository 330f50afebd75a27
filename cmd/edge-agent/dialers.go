package main

import (
	"context"
	"net/url"

	"github.com/edgewamp/edgewamp/device"
	"github.com/edgewamp/edgewamp/serialtransport"
	"github.com/edgewamp/edgewamp/wamp"
)

// dialers are the transports edge-agent adds to the device client's own
// (rs, rss, tcp, unix): serial:// links to a gateway over a UART, e.g.
// serial:///dev/ttyUSB0?baud=115200. WebSocket is left out on purpose: it
// links net/http (about 1.6 MB on arm).
var dialers = map[string]device.DialFunc{
	"serial": func(ctx context.Context, u *url.URL, cfg *device.Config) (wamp.Transport, error) {
		q := u.Query()
		if q.Get("serializer") == "" && cfg != nil && cfg.Serializer != "" {
			q.Set("serializer", cfg.Serializer)
			u2 := *u
			u2.RawQuery = q.Encode()
			u = &u2
		}
		return serialtransport.DialURL(ctx, u, serialtransport.Config{})
	},
}
