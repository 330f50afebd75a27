package wamp

import "strings"

// Error is a WAMP error as a Go error: the URI of an ERROR or ABORT message
// and the payload that came with it. Two Errors match under errors.Is when
// their URIs are equal, so
//
//	errors.Is(err, wamp.ErrNoSuchProcedure)
//
// holds for any error that wraps an *Error with URI "wamp.error.no_such_procedure",
// whatever its payload. A handler that returns an *Error picks the URI sent
// to its caller. Error values are immutable once made; the predefined ones must
// not be modified.
type Error struct {
	URI     URI
	Details Dict
	Payload
}

// NewError returns an Error with the given URI and positional arguments.
func NewError(uri URI, args ...any) *Error {
	e := &Error{URI: uri}
	if len(args) > 0 {
		e.Args = List(args)
	}
	return e
}

// Error returns the URI, followed by the first argument when it is a string.
func (e *Error) Error() string {
	if len(e.Args) > 0 {
		if s, ok := e.Args[0].(string); ok && s != "" {
			return string(e.URI) + ": " + s
		}
	}
	return string(e.URI)
}

// Is reports whether target is an *Error with the same URI.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t != nil && e != nil && t.URI == e.URI
}

// IsCloseReason reports whether u is a "wamp.close.*" URI (used in GOODBYE and ABORT).
func IsCloseReason(u URI) bool { return strings.HasPrefix(string(u), "wamp.close.") }

// Err converts the ERROR message to an *Error carrying its URI, details and payload.
func (m *ErrorMessage) Err() *Error {
	return &Error{URI: m.Error, Details: m.Details, Payload: m.Payload}
}

// Standard URIs of the WAMP specification (basic and advanced profiles), each
// as an *Error to match with errors.Is.
var (
	// Interaction and session close.
	ErrInvalidURI                 = &Error{URI: "wamp.error.invalid_uri"}
	ErrNoSuchProcedure            = &Error{URI: "wamp.error.no_such_procedure"}
	ErrProcedureAlreadyExists     = &Error{URI: "wamp.error.procedure_already_exists"}
	ErrNoSuchRegistration         = &Error{URI: "wamp.error.no_such_registration"}
	ErrNoSuchSubscription         = &Error{URI: "wamp.error.no_such_subscription"}
	ErrInvalidArgument            = &Error{URI: "wamp.error.invalid_argument"}
	ErrProtocolViolation          = &Error{URI: "wamp.error.protocol_violation"}
	ErrNotAuthorized              = &Error{URI: "wamp.error.not_authorized"}
	ErrAuthorizationFailed        = &Error{URI: "wamp.error.authorization_failed"}
	ErrAuthenticationFailed       = &Error{URI: "wamp.error.authentication_failed"}
	ErrNoAuthMethod               = &Error{URI: "wamp.error.no_auth_method"}
	ErrNoSuchRealm                = &Error{URI: "wamp.error.no_such_realm"}
	ErrNoSuchRole                 = &Error{URI: "wamp.error.no_such_role"}
	ErrNoSuchPrincipal            = &Error{URI: "wamp.error.no_such_principal"}
	ErrNoSuchSession              = &Error{URI: "wamp.error.no_such_session"}
	ErrCanceled                   = &Error{URI: "wamp.error.canceled"}
	ErrTimeout                    = &Error{URI: "wamp.error.timeout"}
	ErrOptionNotAllowed           = &Error{URI: "wamp.error.option_not_allowed"}
	ErrOptionDisallowedDiscloseMe = &Error{URI: "wamp.error.option_disallowed.disclose_me"}
	ErrNoEligibleCallee           = &Error{URI: "wamp.error.no_eligible_callee"}
	ErrNetworkFailure             = &Error{URI: "wamp.error.network_failure"}
	ErrUnavailable                = &Error{URI: "wamp.error.unavailable"}
	ErrNoAvailableCallee          = &Error{URI: "wamp.error.no_available_callee"}
	ErrFeatureNotSupported        = &Error{URI: "wamp.error.feature_not_supported"}
	ErrPayloadSizeExceeded        = &Error{URI: "wamp.error.payload_size_exceeded"}
	ErrRuntimeError               = &Error{URI: "wamp.error.runtime_error"}

	// Authentication and authorization URIs of the advanced profile
	// ("Advanced Profile URIs"). The spec names the no-matching-method
	// error "wamp.error.no_matching_auth_method"; Autobahn and Crossbar
	// send "wamp.error.no_auth_method" (ErrNoAuthMethod above).
	ErrNoMatchingAuthMethod   = &Error{URI: "wamp.error.no_matching_auth_method"}
	ErrAuthenticationDenied   = &Error{URI: "wamp.error.authentication_denied"}
	ErrAuthenticationRequired = &Error{URI: "wamp.error.authentication_required"}
	ErrAuthorizationDenied    = &Error{URI: "wamp.error.authorization_denied"}
	ErrAuthorizationRequired  = &Error{URI: "wamp.error.authorization_required"}

	CloseNormal         = &Error{URI: "wamp.close.normal"}
	CloseSystemShutdown = &Error{URI: "wamp.close.system_shutdown"}
	CloseRealm          = &Error{URI: "wamp.close.close_realm"}
	CloseGoodbyeAndOut  = &Error{URI: "wamp.close.goodbye_and_out"}
	CloseKilled         = &Error{URI: "wamp.close.killed"}
)
