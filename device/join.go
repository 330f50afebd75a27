package device

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/edgewamp/edgewamp/peer"
	"github.com/edgewamp/edgewamp/wamp"
)

// NewClient joins cfg.Realm over the transport t and returns the joined
// client. It sends HELLO (with wamp.ClientRoles(), cfg.Auth's entries and
// cfg.HelloDetails), answers CHALLENGEs from cfg.Auth or cfg.Authenticate,
// and waits for WELCOME for at most cfg.JoinTimeout (and until ctx is done).
// ctx bounds only the join, not the session.
//
// When the router refuses with ABORT, the error wraps a *wamp.Error carrying
// the ABORT reason, so errors.Is(err, wamp.ErrNoSuchRealm) and the like work.
// On any failure t is closed. A transport cannot be reopened, so NewClient
// refuses cfg.Reconnect.Enabled: reconnect with [Dial] (and, for transports
// of your own, Reconnect.Connect).
func NewClient(ctx context.Context, t wamp.Transport, cfg Config) (*Client, error) {
	cfg = cfg.withDefaults()
	if cfg.Reconnect.Enabled {
		_ = t.Close()
		return nil, errors.New("device: NewClient cannot reconnect: use Dial")
	}
	c := &Client{cfg: cfg, log: cfg.Logger}
	s, err := joinSession(ctx, t, cfg, &c.stats)
	if err != nil {
		return nil, err
	}
	c.stats.joins.Add(1)
	c.cur.Store(s)
	return c, nil
}

// joinSession joins cfg.Realm over t (cfg has its defaults applied) and
// returns the session, counting into st; on failure t is closed.
func joinSession(ctx context.Context, t wamp.Transport, cfg Config, st *stats) (*session, error) {
	conn := peer.New(t, cfg.Peer)
	w, err := join(ctx, conn, &cfg)
	if err != nil {
		conn.Close(err)
		return nil, err
	}
	s := newSession(conn, cfg, w, st)
	s.log.Debug("device: joined", "realm", string(cfg.Realm), "remote", conn.RemoteAddr())
	return s, nil
}

// helloDetails builds the HELLO details: the client roles, an agent string,
// the authentication entries of ja, then cfg.HelloDetails over them.
func helloDetails(cfg *Config, ja *joinAuth) wamp.Dict {
	d := wamp.Dict{
		"roles": wamp.ClientRoles(),
		"agent": "edgewamp-device",
	}
	if progCallBuilt {
		addStreamRoles(d["roles"].(wamp.Dict))
	}
	ja.addHelloDetails(d)
	for k, v := range cfg.HelloDetails {
		d[k] = v
	}
	return d
}

// join runs the opening handshake on conn and returns the WELCOME.
func join(ctx context.Context, conn *peer.Conn, cfg *Config) (*wamp.Welcome, error) {
	timeout := fmt.Errorf("no WELCOME within %v: %w", cfg.JoinTimeout, context.DeadlineExceeded)
	ctx, cancel := context.WithTimeoutCause(ctx, cfg.JoinTimeout, timeout)
	defer cancel()
	// Unblock Recv when ctx ends, and bound each read by the deadline.
	stop := context.AfterFunc(ctx, func() { conn.Close(context.Cause(ctx)) })
	defer stop()
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.Transport().SetReadDeadline(dl)
	}
	fail := func(err error) error {
		if cerr := context.Cause(ctx); cerr != nil {
			return fmt.Errorf("device: join %q: %w", cfg.Realm, cerr)
		}
		if errors.Is(err, os.ErrDeadlineExceeded) {
			// The read deadline and ctx's timer fired together.
			return fmt.Errorf("device: join %q: %w", cfg.Realm, timeout)
		}
		return fmt.Errorf("device: join %q: %w", cfg.Realm, err)
	}

	ja, err := newJoinAuth(cfg)
	if err != nil {
		return nil, fail(fmt.Errorf("authentication config: %w", err))
	}
	if err := conn.SendWait(ctx, &wamp.Hello{Realm: cfg.Realm, Details: helloDetails(cfg, ja)}); err != nil {
		return nil, fail(fmt.Errorf("sending HELLO: %w", err))
	}
	for {
		m, err := conn.Recv()
		if err != nil {
			if errors.Is(err, wamp.ErrProtocolViolation) && conn.Err() == nil {
				sendAbort(ctx, conn, wamp.ErrProtocolViolation.URI, err.Error())
			}
			return nil, fail(err)
		}
		switch m := m.(type) {
		case *wamp.Welcome:
			if m.Session == 0 || m.Session > wamp.MaxID {
				sendAbort(ctx, conn, wamp.ErrProtocolViolation.URI, "invalid session ID in WELCOME")
				return nil, fail(fmt.Errorf("invalid session ID %d in WELCOME: %w", m.Session, wamp.ErrProtocolViolation))
			}
			if !stop() {
				// ctx ended at the same moment and closed conn.
				return nil, fail(context.Cause(ctx))
			}
			_ = conn.Transport().SetReadDeadline(time.Time{})
			return m, nil
		case *wamp.Abort:
			return nil, fail(&wamp.Error{URI: m.Reason, Details: m.Details, Payload: abortPayload(m)})
		case *wamp.Challenge:
			authenticate := ja.handler(m.AuthMethod)
			if authenticate == nil {
				sendAbort(ctx, conn, wamp.ErrAuthenticationFailed.URI, "no authenticator configured")
				return nil, fail(fmt.Errorf("router sent CHALLENGE (authmethod %q) but Config.Authenticate is nil: %w",
					m.AuthMethod, wamp.ErrAuthenticationFailed))
			}
			a, err := authenticate(ctx, m)
			if err != nil {
				sendAbort(ctx, conn, wamp.ErrAuthenticationFailed.URI, err.Error())
				return nil, fail(fmt.Errorf("authenticating (authmethod %q): %w", m.AuthMethod, err))
			}
			if a == nil {
				a = &wamp.Authenticate{}
			}
			if a.Extra == nil {
				a.Extra = wamp.Dict{}
			}
			if err := conn.SendWait(ctx, a); err != nil {
				return nil, fail(fmt.Errorf("sending AUTHENTICATE: %w", err))
			}
		default:
			sendAbort(ctx, conn, wamp.ErrProtocolViolation.URI, "unexpected "+m.Type().String()+" before WELCOME")
			return nil, fail(fmt.Errorf("unexpected %v before WELCOME: %w", m.Type(), wamp.ErrProtocolViolation))
		}
	}
}

// abortPayload returns the ABORT's "message" detail as the error's argument,
// so that the error text explains the refusal.
func abortPayload(m *wamp.Abort) wamp.Payload {
	if s, ok := m.Details["message"].(string); ok && s != "" {
		return wamp.Payload{Args: wamp.List{s}}
	}
	return wamp.Payload{}
}

// sendAbort sends ABORT and lets it out before the caller closes conn.
func sendAbort(ctx context.Context, conn *peer.Conn, reason wamp.URI, msg string) {
	if conn.Send(&wamp.Abort{Details: wamp.Dict{"message": msg}, Reason: reason}) != nil {
		return
	}
	fctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	_ = conn.Flush(fctx)
}
