package wstransport

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"golang.org/x/net/websocket"

	"github.com/edgewamp/edgewamp/internal/sockio"
	"github.com/edgewamp/edgewamp/wamp"
)

// maxHandshakeResponse bounds the server's handshake answer (status line and
// headers) that Dial reads.
const maxHandshakeResponse = 64 << 10

// ClientConfig configures [Dial]. The zero value is ready to use: every
// field's zero value means the documented default. Dial does not modify it.
type ClientConfig struct {
	// Serializer picks the subprotocol offered: "wamp.2." + Serializer.Name().
	// Default: wamp.JSON ("wamp.2.json").
	Serializer wamp.Serializer

	// MaxMessageSize is the largest message accepted, and sent, in bytes.
	// Default (0 or less): DefaultMaxMessageSize, 1 MiB.
	MaxMessageSize int

	// Origin is sent as the Origin header (x/net/websocket always sends
	// one). Default: the server's own origin, "http://host[:port]" for ws://
	// and "https://host[:port]" for wss://, which servers following the
	// same-origin rule (as Handler does) accept.
	Origin string

	// TLS configures wss:// connections. It is cloned; ServerName defaults to
	// the URL's host. Default: nil, the system roots.
	TLS *tls.Config

	// HandshakeTimeout bounds the TCP connection, the TLS handshake and the
	// WebSocket handshake together (ctx may bound them further). Default (0
	// or less): DefaultHandshakeTimeout, 10 seconds.
	HandshakeTimeout time.Duration

	// Header holds extra request headers for the handshake (for instance
	// Authorization). Headers that belong to the handshake itself (Host,
	// Upgrade, Connection, Origin, Sec-WebSocket-*) are ignored.
	Header http.Header
}

// Dial connects to a WAMP router at rawURL ("ws://host[:port]/path" or
// "wss://..."), offering the one subprotocol of cfg.Serializer, and returns
// the connection once the handshake is done. It fails with a
// *HandshakeError when the server refuses (its HTTP status and message are in
// the error) or does not select the offered subprotocol (wrapping
// ErrSubprotocol). ctx bounds the whole dial; canceling it later has no
// effect on the returned connection. Dial is safe for concurrent use.
func Dial(ctx context.Context, rawURL string, cfg ClientConfig) (*Conn, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("wstransport: dial: %w", err)
	}
	var defaultPort, originScheme string
	switch u.Scheme {
	case "ws":
		defaultPort, originScheme = "80", "http"
	case "wss":
		defaultPort, originScheme = "443", "https"
	default:
		return nil, fmt.Errorf("wstransport: dial %s: scheme must be ws or wss", rawURL)
	}
	if u.Host == "" {
		return nil, fmt.Errorf("wstransport: dial %s: no host", rawURL)
	}
	ser := cfg.Serializer
	if ser == nil {
		ser = wamp.JSON
	}
	maxSize := cfg.MaxMessageSize
	if maxSize <= 0 {
		maxSize = DefaultMaxMessageSize
	}
	timeout := cfg.HandshakeTimeout
	if timeout <= 0 {
		timeout = DefaultHandshakeTimeout
	}
	origin := cfg.Origin
	if origin == "" {
		origin = originScheme + "://" + u.Host
	}
	originURL, err := url.ParseRequestURI(origin)
	if err != nil {
		return nil, fmt.Errorf("wstransport: dial: bad Origin %q: %w", origin, err)
	}
	proto := Subprotocol(ser)
	wsCfg := &websocket.Config{
		Location: u,
		Origin:   originURL,
		Protocol: []string{proto},
		Version:  websocket.ProtocolVersionHybi13,
		Header:   cfg.Header.Clone(),
	}
	if wsCfg.Header == nil {
		wsCfg.Header = http.Header{}
	}

	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	addr := u.Host
	if u.Port() == "" {
		addr = net.JoinHostPort(u.Hostname(), defaultPort)
	}
	var d net.Dialer
	nc, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("wstransport: dial %s: %w", rawURL, err)
	}
	nc = sockio.Wrap(nc) // raw reads and writes (TLS's too)
	if u.Scheme == "wss" {
		tc := cfg.TLS.Clone()
		if tc == nil {
			tc = &tls.Config{}
		}
		if tc.ServerName == "" {
			tc.ServerName = u.Hostname()
		}
		tlsConn := tls.Client(nc, tc)
		if err := tlsConn.HandshakeContext(ctx); err != nil {
			_ = nc.Close()
			return nil, fmt.Errorf("wstransport: dial %s: TLS: %w", rawURL, err)
		}
		nc = tlsConn
	}
	c, err := clientHandshake(ctx, nc, wsCfg, ser, maxSize)
	if err != nil {
		_ = nc.Close()
		var he *HandshakeError
		if errors.As(err, &he) {
			he.URL = rawURL
		}
		return nil, err
	}
	return c, nil
}

// DialURL is WebSocket's [wamp.Dialer], for ws:// and wss:// URLs: [Dial]
// with opts' serializer (the URL's serializer=json|msgpack|cbor query wins;
// default JSON), TLS, MaxMessageSize and HandshakeTimeout. The URL is
// dialled as given: the serializer parameter is sent along, and routers
// ignore it. An unknown serializer is an error wrapping ErrSubprotocol.
// Safe for concurrent use.
func DialURL(ctx context.Context, u *url.URL, opts wamp.DialOptions) (wamp.Transport, error) {
	s, err := opts.SerializerFor(u, nil)
	if err != nil {
		return nil, fmt.Errorf("wstransport: %w: %w", err, ErrSubprotocol)
	}
	conf, ok := opts.TLS.(*tls.Config)
	if !ok && opts.TLS != nil {
		return nil, fmt.Errorf("wstransport: TLS option is a %T, want a *tls.Config", opts.TLS)
	}
	c, err := Dial(ctx, u.String(), ClientConfig{
		Serializer:       s,
		TLS:              conf,
		MaxMessageSize:   opts.MaxMessageSize,
		HandshakeTimeout: opts.HandshakeTimeout,
	})
	if err != nil {
		return nil, err
	}
	return c, nil
}

// clientHandshake runs the WebSocket handshake on nc, bounded by ctx, and
// checks the subprotocol the server selected.
func clientHandshake(ctx context.Context, nc net.Conn, wsCfg *websocket.Config, ser wamp.Serializer, maxSize int) (*Conn, error) {
	// ctx (which carries the handshake timeout) interrupts the handshake by
	// setting a deadline in the past.
	stop := context.AfterFunc(ctx, func() { _ = nc.SetDeadline(time.Unix(1, 0)) })
	rc := &recordingConn{Conn: nc, recording: true}
	_, err := websocket.NewClient(wsCfg, rc) // its frame layer is not used: see frameReader
	rc.recording = false
	canceled := !stop()
	if err != nil {
		if canceled || ctx.Err() != nil {
			return nil, &HandshakeError{Err: ctx.Err()}
		}
		return nil, handshakeFailure(rc.rec, Subprotocol(ser), err)
	}
	rec := bufio.NewReader(bytes.NewReader(rc.rec))
	resp, rerr := http.ReadResponse(rec, nil)
	rc.rec = nil
	if rerr != nil {
		return nil, &HandshakeError{StatusCode: http.StatusSwitchingProtocols, Err: rerr}
	}
	_ = resp.Body.Close()
	pending, _ := io.ReadAll(rec) // frames the server sent right after its answer
	want := Subprotocol(ser)
	if got := resp.Header.Get("Sec-WebSocket-Protocol"); got != want {
		msg := "server selected no subprotocol, " + want + " was offered"
		if got != "" {
			msg = "server selected " + got + ", " + want + " was offered"
		}
		return nil, &HandshakeError{StatusCode: http.StatusSwitchingProtocols, Message: msg, Err: ErrSubprotocol}
	}
	if canceled {
		return nil, &HandshakeError{Err: ctx.Err()}
	}
	_ = nc.SetDeadline(time.Time{})
	// Frames are read by a reader of our own, after the bytes x/net's
	// reader took beyond the handshake.
	br, _ := frameReader(nil, rc.Conn, pending)
	return newConn(rc, br, false, ser, maxSize), nil
}

// handshakeFailure builds the error for a failed handshake, with the status
// and message of the server's answer when one was read. want is the
// subprotocol offered.
func handshakeFailure(rec []byte, want string, err error) error {
	var pe *websocket.ProtocolError
	if errors.As(err, &pe) { // keep x/net's types out of our errors
		err = fmt.Errorf("%w: %s", ErrProtocol, pe.ErrorString)
	}
	he := &HandshakeError{Err: err}
	resp, rerr := http.ReadResponse(bufio.NewReader(bytes.NewReader(rec)), nil)
	if rerr != nil {
		return he
	}
	defer resp.Body.Close()
	he.StatusCode = resp.StatusCode
	if resp.StatusCode == http.StatusSwitchingProtocols {
		if got := resp.Header.Get("Sec-WebSocket-Protocol"); got != want {
			he.Message = "server selected " + got + ", " + want + " was offered"
			he.Err = ErrSubprotocol
		}
		return he
	}
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 256))
	he.Message = strings.TrimSpace(string(body))
	switch {
	case resp.StatusCode == http.StatusForbidden && strings.Contains(he.Message, "origin"):
		he.Err = ErrOrigin
	case resp.StatusCode == http.StatusBadRequest && strings.Contains(he.Message, "subprotocol"):
		he.Err = ErrSubprotocol
	default:
		he.Err = nil // the status and message say it all
	}
	return he
}

// recordingConn keeps a copy of what is read during the handshake, up to
// maxHandshakeResponse bytes: x/net/websocket reads the server's answer but
// does not report the subprotocol it selected when the client offered only
// one, nor the body of a refusal. Its fields are used by the dialing
// goroutine, then (recording off) by the reader goroutine only.
type recordingConn struct {
	net.Conn
	recording bool
	rec       []byte
}

var errHandshakeTooLarge = errors.New("wstransport: handshake answer too large")

// Read reads from the connection, recording while the handshake runs.
func (rc *recordingConn) Read(p []byte) (int, error) {
	n, err := rc.Conn.Read(p)
	if rc.recording && n > 0 {
		if len(rc.rec)+n > maxHandshakeResponse {
			return 0, errHandshakeTooLarge
		}
		rc.rec = append(rc.rec, p[:n]...)
	}
	return n, err
}
