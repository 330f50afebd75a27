//go:build !edgewamp_board

package main

import (
	"github.com/edgewamp/edgewamp/wamp"
	"github.com/edgewamp/edgewamp/wstransport"
)

// wsDialers plugs WebSocket into a default build, so that call, publish
// and subscribe reach a router's ws:// or wss:// port.
func wsDialers(m map[string]wamp.Dialer) {
	m["ws"] = wstransport.DialURL
	m["wss"] = wstransport.DialURL
}

// boardBuild is empty in a default build, which has the whole command line.
const boardBuild = ""

// registerCommand and registerCommandAbout are register's `-- COMMAND` in
// the help.
const (
	registerCommand      = " [-- COMMAND [ARG...]]"
	registerCommandAbout = ", or with -- COMMAND what COMMAND prints, run once per call\n" +
		"      with the call's arguments appended, one JSON word each (keyword arguments as one JSON object last)"
)
