package device

import (
	"context"
	"time"

	"github.com/edgewamp/edgewamp/peer"
	"github.com/edgewamp/edgewamp/rawsocket"
	"github.com/edgewamp/edgewamp/wamp"
)

// Defaults applied by [Config] to its zero fields.
const (
	DefaultRealm                    wamp.URI = "realm1"
	DefaultSerializer                        = "msgpack"
	DefaultJoinTimeout                       = 10 * time.Second
	DefaultMaxConcurrentInvocations          = 64
	DefaultEventQueue                        = 256
	// DefaultProgressQueue is the number of progressive RESULTs held for one
	// call while its Progress callback is busy; more are dropped and counted.
	DefaultProgressQueue = 256
	// DefaultChunkQueue is the number of chunks of a streamed invocation
	// held for its handler; a full queue fails the invocation.
	DefaultChunkQueue = 16
	// The defaults of [Reconnect]'s fields.
	DefaultMinBackoff   = 500 * time.Millisecond
	DefaultMaxBackoff   = 30 * time.Second
	DefaultOfflineQueue = 1000
)

// Config configures a [Client]. The zero value is usable: every zero field
// means the default stated in its comment. A Config is read once by [Dial] or
// [NewClient] and not retained by reference, so it may be reused.
type Config struct {
	// Realm to join. Default "realm1".
	Realm wamp.URI

	// Serializer names the serializer [Dial] asks for: "msgpack", "json" or "cbor".
	// A "serializer" query parameter in the URL overrides it. Default: the
	// transport's own ("msgpack" for RawSocket and serial, "json" for
	// WebSocket). NewClient ignores it (the transport already has one).
	Serializer string

	// HelloDetails are extra HELLO details (authid, authmethods, authextra,
	// agent, ...). They are merged over the defaults; "roles" is always
	// wamp.ClientRoles() unless given here.
	HelloDetails wamp.Dict

	// Auth holds the credentials to authenticate with: authid, authrole,
	// ticket, WAMP-CRA secret, cryptosign key or key file (see package
	// auth). When it has any, HELLO announces authmethods (strongest
	// first: cryptosign, wampcra, ticket, then Auth.Custom), authid,
	// authrole and authextra (cryptosign's pubkey), each of which
	// HelloDetails may still override, and a CHALLENGE for one of those
	// methods is answered from it. A CHALLENGE for a method it does not
	// offer goes to Authenticate when set, else the client answers ABORT
	// wamp.error.authentication_failed and the join fails with an error
	// wrapping auth.ErrMethodNotOffered. Bad credentials (no authid for
	// ticket or wampcra, an unreadable key) fail the join before HELLO
	// with an error wrapping auth.ErrBadCredentials or the key file's
	// error. Default: none (anonymous).
	Auth Credentials

	// Authenticate answers a CHALLENGE during the join (for methods that
	// Auth does not offer: custom ones, announced through HelloDetails).
	// When nil and Auth offers nothing, a CHALLENGE makes the join fail
	// cleanly with an error wrapping wamp.ErrAuthenticationFailed (the
	// client answers ABORT).
	Authenticate func(ctx context.Context, c *wamp.Challenge) (*wamp.Authenticate, error)

	// JoinTimeout bounds the whole join (HELLO to WELCOME, including any
	// authentication round trips). Default 10s.
	JoinTimeout time.Duration

	// Peer configures the outbound queue and write timeout (peer package
	// defaults: 256 messages, 1 MiB, 10s).
	Peer peer.Config

	// MaxConcurrentInvocations is the number of handlers that may run at
	// once; an INVOCATION beyond it is answered at once with ERROR
	// wamp.error.unavailable and counted in Stats.InvocationsRejected.
	// Default 64.
	MaxConcurrentInvocations int

	// EventQueue is the number of events waiting for the event dispatcher
	// (an EVENT for two local subscriptions to one topic counts twice); an
	// event arriving while it is full is dropped and counted in
	// Stats.EventsDropped. Default 256.
	EventQueue int

	// ProgressQueue is the number of progressive RESULTs held for one call
	// while its Progress callback is busy; more are dropped and counted in
	// Stats.ProgressDropped. Default 256.
	ProgressQueue int

	// ChunkQueue is the number of chunks of a streamed invocation (a
	// caller's progressive call invocations) held while its handler has
	// not read them with [Invocation.Recv]; a chunk that finds it full
	// fails the invocation with wamp.error.unavailable. Default 16.
	ChunkQueue int

	// TLS configures rss:// and wss:// connections (crypto/tls's Config;
	// an empty struct in an edgewamp_notls build, which refuses TLS).
	// Default: the system roots, ServerName taken from the URL's host.
	// With Reconnect on, the client dials with a copy that keeps the TLS
	// session for resumption (see [TLSWithResumption]).
	TLS *rawsocket.TLSConfig

	// Transport tunes the connection [Dial] opens: largest message
	// accepted, handshake timeout, keepalive (each transport's defaults
	// when zero; see wamp.DialOptions). Serializer and TLS above win over
	// its own.
	Transport wamp.DialOptions

	// Dialers maps URL schemes that [DialTransport] does not know itself
	// ("ws", "wss", "serial", ...) to the transports' dialers, e.g.
	// wstransport.DialURL. Default: none.
	Dialers map[string]wamp.Dialer

	// Reconnect turns reconnection on and tunes it: backoff, offline
	// queue. Default off.
	Reconnect Reconnect

	// Logger receives the client's logs (join, leave, drops at a limited
	// rate; nothing per message at Info). A *slog.Logger fits. Default
	// slog.Default(); in a build with the edgewamp_noslog tag, which links
	// no log/slog, text lines on standard error from level Info.
	Logger Logger
}

// withDefaults returns a copy of cfg with its zero fields set to defaults.
func (cfg Config) withDefaults() Config {
	if cfg.Realm == "" {
		cfg.Realm = DefaultRealm
	}
	if cfg.JoinTimeout <= 0 {
		cfg.JoinTimeout = DefaultJoinTimeout
	}
	if cfg.MaxConcurrentInvocations <= 0 {
		cfg.MaxConcurrentInvocations = DefaultMaxConcurrentInvocations
	}
	if cfg.EventQueue <= 0 {
		cfg.EventQueue = DefaultEventQueue
	}
	if cfg.ProgressQueue <= 0 {
		cfg.ProgressQueue = DefaultProgressQueue
	}
	if cfg.ChunkQueue <= 0 {
		cfg.ChunkQueue = DefaultChunkQueue
	}
	if cfg.Logger == nil {
		cfg.Logger = DefaultLogger()
	}
	if r := &cfg.Reconnect; r.Enabled {
		if r.MinBackoff <= 0 {
			r.MinBackoff = DefaultMinBackoff
		}
		if r.MaxBackoff <= 0 {
			r.MaxBackoff = DefaultMaxBackoff
		}
		r.MaxBackoff = max(r.MaxBackoff, r.MinBackoff)
		if r.OfflineQueue <= 0 {
			r.OfflineQueue = DefaultOfflineQueue
		}
	}
	return cfg
}

// Cancel modes of [CallOptions.CancelMode] (WAMP advanced profile, call canceling).
const (
	CancelKillNoWait = "killnowait"
	CancelKill       = "kill"
	CancelSkip       = "skip"
)

// CallOptions are the per-call options of [Client.Call]; nil means all defaults.
// It is only read, so one value may be shared by concurrent calls.
type CallOptions struct {
	// Timeout, when positive, is sent to the router as options.timeout (in
	// milliseconds; the router then answers ERROR wamp.error.timeout) and
	// also bounds the call locally, a little later (Timeout + 10% + 50ms) so
	// that the router's answer wins: when the local deadline passes, the
	// client sends CANCEL and Call returns an error matching both
	// wamp.ErrTimeout and context.DeadlineExceeded. Default: none.
	Timeout time.Duration

	// Progress, when set, asks for progressive results (receive_progress)
	// and is called with each progressive RESULT, in order, on the calling
	// goroutine before Call returns the final result. Progressive results
	// that arrive faster than Progress handles them are queued
	// (Config.ProgressQueue) and beyond that dropped and counted.
	Progress func(wamp.Payload)

	// DiscloseMe asks the router to disclose the caller's session to the callee.
	DiscloseMe bool

	// CancelMode is the CANCEL mode sent when ctx ends before the result:
	// "killnowait" (default), "kill" or "skip". Call returns at once in
	// every mode. CANCEL is only sent to a dealer that announced the
	// call_canceling feature in WELCOME.
	CancelMode string

	// Extra holds further options, sent as they are: e.g. the ppt_*
	// options of a payload in passthru mode (package e2ee's Seal makes
	// them). Keys of the fields above win over Extra's. The board builds
	// (tag edgewamp_board) do not send it.
	Extra wamp.Dict
}

// RegisterOptions are the per-registration options of [Client.Register]; nil
// means all defaults.
// It is only read, so one value may be shared by concurrent calls.
type RegisterOptions struct {
	_ [0]func() // not comparable: no equality function to link
	// Match is the procedure's match policy; "" or [wamp.ExactMatch] (the
	// default) is sent as nothing.
	Match wamp.MatchPolicy
	// Invoke is the shared-registration policy: "single" (default, sent as
	// nothing), "roundrobin", "random", "first" or "last".
	Invoke string
	// DiscloseCaller asks the router to disclose callers to this callee.
	DiscloseCaller bool
}

// PublishOptions are the per-publication options of [Client.Publish]; nil
// means all defaults.
// It is only read, so one value may be shared by concurrent calls.
type PublishOptions struct {
	// Acknowledge makes Publish wait for the router's PUBLISHED or ERROR.
	Acknowledge bool
	// IncludeMe lets the publisher receive the event too when it subscribes
	// to the topic (sent as exclude_me false). By default (false, sent as
	// nothing) the router excludes the publisher, as the spec says; to send
	// exclude_me true explicitly, put it in Extra.
	IncludeMe bool
	// Exclude lists sessions that must not receive the event.
	Exclude []wamp.ID
	// Eligible, when non-empty, lists the only sessions that may receive it.
	Eligible []wamp.ID
	// DiscloseMe asks the router to disclose the publisher to subscribers.
	DiscloseMe bool
	// Extra holds implementation-specific options, sent as they are; the
	// spec has their keys start with "_" (routers ignore keys they do not
	// know). Keys of the fields above win over Extra's.
	Extra wamp.Dict
}

// SubscribeOptions are the per-subscription options of [Client.Subscribe];
// nil means all defaults.
// It is only read, so one value may be shared by concurrent calls.
type SubscribeOptions struct {
	// Match is the topic's match policy; "" or [wamp.ExactMatch] (the
	// default) is sent as nothing.
	Match wamp.MatchPolicy
}

// The dict methods return the options as sent; nil (encoded as {}) when
// there are none, to save an allocation per message.

func (o *CallOptions) dict() wamp.Dict {
	noExtra := !passthru || o == nil || o.Extra == nil
	if o == nil || (o.Timeout <= 0 && o.Progress == nil && !o.DiscloseMe && noExtra) {
		return nil
	}
	if o.Timeout <= 0 && !o.DiscloseMe && noExtra {
		return receiveProgressOnly
	}
	d := wamp.Dict{}
	if passthru {
		for k, v := range o.Extra {
			d[k] = v
		}
	}
	if o.Timeout > 0 {
		ms := o.Timeout.Milliseconds()
		if ms == 0 {
			ms = 1
		}
		d["timeout"] = ms
	}
	if o.Progress != nil {
		d["receive_progress"] = true
	}
	if o.DiscloseMe {
		d["disclose_me"] = true
	}
	return d
}

func (o *RegisterOptions) dict() wamp.Dict {
	d := wamp.Dict{}
	if o == nil {
		return d
	}
	putMatch(d, o.Match)
	if o.Invoke != "" && o.Invoke != "single" {
		d["invoke"] = o.Invoke
	}
	if o.DiscloseCaller {
		d["disclose_caller"] = true
	}
	return d
}

// Shared, read-only option dictionaries for the common cases, so that an
// acknowledged PUBLISH or a progressive CALL builds no map. The encoder only
// reads them and the pooled messages that point to them are zeroed after
// sending, so nothing ever writes to them.
var (
	acknowledgeOnly     = wamp.Dict{"acknowledge": true}
	receiveProgressOnly = wamp.Dict{"receive_progress": true}
)

// extraOnly reports whether o sets no option but Acknowledge and Extra.
func (o *PublishOptions) extraOnly() bool {
	return !o.IncludeMe && len(o.Exclude) == 0 && len(o.Eligible) == 0 && !o.DiscloseMe
}

func (o *PublishOptions) dict() wamp.Dict {
	if o == nil {
		return nil
	}
	if o.extraOnly() && len(o.Extra) == 0 {
		if o.Acknowledge {
			return acknowledgeOnly
		}
		return nil
	}
	d := wamp.Dict{}
	for k, v := range o.Extra {
		d[k] = v
	}
	if o.Acknowledge {
		d["acknowledge"] = true
	}
	if o.IncludeMe {
		d["exclude_me"] = false
	}
	if len(o.Exclude) > 0 {
		d["exclude"] = idList(o.Exclude)
	}
	if len(o.Eligible) > 0 {
		d["eligible"] = idList(o.Eligible)
	}
	if o.DiscloseMe {
		d["disclose_me"] = true
	}
	return d
}

func (o *SubscribeOptions) dict() wamp.Dict {
	d := wamp.Dict{}
	if o != nil {
		putMatch(d, o.Match)
	}
	return d
}

// putMatch sets d's "match" option to p unless p is the default.
func putMatch(d wamp.Dict, p wamp.MatchPolicy) {
	if p != "" && p != wamp.ExactMatch {
		d["match"] = string(p)
	}
}

func idList(ids []wamp.ID) wamp.List {
	l := make(wamp.List, len(ids))
	for i, id := range ids {
		l[i] = uint64(id)
	}
	return l
}
