//go:build edgewamp_noauth

package agent

// buildHasAuth is false: this build has the edgewamp_noauth tag.
const buildHasAuth = false
