package main

import (
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/url"
	"os"
)

// listen opens the listener a URL names: rs:// or tcp:// (RawSocket over
// TCP) and unix:// (RawSocket over a Unix socket; a stale socket file left by
// a previous run is removed first, any other file is left alone).
func listen(raw string) (net.Listener, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("listen URL %q: %w", raw, err)
	}
	switch u.Scheme {
	case "rs", "tcp":
		if u.Host == "" {
			return nil, fmt.Errorf("listen URL %q: want rs://host:port", raw)
		}
		return net.Listen("tcp", u.Host)
	case "unix":
		path := u.Path
		if u.Host != "" || path == "" {
			return nil, fmt.Errorf("listen URL %q: want unix:///absolute/path", raw)
		}
		if fi, err := os.Lstat(path); err == nil && fi.Mode()&fs.ModeSocket != 0 {
			if c, err := net.Dial("unix", path); err == nil {
				c.Close()
				return nil, fmt.Errorf("listen %s: another process is serving this socket", path)
			}
			if err := os.Remove(path); err != nil {
				return nil, fmt.Errorf("listen %s: remove stale socket: %w", path, err)
			}
		} else if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("listen %s: %w", path, err)
		}
		return net.Listen("unix", path)
	}
	return nil, fmt.Errorf("listen URL %q: unsupported scheme %q (want rs:// or unix://)", raw, u.Scheme)
}
