package peer

import "errors"

// Sentinel errors of the package. Errors returned by Conn wrap them, so test
// with errors.Is.
var (
	// ErrQueueFull is returned by Send and SendEncoded when the outbound
	// queue has no room for the message: the remote end reads too slowly.
	ErrQueueFull = errors.New("peer: send queue full")
	// ErrClosed is returned by operations on a closed connection. It is also
	// the close reason recorded when Close is called with a nil reason.
	ErrClosed = errors.New("peer: connection closed")
	// ErrTooLarge is returned when an encoded message is larger than the
	// remote end accepts (the transport's MaxMessageSize).
	ErrTooLarge = errors.New("peer: message larger than the remote maximum")
)
