package wstransport

import (
	"context"
	"fmt"
	"net/url"

	"github.com/edgewamp/edgewamp/device"
	"github.com/edgewamp/edgewamp/wamp"
)

// DeviceDialer returns a [device.DialFunc] for ws:// and wss:// URLs, to plug
// WebSocket into a device client (the device package never imports this one):
//
//	cfg.Dialers = map[string]device.DialFunc{"ws": wstransport.DeviceDialer(wstransport.ClientConfig{}), "wss": ...}
//
// or simply cfg.Dialers = wstransport.DeviceDialers(base). The serializer is
// the one the device asks for (the URL's serializer=json|msgpack query, else
// device.Config.Serializer), else base.Serializer, else JSON; wss:// uses
// device.Config.TLS when base.TLS is nil. The URL is dialled as given (the
// serializer query parameter is sent along; routers ignore it). base is
// copied; the returned function is safe for concurrent use.
func DeviceDialer(base ClientConfig) device.DialFunc {
	return func(ctx context.Context, u *url.URL, cfg *device.Config) (wamp.Transport, error) {
		cc := base
		if cfg != nil {
			if cfg.Serializer != "" {
				s, ok := wamp.SerializerByName(cfg.Serializer)
				if !ok {
					return nil, fmt.Errorf("wstransport: unknown serializer %q: %w", cfg.Serializer, ErrSubprotocol)
				}
				cc.Serializer = s
			}
			if cc.TLS == nil {
				cc.TLS = cfg.TLS
			}
		}
		c, err := Dial(ctx, u.String(), cc)
		if err != nil {
			return nil, err
		}
		return c, nil
	}
}

// DeviceDialers returns a fresh map with DeviceDialer(base) for "ws" and
// "wss", ready for device.Config.Dialers. Safe for concurrent use.
func DeviceDialers(base ClientConfig) map[string]device.DialFunc {
	d := DeviceDialer(base)
	return map[string]device.DialFunc{"ws": d, "wss": d}
}
