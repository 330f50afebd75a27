package main

// tlsFiles is the TLS of rss:// and wss:// from the command line: a private
// CA, a client certificate and the name to verify instead of the URL's
// host. Its config method is per build (tls_on.go, tls_off.go).
type tlsFiles struct {
	_                             [0]func() // not comparable: no equality function to link
	caFile, cert, key, serverName string
}
