//go:build edgewamp_board

package peer

// Spares: the board's agent keeps no spare goroutines (see spawn.go).
const Spares = false

// Go runs f on a new goroutine (see spawn.go).
func Go(f func()) { go f() }

// UseSpares does nothing: the board's agent has no spare goroutines.
func UseSpares() {}
