//go:build edgewamp_notls

package agent

// buildHasTLS is false: this build has the edgewamp_notls tag.
const buildHasTLS = false
