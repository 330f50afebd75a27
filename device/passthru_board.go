//go:build edgewamp_board

package device

// passthru is false in the board builds: see passthru.go.
const passthru = false
