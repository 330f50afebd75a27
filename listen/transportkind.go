package listen

import (
	"context"
	"net/url"

	"github.com/edgewamp/edgewamp/minirouter"
)

// attachContext is the context the listener attaches its sessions with: it
// names their transport by the listener's URL scheme ("tcp" as "rs"), for
// minirouter.SessionInfo.Transport. It carries no cancellation.
func (l *Listener) attachContext() context.Context {
	kind := "serial"
	if u, err := url.Parse(l.url); err == nil && u.Scheme != "" {
		kind = u.Scheme
	}
	if kind == "tcp" {
		kind = "rs"
	}
	return minirouter.WithTransport(context.Background(), kind)
}
