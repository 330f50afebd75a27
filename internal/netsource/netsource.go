// Package netsource names the source of a connection (its remote host, or
// for a Unix socket the peer process), counts open connections per source
// and bounds the connections still handshaking ([Pending]), for the
// per-address limits of rawsocket's listener, package listen's listeners
// and the router's authentication throttle. Loopback and non-IP sources (Unix
// sockets, in-process connections) are "local": the limits leave them
// alone unless asked, since behind a reverse proxy on the gateway every
// client looks local.
package netsource

import (
	"net"
	"sync"
)

// Host returns the source of a remote address: its host ("192.0.2.7" of
// "192.0.2.7:5000"), or the whole string when it has no port (a Unix
// socket, "inproc").
func Host(remote string) string {
	if host, _, err := net.SplitHostPort(remote); err == nil {
		return host
	}
	return remote
}

// Local reports whether source (a Host result) is a loopback address or
// not an IP address at all.
func Local(source string) bool {
	ip := net.ParseIP(source)
	return ip == nil || ip.IsLoopback()
}

// Counter counts open connections per source and refuses one beyond Max.
// Set Max and LimitLocal before first use; the zero value counts nothing.
// It is safe for concurrent use.
type Counter struct {
	// Max is the most connections open at once from one source; 0: no
	// limit, nothing is counted.
	Max int
	// LimitLocal counts local sources too (all non-IP sources are then one).
	LimitLocal bool

	mu   sync.Mutex
	open map[string]int
}

// Take counts a new connection from remote (a remote address string) and
// reports whether it is within Max: [Counter.TakeSource] of its host, with
// every non-IP remote (Unix sockets, in-process) one source, "local". Pass
// src to Release when the connection ends; src is "" for a connection that
// was not counted (Release ignores it).
func (c *Counter) Take(remote string) (src string, ok bool) {
	src = Host(remote)
	if net.ParseIP(src) == nil {
		src = "local"
	}
	return c.TakeSource(src)
}

// TakeSource is Take for a source named already (an [Of] result).
func (c *Counter) TakeSource(src string) (string, bool) {
	if c.Max <= 0 || (Local(src) && !c.LimitLocal) {
		return "", true
	}
	if src == "" {
		src = "local" // never "", which Release ignores
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.open[src] >= c.Max {
		return "", false
	}
	if c.open == nil {
		c.open = make(map[string]int)
	}
	c.open[src]++
	return src, true
}

// Release uncounts a connection counted by Take.
func (c *Counter) Release(src string) {
	if src == "" {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.open[src]--; c.open[src] <= 0 {
		delete(c.open, src)
	}
}
