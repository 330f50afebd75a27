package minirouter

import (
	"context"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/edgewamp/edgewamp/rawsocket"
)

// Accept retry backoff bounds of Serve.
const (
	minAcceptBackoff = 5 * time.Millisecond
	maxAcceptBackoff = time.Second
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

// Serve accepts connections on l and serves each in its own goroutine with
// [Router.ServeConn]. Temporary accept errors are retried with a backoff
// (5ms doubling to 1s). It returns [ErrRouterClosed] after Shutdown or
// Close (which close l), and the accept error when l fails otherwise (for
// example when the caller closes it). Safe for concurrent use; one router
// may serve several listeners.
func (r *Router) Serve(l net.Listener) error {
	r.mu.Lock()
	if r.stopping {
		r.mu.Unlock()
		l.Close()
		return ErrRouterClosed
	}
	r.listeners[l] = struct{}{}
	r.mu.Unlock()
	defer func() {
		r.mu.Lock()
		delete(r.listeners, l)
		r.mu.Unlock()
	}()

	var backoff time.Duration
	for {
		nc, err := l.Accept()
		if err != nil {
			if r.ctx.Err() != nil {
				return ErrRouterClosed
			}
			var te interface{ Temporary() bool }
			if errors.As(err, &te) && te.Temporary() {
				backoff = min(max(2*backoff, minAcceptBackoff), maxAcceptBackoff)
				r.log.Warn("accept failed; retrying", "err", err, "backoff", backoff)
				tm := time.NewTimer(backoff)
				select {
				case <-tm.C:
				case <-r.ctx.Done():
					tm.Stop()
					return ErrRouterClosed
				}
				continue
			}
			return fmt.Errorf("minirouter: accept: %w", err)
		}
		backoff = 0
		if !r.goTrack() {
			nc.Close()
			return ErrRouterClosed
		}
		go func() {
			defer r.wg.Done()
			_ = r.ServeConn(context.Background(), nc)
		}()
	}
}

// goTrack counts one more serving goroutine in r.wg unless the router is
// stopping.
func (r *Router) goTrack() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.stopping {
		return false
	}
	r.wg.Add(1)
	return true
}
