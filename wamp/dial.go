package wamp

import (
	"context"
	"fmt"
	"net/url"
	"time"
)

// Dialer opens a [Transport] to the router at u. Each transport package
// has one (rawsocket.DialURL for rs://, rss://, tcp:// and unix://,
// wstransport.DialURL for ws:// and wss://, serialtransport.DialURL for
// serial://), and device.DialTransport picks one by the URL's scheme. ctx
// bounds the dial and the transport's handshake, not the connection. The
// URL's serializer=json|msgpack|cbor query parameter wins over opts.Serializer.
// A Dialer is safe for concurrent use.
type Dialer func(ctx context.Context, u *url.URL, opts DialOptions) (Transport, error)

// DialOptions are what a [Dialer] needs besides the URL. The zero value
// means each transport's defaults; a DialOptions is only read.
type DialOptions struct {
	_ [0]func() // not comparable: no equality function to link
	// Serializer is the serializer to ask for, unless the URL has a
	// serializer= query parameter. Default (nil): the transport's own,
	// MessagePack for RawSocket and serial, JSON for WebSocket.
	Serializer Serializer
	// TLS configures rss:// and wss://: a *tls.Config (cloned; ServerName
	// defaults to the URL's host), held as any so that package wamp, and
	// every binary that imports it, does not link crypto/tls. Another type
	// is an error, and so is any TLS in a build with the edgewamp_notls
	// tag. Default (nil): the system roots.
	TLS any
	// MaxMessageSize is the largest message accepted, in bytes. Default
	// (0): the transport's (1 MiB for RawSocket and WebSocket, 1 KiB for
	// serial); each transport rounds or clamps it to what its wire allows.
	MaxMessageSize int
	// HandshakeTimeout bounds the transport's handshake (TCP, TLS and the
	// protocol's own). Default (0): 10s for RawSocket and WebSocket; none
	// but ctx for serial, whose device repeats its handshake until the
	// gateway answers.
	HandshakeTimeout time.Duration
	// KeepAlive is the idle time after which the transport checks the
	// link (RawSocket PING, serial PING); negative turns that off.
	// Default (0): the transport's (off for RawSocket, since some routers
	// drop a connection that sends a PING; 5s for serial). WebSocket has no
	// keepalive of its own and ignores it.
	KeepAlive time.Duration
}

// SerializerFor returns the serializer to ask for on u: the one named by
// the URL's serializer= query parameter, else o.Serializer, else def. An
// unknown name is an error (see [SerializerNamed]).
func (o DialOptions) SerializerFor(u *url.URL, def Serializer) (Serializer, error) {
	if name := u.Query().Get("serializer"); name != "" {
		return SerializerNamed(name)
	}
	if o.Serializer != nil {
		return o.Serializer, nil
	}
	return def, nil
}

// SerializerNamed is [SerializerByName] with an error that says what to
// use instead: the names there are, or that CBOR was left out of this build.
func SerializerNamed(name string) (Serializer, error) {
	s, ok := SerializerByName(name)
	switch {
	case !ok && (name == "cbor" || name == "wamp.2.cbor"):
		return nil, fmt.Errorf("serializer %q is not in this build (built with the edgewamp_nocbor tag)", name)
	case !ok:
		return nil, fmt.Errorf("unknown serializer %q (want json, msgpack or cbor)", name)
	}
	return s, nil
}
