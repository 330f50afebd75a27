// Package routertest holds the end-to-end test of the serial link between a
// device client and a minirouter session over a pty. It lives apart from
// serialtransport so that the transport's own tests do not depend on the
// router and the client building.
package routertest
