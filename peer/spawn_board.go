//go:build edgewamp_board

package peer

// ServerBuild: the board's agent leaves out the server's tunings (see
// spawn.go).
const ServerBuild = false

// Go runs f on a new goroutine (see spawn.go).
func Go(f func()) { go f() }

// UseSpares does nothing: the board's agent has no spare goroutines.
func UseSpares() {}
