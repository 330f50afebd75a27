package main

import (
	"context"
	"fmt"

	"github.com/edgewamp/edgewamp/device"
	"github.com/edgewamp/edgewamp/minirouter"
	"github.com/edgewamp/edgewamp/wamp"
)

// permissionsProcedure, in the first realm, tells the calling session what
// it may do there, so that the dashboard shows only the controls its user
// may use (the router still refuses a call made anyway). The router
// discloses the caller; every role may call it unless the realm's
// permissions deny it (see internalCredentials).
//
//	sensorbridge.permissions([uri, ...], {"action": "call"})
//	  -> kwargs {"authid", "authrole", "action", "allowed": {uri: bool}}
//
// action is "call" (the default), "register", "publish" or "subscribe";
// at most maxPermissionURIs URIs per call.
const permissionsProcedure wamp.URI = "sensorbridge.permissions"

// maxPermissionURIs bounds the URIs one permissionsProcedure call asks
// about.
const maxPermissionURIs = 256

// permissions answers permissionsProcedure for the first realm.
func (gw *gateway) permissions(_ context.Context, inv *device.Invocation) (wamp.Payload, error) {
	authid, ok1 := inv.Details["caller_authid"].(string)
	authrole, ok2 := inv.Details["caller_authrole"].(string)
	if !ok1 || !ok2 {
		return wamp.Payload{}, wamp.NewError(wamp.ErrUnavailable.URI, "the router did not disclose the caller")
	}
	action := minirouter.ActionCall
	if v, found := inv.Kwargs["action"]; found {
		s, isString := v.(string)
		if !isString {
			return wamp.Payload{}, wamp.NewError(wamp.ErrInvalidArgument.URI, "action: want call, register, publish or subscribe")
		}
		action = s
	}
	if len(inv.Args) > maxPermissionURIs {
		return wamp.Payload{}, wamp.NewError(wamp.ErrInvalidArgument.URI, fmt.Sprintf("at most %d URIs per call", maxPermissionURIs))
	}
	allowed := wamp.Dict{}
	for _, v := range inv.Args {
		uri, isString := v.(string)
		if !isString {
			return wamp.Payload{}, wamp.NewError(wamp.ErrInvalidArgument.URI, "arguments: URIs (strings)")
		}
		ok, err := gw.r.Allowed(gw.realm.Name, authid, authrole, action, wamp.URI(uri))
		if err != nil {
			return wamp.Payload{}, wamp.NewError(wamp.ErrInvalidArgument.URI, err.Error())
		}
		allowed[uri] = ok
	}
	return wamp.Payload{Kwargs: wamp.Dict{"authid": authid, "authrole": authrole, "action": action, "allowed": allowed}}, nil
}
