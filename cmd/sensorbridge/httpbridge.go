package main

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/edgewamp/edgewamp/auth"
	"github.com/edgewamp/edgewamp/device"
	"github.com/edgewamp/edgewamp/minirouter"
	"github.com/edgewamp/edgewamp/wamp"
)

// The HTTP bridge's bounds: a request body of at most bridgeMaxBody bytes;
// a call lasts at most bridgeMaxTimeout (bridgeDefaultTimeout unless its
// options.timeout asks for less); at most bridgeMaxSessions sessions are
// kept joined, one per set of credentials, the least recently used closed
// first.
const (
	bridgeMaxBody        = 64 << 10
	bridgeDefaultTimeout = 10 * time.Second
	bridgeMaxTimeout     = 60 * time.Second
	bridgeMaxSessions    = 32
)

// httpBridge serves POST /call/<procedure> and POST /publish/<topic> on the
// first realm. Each request is made by a WAMP session joined in process as
// the request's user (HTTP Basic authid:ticket, or "Bearer <ticket>" with
// the authid in the X-Authid header or found by its ticket), so the
// router authenticates it and its permissions apply exactly as to a WAMP
// client of that authid; without credentials the session is anonymous,
// which the realm admits or not.
type httpBridge struct {
	r     *minirouter.Router
	realm minirouter.RealmConfig // as the router has it (with the internal user)
	log   *slog.Logger

	mu       sync.Mutex
	sessions map[[32]byte]*bridgeSession // by credsKey
	tick     uint64                      // use counter, for least recently used
}

// bridgeSession is one cached session of the bridge.
type bridgeSession struct {
	c       *device.Client
	lastUse uint64
}

// bridgeRequest is a request's JSON body; every key is optional.
type bridgeRequest struct {
	Args    wamp.List `json:"args"`
	Kwargs  wamp.Dict `json:"kwargs"`
	Options wamp.Dict `json:"options"`
}

// errNoCredentials is a request without credentials to a realm that admits
// no anonymous session, or with malformed ones.
var errNoCredentials = errors.New("credentials required")

func newHTTPBridge(r *minirouter.Router, realm minirouter.RealmConfig, log *slog.Logger) *httpBridge {
	return &httpBridge{r: r, realm: realm, log: log, sessions: map[[32]byte]*bridgeSession{}}
}

// ServeHTTP answers one bridge request: 200 with {"args", "kwargs"} (a
// call's result) or {} (a publication acknowledged), or an error status
// with {"error": URI, "args", "kwargs"}.
func (b *httpBridge) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	if req.Method != http.MethodPost {
		w.Header().Set("Allow", "POST")
		writeBridgeError(w, http.StatusMethodNotAllowed, wamp.NewError("wamp.error.invalid_argument", "POST only"))
		return
	}
	action, uri, _ := strings.Cut(strings.TrimPrefix(req.URL.Path, "/"), "/")
	creds, err := b.credentials(req)
	if err != nil {
		unauthorized(w, err)
		return
	}
	var body bridgeRequest
	if err := decodeBridgeBody(w, req, &body); err != nil {
		return
	}
	c, err := b.session(req.Context(), creds)
	if err != nil {
		if isAuthRefusal(err) {
			unauthorized(w, err)
			return
		}
		writeBridgeError(w, http.StatusBadGateway, wamp.NewError("wamp.error.unavailable", err.Error()))
		return
	}
	p := wamp.Payload{Args: body.Args, Kwargs: body.Kwargs}
	switch action {
	case "call":
		o, err := bridgeCallOptions(body.Options)
		if err != nil {
			writeBridgeError(w, http.StatusBadRequest, wamp.NewError(wamp.ErrInvalidArgument.URI, err.Error()))
			return
		}
		ctx, cancel := context.WithTimeout(req.Context(), o.Timeout+time.Second)
		defer cancel()
		res, err := c.Call(ctx, wamp.URI(uri), p, o)
		if err != nil {
			b.writeError(w, err)
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"args": nonNilList(res.Args), "kwargs": nonNilDict(res.Kwargs)})
	case "publish":
		ctx, cancel := context.WithTimeout(req.Context(), bridgeDefaultTimeout)
		defer cancel()
		err := c.Publish(ctx, wamp.URI(uri), p, &device.PublishOptions{Acknowledge: true, Extra: body.Options})
		if err != nil {
			b.writeError(w, err)
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{})
	}
}

// credentials reads the request's Authorization header: HTTP Basic
// (authid:ticket), or Bearer with a ticket and the authid in X-Authid or,
// without it, the one user of the realm with that ticket. No header: the
// zero Credentials (anonymous), when the realm admits anonymous sessions.
func (b *httpBridge) credentials(req *http.Request) (auth.Credentials, error) {
	h := req.Header.Get("Authorization")
	if h == "" {
		if b.realm.AllowAnonymous || len(b.realm.Users) == 0 {
			return auth.Credentials{}, nil
		}
		return auth.Credentials{}, errNoCredentials
	}
	var cr auth.Credentials
	if id, ticket, ok := req.BasicAuth(); ok {
		cr = auth.Credentials{AuthID: id, Ticket: ticket}
	} else if scheme, ticket, _ := strings.Cut(h, " "); strings.EqualFold(scheme, "Bearer") && ticket != "" {
		cr = auth.Credentials{AuthID: req.Header.Get("X-Authid"), Ticket: strings.TrimSpace(ticket)}
		if cr.AuthID == "" {
			cr.AuthID = b.authIDOfTicket(cr.Ticket)
		}
	}
	// sensorbridge's own user is never reachable from outside.
	if cr.AuthID == "" || cr.Ticket == "" || cr.AuthID == internalAuthID {
		return auth.Credentials{}, errNoCredentials
	}
	return cr, nil
}

// authIDOfTicket returns the authid of the one user with that ticket ("" if
// none or several), comparing every ticket in constant time.
func (b *httpBridge) authIDOfTicket(ticket string) string {
	found, n := "", 0
	for _, u := range b.realm.Users {
		if u.Ticket != "" && subtle.ConstantTimeCompare([]byte(u.Ticket), []byte(ticket)) == 1 {
			found, n = u.AuthID, n+1
		}
	}
	if n != 1 {
		return ""
	}
	return found
}

// credsKey is the cache key of a set of credentials: a hash, so that the
// cache holds no ticket, and a request finds a session only with the very
// credentials that joined it.
func credsKey(cr auth.Credentials) [32]byte {
	return sha256.Sum256([]byte(cr.AuthID + "\x00" + cr.Ticket))
}

// session returns a joined session for cr, joining one (through the
// router's in-process transport, so the router authenticates it) when the
// cache has none alive.
func (b *httpBridge) session(ctx context.Context, cr auth.Credentials) (*device.Client, error) {
	key := credsKey(cr)
	b.mu.Lock()
	if s := b.sessions[key]; s != nil {
		select {
		case <-s.c.Done():
			delete(b.sessions, key)
		default:
			b.tick++
			s.lastUse = b.tick
			b.mu.Unlock()
			return s.c, nil
		}
	}
	b.mu.Unlock()

	jctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	t, err := b.r.Connect(jctx)
	if err != nil {
		return nil, fmt.Errorf("http bridge: connect: %w", err)
	}
	c, err := device.NewClient(jctx, t, device.Config{Realm: b.realm.Name, Auth: cr, Logger: b.log})
	if err != nil {
		return nil, fmt.Errorf("http bridge: join as %q: %w", cr.AuthID, err)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if s := b.sessions[key]; s != nil { // another request joined meanwhile
		c.Close()
		return s.c, nil
	}
	if len(b.sessions) >= bridgeMaxSessions {
		var oldest [32]byte
		var min uint64
		first := true
		for k, s := range b.sessions {
			if first || s.lastUse < min {
				oldest, min, first = k, s.lastUse, false
			}
		}
		b.sessions[oldest].c.Close()
		delete(b.sessions, oldest)
	}
	b.tick++
	b.sessions[key] = &bridgeSession{c: c, lastUse: b.tick}
	return c, nil
}

// Close leaves every cached session.
func (b *httpBridge) Close() {
	b.mu.Lock()
	defer b.mu.Unlock()
	for k, s := range b.sessions {
		s.c.Close()
		delete(b.sessions, k)
	}
}

// isAuthRefusal reports whether a join failed for its credentials.
func isAuthRefusal(err error) bool {
	return errors.Is(err, wamp.ErrAuthenticationFailed) || errors.Is(err, wamp.ErrNoAuthMethod) ||
		errors.Is(err, wamp.ErrNotAuthorized) || errors.Is(err, wamp.ErrNoSuchPrincipal) ||
		errors.Is(err, wamp.ErrAuthorizationFailed)
}

// unauthorized answers 401 with a Basic challenge.
func unauthorized(w http.ResponseWriter, err error) {
	w.Header().Set("WWW-Authenticate", `Basic realm="edgewamp", charset="UTF-8"`)
	writeBridgeError(w, http.StatusUnauthorized, wamp.NewError(wamp.ErrAuthenticationFailed.URI, err.Error()))
}

// decodeBridgeBody reads the JSON body into v, answering 413 or 400 itself
// (and returning an error) when it is too large or malformed. An empty
// body is no arguments.
func decodeBridgeBody(w http.ResponseWriter, req *http.Request, v *bridgeRequest) error {
	data, err := io.ReadAll(http.MaxBytesReader(w, req.Body, bridgeMaxBody))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			writeBridgeError(w, http.StatusRequestEntityTooLarge, wamp.NewError(wamp.ErrInvalidArgument.URI,
				fmt.Sprintf("body larger than %d bytes", bridgeMaxBody)))
		} else {
			writeBridgeError(w, http.StatusBadRequest, wamp.NewError(wamp.ErrInvalidArgument.URI, "reading the body: "+err.Error()))
		}
		return err
	}
	if len(strings.TrimSpace(string(data))) == 0 {
		return nil
	}
	dec := json.NewDecoder(strings.NewReader(string(data)))
	dec.UseNumber()
	dec.DisallowUnknownFields()
	err = dec.Decode(v)
	if err == nil && dec.More() {
		err = errors.New("more than one JSON value")
	}
	if err != nil {
		writeBridgeError(w, http.StatusBadRequest, wamp.NewError(wamp.ErrInvalidArgument.URI,
			"the body must be a JSON object with args, kwargs and options: "+err.Error()))
		return err
	}
	for i := range v.Args {
		v.Args[i] = jsonNumbers(v.Args[i])
	}
	for k, x := range v.Kwargs {
		v.Kwargs[k] = jsonNumbers(x)
	}
	for k, x := range v.Options {
		v.Options[k] = jsonNumbers(x)
	}
	return nil
}

// jsonNumbers replaces the json.Numbers in v by int64 where they are
// integers and float64 otherwise, as a WAMP serializer would decode them.
func jsonNumbers(v any) any {
	switch x := v.(type) {
	case json.Number:
		if i, err := x.Int64(); err == nil {
			return i
		}
		f, _ := x.Float64()
		return f
	case []any:
		for i := range x {
			x[i] = jsonNumbers(x[i])
		}
	case map[string]any:
		for k := range x {
			x[k] = jsonNumbers(x[k])
		}
	}
	return v
}

// bridgeCallOptions reads a call's options: "timeout" in milliseconds (at
// most bridgeMaxTimeout; default bridgeDefaultTimeout) and "disclose_me".
func bridgeCallOptions(opts wamp.Dict) (*device.CallOptions, error) {
	o := &device.CallOptions{Timeout: bridgeDefaultTimeout}
	for k, v := range opts {
		switch k {
		case "timeout":
			ms, ok := v.(int64)
			if !ok || ms <= 0 {
				return nil, fmt.Errorf("options.timeout %v: want a positive number of milliseconds", v)
			}
			o.Timeout = min(time.Duration(ms)*time.Millisecond, bridgeMaxTimeout)
		case "disclose_me":
			d, ok := v.(bool)
			if !ok {
				return nil, fmt.Errorf("options.disclose_me %v: want true or false", v)
			}
			o.DiscloseMe = d
		default:
			return nil, fmt.Errorf("options.%s: unknown call option (timeout, disclose_me)", k)
		}
	}
	return o, nil
}

// writeError answers a failed call or publication with the status that
// fits its WAMP error.
func (b *httpBridge) writeError(w http.ResponseWriter, err error) {
	var we *wamp.Error
	switch {
	case errors.As(err, &we):
	case errors.Is(err, context.DeadlineExceeded):
		we = wamp.NewError(wamp.ErrTimeout.URI, err.Error())
	default:
		we = wamp.NewError(wamp.ErrNetworkFailure.URI, err.Error())
	}
	writeBridgeError(w, bridgeStatus(we.URI), we)
}

// bridgeStatus is the HTTP status of a WAMP error URI.
func bridgeStatus(u wamp.URI) int {
	switch u {
	case wamp.ErrNoSuchProcedure.URI, wamp.ErrNoSuchRealm.URI:
		return http.StatusNotFound
	case wamp.ErrNotAuthorized.URI, wamp.ErrAuthorizationFailed.URI:
		return http.StatusForbidden
	case wamp.ErrInvalidArgument.URI, wamp.ErrInvalidURI.URI, wamp.ErrOptionNotAllowed.URI,
		wamp.ErrOptionDisallowedDiscloseMe.URI:
		return http.StatusBadRequest
	case wamp.ErrTimeout.URI, wamp.ErrCanceled.URI:
		return http.StatusGatewayTimeout
	case wamp.ErrNoAvailableCallee.URI, wamp.ErrUnavailable.URI:
		return http.StatusServiceUnavailable
	}
	return http.StatusBadGateway
}

// writeBridgeError writes {"error": URI, "args": [...], "kwargs": {...}}.
func writeBridgeError(w http.ResponseWriter, status int, e *wamp.Error) {
	writeJSON(w, status, map[string]any{"error": e.URI, "args": nonNilList(e.Args), "kwargs": nonNilDict(e.Kwargs)})
}

// writeJSON writes v as the JSON answer with status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	data, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		data = []byte(`{"error":"wamp.error.invalid_argument","args":["the result cannot be encoded as JSON"],"kwargs":{}}`)
	}
	data = append(data, '\n')
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(data)))
	w.WriteHeader(status)
	w.Write(data)
}

func nonNilList(l wamp.List) wamp.List {
	if l == nil {
		return wamp.List{}
	}
	return l
}

func nonNilDict(d wamp.Dict) wamp.Dict {
	if d == nil {
		return wamp.Dict{}
	}
	return d
}
