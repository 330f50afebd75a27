//go:build edgewamp_board

package main

import "github.com/edgewamp/edgewamp/wamp"

// wsDialers adds nothing: the board builds leave WebSocket out.
func wsDialers(map[string]wamp.Dialer) {}

// boardBuild says what the board builds' command line leaves out (to keep
// the agent within its size on a small board), and how to get it.
const boardBuild = "this edge-agent is a board build (tag edgewamp_board), without WebSocket (ws://, wss://), " +
	"client certificates and the debugging extras (-k, -match, -v, -include-me, -disclose-me, -ca-file, " +
	"-server-name, stdin payloads, EDGEWAMP_* variables, register -- COMMAND); " +
	"`go build ./cmd/edge-agent` has them all"

// registerCommand and registerCommandAbout are register's `-- COMMAND` in
// the help, which the board builds leave out.
const registerCommand, registerCommandAbout = "", ""
