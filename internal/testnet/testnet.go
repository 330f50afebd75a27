// Package testnet holds network helpers for tests. It is for tests only;
// nothing outside _test.go files imports it.
package testnet

import (
	"net"
	"time"
)

// ListenAgain listens on addr, the address of a listener a test closed a
// moment ago (a router restarted on the same address), retrying for up
// to two seconds while the port is in use: a client redialling addr while
// nothing listens can be handed that very port as its own local port
// (a TCP self-connect, which Go's dialer detects, closes and retries), and
// the listener's own closing connections may hold it a moment longer.
func ListenAgain(network, addr string) (net.Listener, error) {
	deadline := time.Now().Add(2 * time.Second)
	for {
		l, err := net.Listen(network, addr)
		if err == nil || time.Now().After(deadline) {
			return l, err
		}
		time.Sleep(20 * time.Millisecond)
	}
}
