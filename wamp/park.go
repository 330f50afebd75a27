package wamp

// Parker is a [Transport] that can let go of its reader while no input
// comes, so that a server with many idle connections holds no goroutine (or
// only a small one) for each. rawsocket.Conn is one; the router's session
// reader uses it when its transport has it.
type Parker interface {
	// Park waits briefly for the next message. When it starts to arrive in
	// time, the read deadline passes or the transport fails, Park returns
	// false and the reader reads as usual. Otherwise it arranges for resume
	// to run on a new goroutine once the next message starts to arrive, the
	// read deadline passes or the transport closes, and returns true: the
	// reader's goroutine leaves reading to resume. Only the reader may call
	// it; the bytes of the last ReadMessage are invalid afterwards.
	Park(resume func()) bool
}
