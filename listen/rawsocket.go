package listen

import (
	"fmt"
	"net"

	"github.com/edgewamp/edgewamp/minirouter"
	"github.com/edgewamp/edgewamp/rawsocket"
)

// serveRaw serves RawSocket on nl until it is closed, through a
// rawsocket.Listener (handshakes concurrent, each under the handshake
// timeout and the pending bounds of l.pending, at most MaxConnections open
// and MaxConnsPerSource from one address; a client beyond either gets
// handshake error code 4), each session attached to r.
func (l *Listener) serveRaw(r *minirouter.Router, nl net.Listener) error {
	rl := rawsocket.NewListener(nl, rawsocket.ListenConfig{ServerConfig: l.cfg.RawSocket,
		MaxPendingHandshakes: l.cfg.MaxPendingHandshakes, MaxPendingPerSource: l.cfg.MaxPendingPerSource,
		MaxConnections:          l.cfg.MaxConnections,
		MaxConnectionsPerSource: l.cfg.MaxConnsPerSource, LimitLocalSources: l.cfg.LimitLocal})
	defer rl.Close()
	if err := l.started(func() { l.rl = rl }); err != nil {
		return err
	}
	ctx := l.attachContext()
	for {
		c, err := rl.Accept()
		if err != nil {
			return fmt.Errorf("listen: %w", err)
		}
		l.counters.active.Add(1)
		// Attach holds no goroutine: an idle session then costs its state
		// alone (see minirouter.Router.Attach). Without a context that
		// can end (ctx only names the transport), nor a fresh callback:
		// either would add to every session's memory.
		r.Attach(ctx, c, l.endedFn)
	}
}

// ended counts a session of this listener that ended with err: how,
// before it is no longer active, so that whoever sees the active count
// back down sees the reason counted too.
func (l *Listener) ended(err error) {
	l.counters.sessionEnded(err)
	l.counters.active.Add(-1)
}
