package wamp

// ReadLimiter is a Transport whose bound on incoming messages can be
// lowered for a while: a router lowers it until the client has
// authenticated, so that a connection nobody knows yet cannot make it
// buffer a large message. ReadLimit returns the bound in force;
// SetReadLimit(n) sets it to n bytes (a transport may cap n) and gives
// the previous bound back when called with what ReadLimit returned before.
// Only the reader calls them. RawSocket and WebSocket connections
// implement it.
type ReadLimiter interface {
	SetReadLimit(n int)
	ReadLimit() int
}
