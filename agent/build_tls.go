//go:build !edgewamp_notls

package agent

// buildHasTLS reports whether this build links TLS (rss:// routers); the
// edgewamp_notls build tag leaves it out.
const buildHasTLS = true
