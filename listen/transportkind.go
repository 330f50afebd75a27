package listen

import (
	"context"
	"net/url"

	"github.com/edgewamp/edgewamp/minirouter"
)

// attachContext is the context the listener attaches its sessions with: it
// names their transport for minirouter.SessionInfo.Transport by the
// listener's URL scheme ("rs", "rss", "unix", "ws", "wss", "uni",
// "serial"; "tcp" as "rs"), or by its kind where it has no URL (Serve). It
// carries no cancellation.
func (l *Listener) attachContext() context.Context {
	kind := "rs"
	switch l.kind {
	case KindWebSocket:
		kind = "ws"
	case KindUni:
		kind = "uni"
	case KindSerial:
		kind = "serial"
	}
	if u, err := url.Parse(l.url); err == nil && u.Scheme != "" && u.Scheme != "tcp" && l.kind != KindSerial {
		kind = u.Scheme
	}
	return minirouter.WithTransport(context.Background(), kind)
}
