package wamp

// ReadLimiter is a Transport whose bound on incoming messages can be
// lowered for a while: a router lowers it until the client has
// authenticated, so that a connection nobody knows yet cannot make it
// buffer a large message. SetReadLimit bounds what ReadMessage accepts to
// n bytes, never above the transport's own limit; n <= 0 restores that
// limit. ReadLimit returns the bound in force. Only the reader calls
// them. RawSocket and WebSocket connections implement it.
type ReadLimiter interface {
	SetReadLimit(n int)
	ReadLimit() int
}
