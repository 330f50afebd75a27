//go:build !edgewamp_nodecodebudget

package wamp

// decodeBudgeted says the decoders charge what they make to the message's
// heap budget (decodelimit.go).
const decodeBudgeted = true
