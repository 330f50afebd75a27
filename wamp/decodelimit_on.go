//go:build !edgewamp_nodecodebudget

package wamp

// decodeBudgeted says the decoders charge what they make to the message's
// heap budget (decodelimit.go).
const decodeBudgeted = true

// spendTake adds cost to *spent, the estimated heap of the lists and dicts
// decoded so far from a message of msgLen bytes, and fails once it passes
// the message's allowance.
func spendTake(spent *int, cost, msgLen int) error {
	*spent += cost
	if *spent > decodeAllowance(msgLen) {
		return protoErr("lists and dicts would take more than %d bytes", decodeAllowance(msgLen))
	}
	return nil
}

// spendList charges a list of n elements.
func spendList(spent *int, n, msgLen int) error {
	return spendTake(spent, listCost+n*listElemCost, msgLen)
}

// spendDict charges a dict of n entries.
func spendDict(spent *int, n, msgLen int) error {
	return spendTake(spent, dictCost+(n+6)/7*dictGroupCost, msgLen)
}
