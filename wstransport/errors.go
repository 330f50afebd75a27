package wstransport

import (
	"errors"
	"fmt"
	"net"
	"strconv"
)

// Sentinel errors. Errors returned by this package wrap one of them (or a
// *HandshakeError, or an error of the network), so match them with errors.Is.
var (
	// ErrClosed is returned by ReadMessage and WriteMessages after Close. It
	// wraps net.ErrClosed.
	ErrClosed = fmt.Errorf("wstransport: connection closed: %w", net.ErrClosed)

	// ErrMessageTooLarge is returned by WriteMessages for a message over the
	// limit (nothing is written), and by ReadMessage when the peer sends one
	// (the connection is then closed with status 1009).
	ErrMessageTooLarge = errors.New("wstransport: message too large")

	// ErrProtocol means that the peer broke the WebSocket protocol: in
	// ReadMessage, the framing rules (reserved bits or opcodes, a control
	// frame over 125 bytes, a misplaced continuation frame; the connection is
	// then closed with status 1002); in Dial, the handshake rules.
	ErrProtocol = errors.New("wstransport: WebSocket protocol violation")

	// ErrSubprotocol means that client and server have no WAMP subprotocol in
	// common, or that the server did not select the one the client offered.
	ErrSubprotocol = errors.New("wstransport: no common WAMP subprotocol")

	// ErrOrigin means that the server refused the request's Origin header.
	ErrOrigin = errors.New("wstransport: origin not allowed")
)

// HandshakeError reports a WebSocket opening handshake that did not produce
// a connection: the server answered with an HTTP error status, or it
// answered 101 but not as it should have (for instance without selecting the
// offered subprotocol). Its values are not modified after they are returned,
// so they are safe to share between goroutines.
type HandshakeError struct {
	// URL is the URL dialed.
	URL string
	// StatusCode is the HTTP status of the server's answer (101 when the
	// server accepted the upgrade but its answer was wrong), or 0 when no
	// answer was read.
	StatusCode int
	// Message is the start of the server's explanation (the response body),
	// at most 256 bytes, or empty.
	Message string
	// Err is the cause: ErrSubprotocol, ErrOrigin or an error of the network
	// or of the WebSocket library.
	Err error
}

// Error describes the failure, with the HTTP status and the server's message.
func (e *HandshakeError) Error() string {
	s := "wstransport: handshake failed"
	if e.URL != "" {
		s = "wstransport: handshake with " + e.URL + " failed"
	}
	if e.StatusCode != 0 {
		s += ": HTTP " + strconv.Itoa(e.StatusCode)
	}
	if e.Message != "" {
		s += ": " + strconv.Quote(e.Message)
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns the cause.
func (e *HandshakeError) Unwrap() error { return e.Err }
