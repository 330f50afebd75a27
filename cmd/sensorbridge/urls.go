package main

import (
	"fmt"
	"net/url"

	"github.com/edgewamp/edgewamp/listen"
	"github.com/edgewamp/edgewamp/wamp"
)

// uplinkSchemes are the URL schemes of the uplink: RawSocket built in,
// WebSocket plugged in (uplinkConfig's Dialers).
const uplinkSchemes = "rs://host:port, rss://host:port, tcp://host:port, unix:///path, ws://host:port/path, wss://host:port/path"

// checkUplinkURL reports what makes the uplink URL raw, with the serializer
// named, undialable whatever the network does: retrying it would never
// succeed, so sensorbridge refuses to start instead.
func checkUplinkURL(raw, serializer string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("uplink url: %w", err)
	}
	bad := func(format string, args ...any) error {
		return fmt.Errorf("uplink url %q: %s", raw, fmt.Sprintf(format, args...))
	}
	switch u.Scheme {
	case "rs", "rss", "tcp":
		if u.Hostname() == "" || u.Port() == "" {
			return bad("want %s://host:port", u.Scheme)
		}
	case "ws", "wss":
		if u.Hostname() == "" {
			return bad("want %s://host[:port]/path", u.Scheme)
		}
	case "unix":
		if u.Host != "" || u.Path == "" {
			return bad("want unix:///absolute/path")
		}
	default:
		return bad("unsupported scheme %q (want one of %s)", u.Scheme, uplinkSchemes)
	}
	if _, err := (wamp.DialOptions{}).SerializerFor(u, nil); err != nil {
		return bad("%v", err)
	}
	// The serializer key is checked as a ?serializer= parameter would be,
	// so that the message lists the serializers of this build.
	if serializer != "" {
		q := &url.URL{RawQuery: url.Values{"serializer": {serializer}}.Encode()}
		if _, err := (wamp.DialOptions{}).SerializerFor(q, nil); err != nil {
			return fmt.Errorf("uplink serializer: %w", err)
		}
	}
	return nil
}

// checkListeners reports the first listener that cannot be opened as
// configured (see listen.Check), before anything starts.
func checkListeners(specs []listenSpec, lim limitsSpec) error {
	for _, spec := range specs {
		if err := checkListenSpec(spec); err != nil {
			return err
		}
		if err := listen.Check(spec.URL, listenConfig(spec, lim, nil)); err != nil {
			return err
		}
	}
	return nil
}
