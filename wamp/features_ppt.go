//go:build !edgewamp_board

package wamp

// The device client announces payload_passthru_mode in every role, so that
// a program can publish and call with a passthru payload (package e2ee).
// The board builds (tag edgewamp_board) leave it out: their agents never
// send one, and the announcement would cost the minimal agent a 4 KiB page.
func init() {
	for role, fs := range clientFeatures {
		clientFeatures[role] = append(fs, FeaturePayloadPassthruMode)
	}
}
