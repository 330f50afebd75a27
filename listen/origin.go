package listen

import (
	"sync"
)

// maxLoggedOrigins bounds the refused origins a listener remembers having
// logged: beyond, one more line says that further ones go unlogged, so a
// hostile page or client cycling through origins cannot flood the log nor
// grow the set.
const maxLoggedOrigins = 64

// originLog logs each refused browser origin once, at warn, with the key
// that admits it; the browser itself shows only "closed (1006)".
type originLog struct {
	mu   sync.Mutex          // protects the following
	seen map[string]struct{} // origins logged
	full bool                // the line about further origins is logged
}

// originRefused logs origin's refusal on l, unless it was logged before.
func (l *Listener) originRefused(origin string) {
	if len(origin) > 200 {
		origin = origin[:200] + "..."
	}
	o := &l.origins
	o.mu.Lock()
	_, seen := o.seen[origin]
	first, full := !seen && len(o.seen) < maxLoggedOrigins, o.full
	switch {
	case first:
		if o.seen == nil {
			o.seen = map[string]struct{}{}
		}
		o.seen[origin] = struct{}{}
	case !seen:
		o.full = true
	}
	o.mu.Unlock()
	switch {
	case first:
		l.log.Warn("websocket upgrade refused: origin not allowed", "origin", origin, "listen", l.url,
			"fix", "add the origin to this listener's allowed_origins in the config file")
	case !seen && !full:
		l.log.Warn("websocket upgrade refused: more origins not allowed; they are not logged", "listen", l.url, "logged", maxLoggedOrigins)
	}
}
