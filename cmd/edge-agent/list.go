package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"

	"github.com/edgewamp/edgewamp/device"
	"github.com/edgewamp/edgewamp/wamp"
)

// Meta API procedures (WAMP advanced profile, registration and subscription
// meta API) used by `list`.
const (
	procRegList = "wamp.registration.list"
	procRegGet  = "wamp.registration.get"
	procSubList = "wamp.subscription.list"
	procSubGet  = "wamp.subscription.get"
)

// errNoMetaAPI is returned by list when the router lacks the meta API.
var errNoMetaAPI = errors.New("the router does not offer the meta API (wamp.registration.list, wamp.subscription.list): it cannot list its procedures and topics")

// runList prints what the router has: one line per registration and per
// subscription, "procedure URI (match)" / "topic URI (match)", using the
// router's meta API.
func runList(ctx context.Context, inv *invocation, out io.Writer) error {
	c, err := connect(ctx, inv)
	if err != nil {
		return err
	}
	defer leave(c, inv)
	for _, kind := range []struct{ list, get, label string }{
		{procRegList, procRegGet, "procedure"},
		{procSubList, procSubGet, "topic"},
	} {
		lines, err := listKind(ctx, c, inv, kind.list, kind.get, kind.label)
		if err != nil {
			return err
		}
		for _, l := range lines {
			fmt.Fprintln(out, l)
		}
	}
	return nil
}

// listKind calls a meta list procedure ({"exact": [ids], "prefix": [...],
// "wildcard": [...]}) and a get per id for its URI.
func listKind(ctx context.Context, c *device.Client, inv *invocation, list, get, label string) ([]string, error) {
	cctx, cancel := context.WithTimeout(ctx, inv.timeout)
	defer cancel()
	res, err := c.Call(cctx, wamp.URI(list), wamp.Payload{}, nil)
	if err != nil {
		if errors.Is(err, wamp.ErrNoSuchProcedure) {
			return nil, errNoMetaAPI
		}
		return nil, fmt.Errorf("%s: %w", list, err)
	}
	if len(res.Args) != 1 {
		return nil, fmt.Errorf("%s: unexpected result %v", list, res.Args)
	}
	groups, ok := res.Args[0].(wamp.Dict)
	if !ok {
		if m, ok2 := res.Args[0].(map[string]any); ok2 {
			groups, ok = wamp.Dict(m), true
		}
	}
	if !ok {
		return nil, fmt.Errorf("%s: unexpected result %T", list, res.Args[0])
	}
	var lines []string
	for _, match := range []string{"exact", "prefix", "wildcard"} {
		ids, _ := wamp.OptList(groups, match)
		for _, id := range ids {
			uri := fmt.Sprint(id)
			if r, err := c.Call(cctx, wamp.URI(get), wamp.Payload{Args: wamp.List{id}}, nil); err == nil && len(r.Args) == 1 {
				if d, ok := r.Args[0].(wamp.Dict); ok {
					if u, ok := wamp.OptString(d, "uri"); ok {
						uri = u
					}
				} else if d, ok := r.Args[0].(map[string]any); ok {
					if u, ok := d["uri"].(string); ok {
						uri = u
					}
				}
			}
			lines = append(lines, fmt.Sprintf("%s %s (%s)", label, uri, match))
		}
	}
	slices.Sort(lines)
	return lines, nil
}
