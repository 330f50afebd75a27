package wamp

import "time"

// Transport carries whole serialized messages between two peers: RawSocket,
// the serial link, WebSocket and in-process pipes all implement it. It is the
// one interface the router and the client see of a connection.
//
// ReadMessage is called by one goroutine (the reader) and WriteMessages by one
// goroutine at a time (the writer); the two may run concurrently, and Close
// may be called from any goroutine, at any time, more than once.
type Transport interface {
	// Serializer returns the serializer agreed for this connection.
	Serializer() Serializer
	// ReadMessage blocks until a whole message arrives and returns its bytes,
	// which stay valid only until the next call. Transport-level traffic (pings,
	// acknowledgements) is handled inside. A message over the local limit is
	// an error that ends the connection.
	ReadMessage() ([]byte, error)
	// WriteMessages writes the messages in order, in as few system calls as
	// the transport allows. A message larger than MaxMessageSize is an error
	// and nothing of it is written.
	WriteMessages(msgs [][]byte) error
	// MaxMessageSize returns the largest message the remote peer accepts.
	MaxMessageSize() int
	// SetReadDeadline sets the deadline for ReadMessage; zero means none.
	SetReadDeadline(t time.Time) error
	// SetWriteDeadline sets the deadline for WriteMessages; zero means none.
	SetWriteDeadline(t time.Time) error
	// RemoteAddr describes the remote end ("127.0.0.1:5555", "unix", "/dev/ttyUSB0", "inproc").
	RemoteAddr() string
	// Close closes the connection and unblocks a pending ReadMessage and WriteMessages.
	Close() error
}
