//go:build edgewamp_noprogcall

package device

import (
	"context"
	"io"

	"github.com/edgewamp/edgewamp/wamp"
)

// A build with the edgewamp_noprogcall tag leaves progressive call
// invocations out: it does not announce them, so no router streams to it.

// progCallBuilt: this build does not announce progressive call invocations.
const progCallBuilt = false

// invStream is empty: no invocation is streamed.
type invStream struct{}

// endedInvs is empty: no invocation is streamed.
type endedInvs struct{}

// Recv returns io.EOF: no invocation is streamed in this build.
func (inv *Invocation) Recv(context.Context) (wamp.Payload, error) { return wamp.Payload{}, io.EOF }

// More returns false: no invocation is streamed in this build.
func (inv *Invocation) More() bool { return false }

func addStreamRoles(wamp.Dict)                               {}
func (c *session) startStream(*Invocation, *wamp.Invocation) {}
func (c *session) streamChunk(*wamp.Invocation) bool         { return false }
func (c *session) endStream(*Invocation) *wamp.Error         { return nil }
