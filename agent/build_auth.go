//go:build !edgewamp_noauth

package agent

// buildHasAuth reports whether this build links authentication (the auth key); the
// edgewamp_noauth build tag leaves it out.
const buildHasAuth = true
