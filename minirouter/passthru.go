package minirouter

import (
	"strings"

	"github.com/edgewamp/edgewamp/wamp"
)

// Payload passthru mode (WAMP advanced profile): a PUBLISH, CALL or YIELD
// whose options carry ppt_scheme has an opaque payload (one item in
// Arguments, no ArgumentsKw: an MQTT message, an end-to-end encrypted
// payload) that the router forwards untouched, with the ppt_* options
// copied into the EVENT, INVOCATION or RESULT details (ERROR details are
// forwarded whole already). The router checks only their shape, never
// the payload.

// pptKeys are the passthru options forwarded as they are.
var pptKeys = [...]string{"ppt_scheme", "ppt_serializer", "ppt_cipher", "ppt_keyid"}

// pptRoles are the client roles that announced payload_passthru_mode.
type pptRoles uint8

const (
	pptPublisher pptRoles = 1 << iota
	pptSubscriber
	pptCaller
	pptCallee
)

// announcedPPT reads the roles that announced the feature in HELLO.
func announcedPPT(hello wamp.Dict) pptRoles {
	var r pptRoles
	for i, role := range [...]string{wamp.RolePublisher, wamp.RoleSubscriber, wamp.RoleCaller, wamp.RoleCallee} {
		if wamp.HasFeature(hello, role, wamp.FeaturePayloadPassthruMode) {
			r |= 1 << i
		}
	}
	return r
}

// validPPTScheme reports whether s is a scheme the spec defines ("wamp",
// its "wamp.*" variants such as "wamp.eth", "mqtt") or a custom one ("x_...").
func validPPTScheme(s string) bool {
	return s == "wamp" || s == "mqtt" || strings.HasPrefix(s, "wamp.") || (strings.HasPrefix(s, "x_") && len(s) > 2)
}

// pptOf returns the passthru options of opts, nil when it has none; msg
// says what is wrong with malformed ones (ERROR wamp.error.invalid_argument).
func pptOf(opts wamp.Dict, p *wamp.Payload) (ppt wamp.Dict, msg string) {
	if len(opts) == 0 {
		return nil, ""
	}
	for _, k := range pptKeys {
		v, present := opts[k]
		if !present {
			continue
		}
		s, ok := v.(string)
		if !ok || s == "" {
			return nil, k + " must be a non-empty string"
		}
		if ppt == nil {
			ppt = make(wamp.Dict, len(pptKeys))
		}
		ppt[k] = s
	}
	if ppt == nil {
		return nil, ""
	}
	if scheme, _ := ppt["ppt_scheme"].(string); !validPPTScheme(scheme) {
		return nil, "ppt_scheme must be wamp, mqtt or x_<custom>"
	}
	if len(p.Args) != 1 || len(p.Kwargs) != 0 {
		return nil, "a passthru payload is one item in Arguments and no ArgumentsKw"
	}
	return ppt, ""
}

// pptViolation returns the protocol violation of a session that uses
// passthru in a role for which it did not announce the feature (the spec:
// abort with wamp.error.protocol_violation), or nil.
func (s *session) pptViolation(m wamp.Message) error {
	var opts wamp.Dict
	var role pptRoles
	switch m := m.(type) {
	case *wamp.Publish:
		opts, role = m.Options, pptPublisher
	case *wamp.Call:
		opts, role = m.Options, pptCaller
	case *wamp.Yield:
		opts, role = m.Options, pptCallee
	default:
		return nil
	}
	if _, used := opts["ppt_scheme"]; !used || s.ppt&role != 0 {
		return nil
	}
	return s.violation(m.Type().String() + " in payload passthru mode without payload_passthru_mode announced")
}

// pptInvocation adds a CALL's passthru options to its INVOCATION's
// details, and reports false after answering the caller with an ERROR
// when the options are malformed or the callee did not announce the
// feature. rl.mu must be held.
func (rl *realm) pptInvocation(s *session, m *wamp.Call, callee *session, details wamp.Dict) bool {
	ppt, msg := pptOf(m.Options, &m.Payload)
	switch {
	case msg != "":
		s.reply(errorFor(wamp.CALL, m.Request, wamp.ErrInvalidArgument.URI, msg))
		return false
	case ppt != nil && callee.ppt&pptCallee == 0:
		s.reply(errorFor(wamp.CALL, m.Request, wamp.ErrFeatureNotSupported.URI,
			"the callee did not announce payload_passthru_mode"))
		return false
	}
	for k, v := range ppt {
		details[k] = v
	}
	return true
}

// pptResult adds a YIELD's passthru options to its RESULT's details. It
// reports false, after ending the call with an ERROR to its caller, when
// they are malformed or the caller did not announce the feature (the
// call cannot be answered otherwise). rl.mu must be held.
func (rl *realm) pptResult(c *call, m *wamp.Yield, details wamp.Dict) bool {
	ppt, msg := pptOf(m.Options, &m.Payload)
	uri := wamp.ErrInvalidArgument.URI
	if msg == "" && ppt != nil && c.caller.ppt&pptCaller == 0 {
		uri, msg = wamp.ErrFeatureNotSupported.URI, "the caller did not announce payload_passthru_mode"
	}
	if msg != "" {
		rl.finish(c)
		c.caller.reply(errorFor(wamp.CALL, c.callerReq, uri, "callee's result refused: "+msg))
		return false
	}
	for k, v := range ppt {
		details[k] = v
	}
	return true
}
