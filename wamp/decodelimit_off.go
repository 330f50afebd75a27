//go:build edgewamp_nodecodebudget

package wamp

// decodeBudgeted is false in builds with the edgewamp_nodecodebudget tag:
// the ARMv7 agents, which decode only their own gateway's messages, leave
// the heap budget of decodelimit.go out (it would cost them about 1 KB of
// code). The decoders test it before charging, so these are never called.
const decodeBudgeted = false

func spendTake(spent *int, cost, msgLen int) error { return nil }
func spendList(spent *int, n, msgLen int) error    { return nil }
func spendDict(spent *int, n, msgLen int) error    { return nil }
