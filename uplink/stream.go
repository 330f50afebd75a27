package uplink

import (
	"context"

	"github.com/edgewamp/edgewamp/device"
	"github.com/edgewamp/edgewamp/wamp"
)

// forwardCall forwards inv to proc on c: as one call, or as a stream when
// the caller streams its input (progressive call invocations), so that a
// streamed call crosses the gateway either way chunk by chunk, and the
// gateway holds at most a chunk of it and its client's bounded queues.
func forwardCall(ctx context.Context, c *device.Client, proc wamp.URI, inv *device.Invocation, o *device.CallOptions) (wamp.Payload, error) {
	if streamed, _ := wamp.OptBool(inv.Details, "progress"); !streamed {
		res, details, err := c.CallWithDetails(ctx, proc, inv.Payload, o)
		if ppt := pptOptions(details); ppt != nil {
			inv.ResultOptions = ppt // a passthru result goes on with its ppt_* options
		}
		return res, err
	}
	progress := o.Progress
	o.Progress = nil // this side's Result drops what the Recv loop below has not taken: nothing
	cs, err := c.CallStream(ctx, proc, o)
	if err != nil {
		return wamp.Payload{}, err
	}
	// Progressive results flow back while the input flows on. When the
	// outcome is in (the callee may answer before the input ends), the
	// input is no longer waited for.
	inCtx, stopInput := context.WithCancel(ctx)
	defer stopInput()
	relayed := make(chan struct{})
	go func() {
		defer close(relayed)
		defer stopInput()
		for {
			p, err := cs.Recv(ctx)
			if err != nil {
				return // io.EOF (the outcome is in), or the call was given up
			}
			if progress != nil {
				progress(p)
			}
		}
	}()
	// Any error leaves the outcome to Result.
	chunk := inv.Payload
	for {
		if !inv.More() {
			_ = cs.CloseSend(ctx, chunk)
			break
		}
		if cs.Send(ctx, chunk) != nil {
			break
		}
		var err error
		if chunk, err = inv.Recv(inCtx); err != nil {
			break
		}
	}
	<-relayed
	return cs.Result(ctx)
}
