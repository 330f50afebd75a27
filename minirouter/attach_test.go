package minirouter

import (
	"context"
	"net"

	"github.com/edgewamp/edgewamp/rawsocket"
	"github.com/edgewamp/edgewamp/wamp"
)

// serveTransport attaches t to r and waits until its session ends,
// returning the reason Attach reports.
func serveTransport(ctx context.Context, r *Router, t wamp.Transport) error {
	done := make(chan error, 1)
	r.Attach(ctx, t, func(err error) { done <- err })
	return <-done
}

// rawServer accepts RawSocket connections for a router and attaches each
// session, as package listen does (which tests here cannot import: it
// imports this package).
type rawServer struct {
	r  *Router
	rl *rawsocket.Listener
}

func newRawServer(r *Router, l net.Listener, cfg rawsocket.ListenConfig) *rawServer {
	return &rawServer{r: r, rl: rawsocket.NewListener(l, cfg)}
}

// serve accepts until the listener fails (the accept error) or the router
// stops (ErrRouterClosed, having closed the listener).
func (s *rawServer) serve() error {
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		select {
		case <-s.r.Done():
			s.rl.Close()
		case <-stop:
		}
	}()
	defer s.rl.Close()
	for {
		t, err := s.rl.Accept()
		if err != nil {
			if s.r.ctx.Err() != nil {
				return ErrRouterClosed
			}
			return err
		}
		s.r.Attach(context.Background(), t, nil)
	}
}

// handshakeFailures counts the failed and refused RawSocket handshakes.
func (s *rawServer) handshakeFailures() uint64 {
	st := s.rl.Stats()
	return st.HandshakeFailed + st.Refused
}

// serveRaw serves RawSocket on l for r; see rawServer.serve.
func serveRaw(r *Router, l net.Listener) error {
	return newRawServer(r, l, rawsocket.ListenConfig{}).serve()
}
