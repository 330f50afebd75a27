//go:build !edgewamp_board

package device

// passthru: CallOptions.Extra and Invocation.ResultOptions are sent (the
// ppt_* options of payload passthru mode go there). The board builds (tag
// edgewamp_board), whose agents make no passthru calls, leave them out:
// the code would push both ARMv7 agents over a 4 KiB page.
const passthru = true
