//go:build !linux

package sockio

import "net"

// wrap leaves nc as it is: raw system calls are made on Linux only.
func wrap(nc net.Conn) net.Conn { return nc }
