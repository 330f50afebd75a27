package minirouter

import (
	"context"
	"fmt"
	"net"

	"github.com/edgewamp/edgewamp/rawsocket"
)

// ServeConn runs the RawSocket server handshake on nc (bounded by
// Config.RawSocket.HandshakeTimeout and ctx, and aborted by Shutdown or
// Close), then serves the session as [Router.ServeTransport] does. It
// closes nc before returning. Safe for concurrent use.
func (r *Router) ServeConn(ctx context.Context, nc net.Conn) error {
	hctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stop := context.AfterFunc(r.ctx, cancel)
	t, err := rawsocket.Server(hctx, nc, r.cfg.RawSocket)
	stop()
	if err != nil {
		nc.Close()
		r.stats.handshakeFailures.Add(1)
		r.log.Debug("rawsocket handshake failed", "remote", nc.RemoteAddr().String(), "err", err)
		return fmt.Errorf("minirouter: %w", err)
	}
	return r.ServeTransport(ctx, t)
}

// Serve accepts RawSocket connections on l and serves each in its own
// goroutine. Handshakes run concurrently, each under
// Config.RawSocket.HandshakeTimeout, at most Config.MaxPendingHandshakes at
// a time, and at most Config.MaxConnsPerSource connections from one address
// at once: a connection beyond is answered with RawSocket error code 4
// (connection limit) and counted in Stats.HandshakeFailures. Temporary
// accept errors are retried with a backoff. Serve returns
// [ErrRouterClosed] after Shutdown or Close (which close l), and the accept
// error when l fails otherwise (for example when the caller closes it).
// Safe for concurrent use; one router may serve several listeners.
func (r *Router) Serve(l net.Listener) error {
	rl := rawsocket.NewListener(l, rawsocket.ListenConfig{ServerConfig: r.cfg.RawSocket,
		MaxPendingHandshakes: r.cfg.MaxPendingHandshakes, MaxConnectionsPerSource: r.cfg.MaxConnsPerSource,
		LimitLocalSources: r.cfg.LimitLocal})
	r.mu.Lock()
	if r.stopping {
		r.mu.Unlock()
		rl.Close()
		return ErrRouterClosed
	}
	r.listeners[l] = struct{}{}
	r.rsListeners[rl] = struct{}{}
	r.mu.Unlock()
	defer func() {
		rl.Close()
		st := rl.Stats()
		r.mu.Lock()
		delete(r.listeners, l)
		delete(r.rsListeners, rl)
		r.stats.handshakeFailures.Add(st.HandshakeFailed + st.Refused)
		r.mu.Unlock()
	}()
	for {
		t, err := rl.Accept()
		if err != nil {
			if r.ctx.Err() != nil {
				return ErrRouterClosed
			}
			return fmt.Errorf("minirouter: %w", err)
		}
		if r.ctx.Err() != nil {
			t.Close()
			return ErrRouterClosed
		}
		r.Attach(context.Background(), t, nil)
	}
}
