// Package rawsocket is the WAMP-over-RawSocket transport, as the WAMP
// specification ("RawSocket Transport") writes it, over TCP, TLS and Unix
// sockets.
//
// # Handshake
//
// The client opens with 4 octets, 0x7F, LLLL SSSS, 0x00, 0x00: LLLL asks
// for messages of at most 2^(9+LLLL) octets (512 B to 16 MiB) and SSSS names
// the serializer (1 JSON, 2 MessagePack, 3 CBOR). The router echoes the serializer
// with its own LLLL, or refuses with 0x7F, EEEE 0000, 0x00, 0x00, where EEEE
// is 1 (serializer unsupported), 2 (maximum message length unacceptable),
// 3 (use of reserved bits) or 4 (maximum connection count reached); the
// client sees a [*HandshakeError] that unwraps to [ErrSerializerUnsupported],
// [ErrMaxLengthUnacceptable], [ErrReservedBits] or [ErrConnectionLimit]. A
// first octet other than 0x7F is not RawSocket ([ErrBadMagic]). Both sides
// run the handshake under a deadline ([ClientConfig.HandshakeTimeout],
// [ServerConfig.HandshakeTimeout]).
//
// # Frames
//
// Each message is a frame: a 4-octet header RRRR XTTT + 24-bit length, then
// the payload. TTT is 0 for a WAMP message, 1 for PING, 2 for PONG; RRRR are
// reserved (zero) and X is the 25th length bit, set only for a payload of
// exactly 2^24 octets (16 MiB, the largest LLLL = 15 allows). A frame with
// reserved bits, a reserved type, or a length over the limit we announced
// fails the connection. WriteMessages refuses a message over the limit the
// peer announced ([ErrMessageTooLarge]) without writing any of the batch.
//
// Every PING is answered at once with a PONG that echoes its payload (by the
// reader, under the connection's write mutex, so frames never interleave).
// With KeepAlive set, the connection sends a PING after that much idle time
// and closes itself ([ErrKeepAliveTimeout]) if no PONG comes back in time;
// it is off by default because some routers drop a connection on a PING.
//
// # Use
//
// A client calls [Dial] (or [Client] on a connection it made itself), or
// [DialURL] with an rs://, rss://, tcp:// or unix:// URL: DialURL is the
// package's [wamp.Dialer], which device.DialTransport uses for those
// schemes. A router calls [Listen] and [Listener.Accept], or [Server] on a connection it
// accepted. Each returns a [*Conn], a [wamp.Transport]: one goroutine reads
// with ReadMessage (the returned slice is reused by the next call), one
// writes with WriteMessages (all frames of a batch in one write, writev for
// large batches), usually through package peer. A server with many idle
// connections can let go of their readers: [Conn.Park], the one
// [wamp.Parker] of the tree, waits a moment for input without reading it
// and, when none comes, runs a function on a new goroutine once input
// comes. On Linux it keeps the idle TCP or Unix-socket connection in one
// epoll descriptor shared by the process, with no goroutine and no buffer;
// elsewhere a goroutine with a small stack waits. On Linux, [Listen]
// without TLS (and [FDListener] for a listener of the caller's) accepts
// with accept4 straight into a descriptor of rawsocket's own, which waits
// in an epoll descriptor of the package's: the connection never enters the
// net package (no runtime poll state, no net.TCPConn). A connection that
// keeps exchanging messages moves into Go's poller (its waits cost less
// CPU there); one parked for 200 ms or more leaves it again, keeping only
// its descriptor. The router's sessions
// use it through wamp.Parker (listeners attach RawSocket connections as
// they are).
//
// On TCP and Unix sockets a Conn reads and writes with the socket's raw
// connection (syscall.RawConn): a read takes a buffer only once data is
// there, and on Linux the reads and writes are raw system calls on the
// non-blocking socket, which the Go scheduler does not hear about. Its
// system-call hook would wake the runtime's monitor thread at the first
// call after every idle moment, two thread switches per message on a one-core
// board. TLS connections go through crypto/tls.
//
// The package does not link net/http.
package rawsocket
