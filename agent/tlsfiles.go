package agent

// TLSFiles is the TLS of an rss:// or wss:// router: a private CA to verify
// it with, a client certificate, and the name to verify instead of the
// URL's host. Its Load method is per build: a build without TLS
// (edgewamp_notls) refuses any of them, and a board build (edgewamp_board)
// refuses client certificates, whose key parsing costs about 0.1 MB on arm.
// The zero value means the system's roots verify the URL's host.
type TLSFiles struct {
	_ [0]func() // not comparable: no equality function to link
	// CAFile holds the PEM certificates of the CA that signed the router's
	// certificate. Default: the system's roots.
	CAFile string
	// Cert and Key are a client certificate and its private key (PEM
	// files), for routers that authenticate devices by certificate. Both or
	// neither.
	Cert, Key string
	// ServerName is the name the router's certificate must carry. Default:
	// the URL's host.
	ServerName string
}

// set reports whether any field is set.
func (f *TLSFiles) set() bool {
	return f.CAFile != "" || f.Cert != "" || f.Key != "" || f.ServerName != ""
}
