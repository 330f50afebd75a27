package device

import (
	"context"

	"github.com/edgewamp/edgewamp/wamp"
)

// PayloadCodec encodes payloads end to end, for their URI, into payloads
// in passthru mode, and decodes those received (package e2ee's *Keyring
// is one; AutobahnPython calls the same idea IPayloadCodec).
type PayloadCodec interface {
	// Encode returns the payload to send for uri and its ppt_* options;
	// nil options mean p goes as it is (no key for uri).
	Encode(uri wamp.URI, p wamp.Payload) (wamp.Payload, wamp.Dict, error)
	// Decode returns the payload received for uri with details (which
	// carry the ppt_* options), or an error when it must not be delivered.
	Decode(uri wamp.URI, p wamp.Payload, details wamp.Dict) (wamp.Payload, error)
}

// Coded is a Client whose payloads go through Codec: Publish and Call
// encode theirs, and the handlers of Subscribe and Register receive
// decoded ones (an event that does not decode is not delivered: the codec
// counts and logs it; an invocation that does not decode is answered with
// the decoding error). It is built only by programs that use it, so a
// client without a codec carries none of this.
type Coded struct {
	*Client
	Codec PayloadCodec
}

// withPPT returns a copy of extra with ppt's keys.
func withPPT(extra, ppt wamp.Dict) wamp.Dict {
	d := wamp.Dict{}
	for k, v := range extra {
		d[k] = v
	}
	for k, v := range ppt {
		d[k] = v
	}
	return d
}

// Publish is [Client.Publish] with the payload encoded for topic.
func (c Coded) Publish(ctx context.Context, topic wamp.URI, p wamp.Payload, o *PublishOptions) error {
	p, ppt, err := c.Codec.Encode(topic, p)
	if err != nil {
		return err
	}
	if ppt != nil {
		oc := PublishOptions{}
		if o != nil {
			oc = *o
		}
		oc.Extra = withPPT(oc.Extra, ppt)
		o = &oc
	}
	return c.Client.Publish(ctx, topic, p, o)
}

// Call is [Client.Call] with the arguments encoded for proc and the
// results (progressive ones too) decoded with the call's own options.
func (c Coded) Call(ctx context.Context, proc wamp.URI, p wamp.Payload, o *CallOptions) (wamp.Payload, error) {
	p, ppt, err := c.Codec.Encode(proc, p)
	if err != nil {
		return wamp.Payload{}, err
	}
	oc := CallOptions{}
	if o != nil {
		oc = *o
	}
	if ppt != nil {
		oc.Extra = withPPT(oc.Extra, ppt)
	}
	if progress := oc.Progress; progress != nil {
		oc.Progress = func(r wamp.Payload) {
			if r, err := c.Codec.Decode(proc, r, ppt); err == nil {
				progress(r)
			}
		}
	}
	res, details, err := c.Client.CallWithDetails(ctx, proc, p, &oc)
	if err != nil {
		return res, err
	}
	if _, ok := details["ppt_scheme"]; ok {
		ppt = details // the result's own options (its key may differ)
	}
	return c.Codec.Decode(proc, res, ppt)
}

// Subscribe is [Client.Subscribe] with h receiving decoded events.
func (c Coded) Subscribe(ctx context.Context, topic wamp.URI, h EventHandler, o *SubscribeOptions) (*Subscription, error) {
	return c.Client.Subscribe(ctx, topic, func(ev *Event) {
		p, err := c.Codec.Decode(ev.Topic, ev.Payload, ev.Details)
		if err != nil {
			return // counted and logged by the codec
		}
		dec := *ev
		dec.Payload = p
		h(&dec)
	}, o)
}

// Register is [Client.Register] with h receiving decoded arguments and
// its result encoded for the procedure.
func (c Coded) Register(ctx context.Context, proc wamp.URI, h Handler, o *RegisterOptions) (*Registration, error) {
	return c.Client.Register(ctx, proc, func(ctx context.Context, inv *Invocation) (wamp.Payload, error) {
		p, err := c.Codec.Decode(inv.Procedure, inv.Payload, inv.Details)
		if err != nil {
			return wamp.Payload{}, wamp.NewError(wamp.ErrInvalidArgument.URI, err.Error())
		}
		inv.Payload = p
		res, err := h(ctx, inv)
		if err != nil {
			return res, err
		}
		res, ppt, err := c.Codec.Encode(inv.Procedure, res)
		inv.ResultOptions = ppt
		return res, err
	}, o)
}
