// Package wstransport carries WAMP over WebSocket (RFC 6455), for browsers
// and for routers and clients that speak WAMP only over WebSocket. It is
// built on golang.org/x/net/websocket and is the only edgewamp package that
// links net/http; none of x/net's types appear in its API, and it imports
// none of the client (a binary that wants WebSocket in the device client
// plugs [DialURL] into device.Config.Dialers).
//
// # Subprotocols
//
// A connection carries one WAMP message per WebSocket message, with the
// serializer named by the subprotocol agreed in the handshake:
//
//	wamp.2.json     text frames   (wamp.JSON)
//	wamp.2.msgpack  binary frames (wamp.MsgPack)
//	wamp.2.cbor     binary frames (wamp.CBOR; not in edgewamp_nocbor builds)
//
// The client offers exactly one; the server selects exactly one, in its own
// order of preference, and refuses with HTTP 400 when the client offers none
// it knows.
//
// # Server
//
// [Handler] turns a function that runs one session into an http.Handler.
// The connection lives as long as that function runs:
//
//	h := wstransport.Handler(wstransport.ServerConfig{}, func(t wamp.Transport) {
//		runSession(t) // returns when the session ends (package listen does this for minirouter)
//	})
//	mux := http.NewServeMux()
//	mux.Handle("/ws", h)
//	srv := wstransport.NewServer("127.0.0.1:8080", mux) // safe time limits
//	err := srv.ListenAndServe()
//
// There the request's goroutine and net/http's state for the connection
// stay for the whole session. [AttachHandler] hands the connection over
// instead: its function owns t (and closes it at the end), and the
// request's handler returns at once, which a server holding many sessions
// wants (package listen does this for minirouter, whose Router.Attach
// fits it).
//
// The zero [ServerConfig] accepts wamp.2.json (preferred) and
// wamp.2.msgpack, messages up to 1 MiB, and browsers only from the server's
// own origin: requests without an Origin header (non-browser clients) are
// accepted, requests from another origin only when it is listed in
// AllowedOrigins (or "*" is). Refusals are plain HTTP answers with a
// readable body: 426 (not a WebSocket request), 403 (origin), 400 (no common
// subprotocol), 505 (not HTTP/1.1); nothing is upgraded.
//
// The http.Server must bound the request headers' arrival: use [NewServer],
// or set ReadHeaderTimeout yourself. Handler bounds the rest of the
// handshake (ServerConfig.HandshakeTimeout), then clears the deadlines that
// net/http leaves on a hijacked connection; the session sets its own with
// SetReadDeadline and SetWriteDeadline. Shutting the http.Server down does
// not end upgraded connections: the owner of the sessions closes them.
//
// # Client
//
// [Dial] connects to ws:// and wss:// URLs and checks that the server
// selected the offered subprotocol:
//
//	c, err := wstransport.Dial(ctx, "wss://router.example/ws", wstransport.ClientConfig{
//		Serializer: wamp.MsgPack, // default wamp.JSON
//		TLS:        &tls.Config{RootCAs: pool},
//	})
//	// c is a wamp.Transport: hand it to peer.New, or a device client.
//
// A refusal is a [*HandshakeError] with the server's HTTP status and message;
// errors.Is tells ErrSubprotocol and ErrOrigin apart.
//
// [DialURL] is the package's wamp.Dialer: Dial with the serializer, TLS
// config and limits of a wamp.DialOptions, the URL's serializer=json|msgpack|cbor
// query winning. A device client gets ws:// and wss:// with
//
//	cfg.Dialers = map[string]wamp.Dialer{"ws": wstransport.DialURL, "wss": wstransport.DialURL}
//
// # Connections
//
// [*Conn] implements wamp.Transport. ReadMessage returns whole messages
// (fragmented ones are reassembled), answers pings, and enforces the size
// limit from each frame's header before reading the payload, so a peer
// cannot make it buffer more than MaxMessageSize; a larger message, or a
// framing violation, ends that connection only (close status 1009 or 1002).
// WriteMessages sends one frame per message. WebSocket has no way to learn
// the peer's limit, so MaxMessageSize is the local limit, used both ways.
// Close sends a close frame when it can (within a second, and not in the
// middle of a write in progress, which it cuts off) and closes the
// connection, unblocking a pending read at once. x/net/websocket has no API
// to send pings: keepalive, where wanted, is WAMP-level (or the session's
// idle read deadline).
//
// A server connection over a TCP or Unix socket (TLS included) is a
// wamp.Parker on Linux: [Conn.Park] lets a router's session reader go
// while the connection is idle, drops its read buffer, answers pings
// meanwhile, and waits for input in one epoll instance for the whole
// process (internal/parkpoll), so that with [AttachHandler] an idle session
// holds no goroutine.
//
// x/net/websocket does the opening handshake on both sides; the frames
// after it are this package's own (RFC 6455, 5): WriteMessages encodes a
// batch of frames into one write per 64 KiB, and ReadMessage parses frames
// from a 4 KiB buffered reader straight over the connection (on the server,
// net/http's hijacked reader, reset onto the connection), returning a
// message of one frame that fits the buffer in place, unmasked there,
// without a copy or an allocation. Clients mask every frame and servers
// none; a frame that breaks this ends the connection (1002), as x/net's
// rule did.
package wstransport
