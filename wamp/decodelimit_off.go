//go:build edgewamp_nodecodebudget

package wamp

// decodeBudgeted is false in builds with the edgewamp_nodecodebudget tag:
// the ARMv7 agents, which decode only their own gateway's messages, leave
// the heap budget of decodelimit.go out (it costs them about 1 KB of code).
const decodeBudgeted = false
