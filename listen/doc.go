// Package listen holds a router's listeners: it accepts connections, runs
// their transport handshakes under limits, and hands each established
// transport to [minirouter.Router.Attach], the router's one way in. The
// router knows nothing of sockets; this package knows nothing of routing.
//
// [Open] opens a listener from a URL (rs://, tcp://, rss://, unix://, ws://,
// wss://, uni:// and serial://, see Open) and [Listener.Serve] serves it until
// [Listener.Close] or the router stops ([minirouter.Router.Done]). [Serve]
// serves RawSocket on a net.Listener the caller made (tests, embedding).
//
// Every listener but serial bounds the connections whose handshakes are
// not done (TLS, RawSocket, the HTTP request and WebSocket upgrade,
// uni://'s first octet) alike, from accept: each is closed at the handshake
// timeout, at most Config.MaxPendingHandshakes are pending and at most
// Config.MaxPendingPerSource from one address (for a Unix socket, the peer
// process: SO_PEERCRED's uid and pid). A newcomer is never refused for
// these: the oldest pending connection of its address, or of the address
// holding the most, is closed to make room, so that a flood from some
// addresses keeps no one from another address out ([Stats.HandshakesShed]).
//
// RawSocket goes through a rawsocket.Listener: handshakes run concurrently,
// at most Config.MaxConnections open and Config.MaxConnsPerSource from one
// address; a client beyond a limit gets handshake error code 4, and every
// failure is counted in [Stats.HandshakeFailures]. WebSocket upgrades go through
// wstransport.AttachHandler on an http.Server from wstransport.NewServer, at
// most Config.MaxConnsPerSource open from one address (HTTP 503 beyond; a
// slot is held until the session ends), and the request's handler returns
// once the session is attached. uni://
// serves both on one port: [Split] sorts each connection by its first octet
// (0x7F for RawSocket). A serial line serves one device session at a time
// and is reopened with backoff when it fails.
//
// Sessions are attached with no goroutine of the listener's: an idle
// RawSocket session over TCP or a Unix socket costs its state alone (see
// rawsocket.Conn.Park), uni://'s RawSocket half included; rs://, tcp:// and unix:// accept through
// rawsocket.FDListener, outside Go's network poller; the others' sockets are read and written with raw
// system calls (internal/sockio), which do not wake the runtime's sysmon thread after every idle moment.
// Each listener counts its connections and how its sessions ended ([Listener.Stats]).
package listen
