package minirouter

import (
	"fmt"
	"log/slog"
	"sync"

	"github.com/edgewamp/edgewamp/peer"
	"github.com/edgewamp/edgewamp/wamp"
)

// Defaults of [Budgets]: sized for a gateway on a 128 MB board.
const (
	DefaultMaxURILength       = 1024
	DefaultPreAuthBytes       = 16 << 10
	DefaultPreAuthTotalBytes  = 1 << 20
	DefaultMaxTestaments      = 16
	DefaultMaxTestamentBytes  = 64 << 10
	DefaultMemoryBudget       = 64 << 20
	DefaultSourceMemoryBudget = 16 << 20
)

// Estimated heap of what the memory budgets charge: a joined session (its
// state, peer queue and transport buffers when idle), and one subscription,
// registration or testament beside its URI and payload bytes.
const (
	sessionCost = 8 << 10
	entryCost   = 512
)

// sharedReadLimit is the read limit of a session whose address's budget
// cannot hold its transport's own: the bytes of a message it may have in
// flight (a frame sent all but its last octet) without being charged.
const sharedReadLimit = 64 << 10

// Budgets bound the memory clients can make the router hold, so that it
// grows with what they sent and stays within what the board has. The zero
// value gives the defaults; a negative field turns its bound off.
type Budgets struct {
	// MaxURILength bounds topics, procedures and testament topics, in
	// octets (the spec sets none). A longer one is answered with ERROR
	// wamp.error.invalid_uri (a PUBLISH without acknowledge is dropped,
	// counted and logged). Default 1024.
	MaxURILength int
	// PreAuthBytes bounds what one connection may send in messages before
	// its WELCOME (HELLO and AUTHENTICATE together), checked before
	// decoding: a message beyond is answered with ABORT
	// wamp.error.payload_size_exceeded. Default 16 KiB.
	PreAuthBytes int
	// PreAuthTotalBytes bounds the bytes of those messages held at once
	// by all connections joining (from HELLO to WELCOME or ABORT): a HELLO
	// or AUTHENTICATE beyond is answered with ABORT wamp.error.unavailable.
	// Default 1 MiB.
	PreAuthTotalBytes int
	// MaxTestaments and MaxTestamentBytes bound one session's testaments
	// (wamp.session.add_testament), in number and in bytes (each one's
	// topic and MessagePack payload). One beyond is answered with ERROR
	// wamp.error.unavailable. Defaults 16 and 64 KiB.
	MaxTestaments, MaxTestamentBytes int
	// Memory bounds, in bytes, the estimated memory of all joined
	// sessions and their state (subscriptions, registrations, testaments,
	// each with its URI and payload); SourceMemory bounds that of the
	// sessions from one address (LimitLocal applies as for
	// AuthFailureBurst), where each session's transport read limit (the
	// message it may have in flight) is reserved too: a session joining
	// when its address has no room for that reads at most 64 KiB per
	// message. A HELLO beyond is answered with ABORT
	// wamp.error.unavailable, a SUBSCRIBE, REGISTER or add_testament beyond
	// with ERROR wamp.error.unavailable. Defaults 64 MiB and 16 MiB.
	Memory, SourceMemory int64
}

// withDefaults fills the zero fields of b.
func (b Budgets) withDefaults() Budgets {
	orDefault := func(v *int, def int) {
		if *v == 0 {
			*v = def
		}
	}
	orDefault(&b.MaxURILength, DefaultMaxURILength)
	orDefault(&b.PreAuthBytes, DefaultPreAuthBytes)
	orDefault(&b.PreAuthTotalBytes, DefaultPreAuthTotalBytes)
	orDefault(&b.MaxTestaments, DefaultMaxTestaments)
	orDefault(&b.MaxTestamentBytes, DefaultMaxTestamentBytes)
	if b.Memory == 0 {
		b.Memory = DefaultMemoryBudget
	}
	if b.SourceMemory == 0 {
		b.SourceMemory = DefaultSourceMemoryBudget
	}
	return b
}

// within reports whether n fits a bound (a negative bound is none).
func within[T int | int64](n, bound T) bool { return bound < 0 || n <= bound }

// sessionBudget is what the ledger charged one session. Guarded by the
// ledger's mu.
type sessionBudget struct {
	src   string // the address it is charged to; "": not limited per address
	held  int64  // bytes charged to it in all
	reads int64  // of which (to its address only) its transport's read limit
}

// ledger keeps the memory budgets' accounts. Safe for concurrent use; it
// takes no other lock, so it may be called with realm.mu or Router.mu held.
type ledger struct {
	b Budgets

	mu       sync.Mutex       // protects the following
	held     int64            // charged to joined sessions
	bySource map[string]int64 // of which per address (no zero entries)
	preAuth  int              // bytes of messages held by connections joining
	joining  map[*peer.Conn]int
}

func newLedger(b Budgets) *ledger { return &ledger{b: b} }

// budgetError is a HELLO or AUTHENTICATE refused by a budget: the ABORT
// it is answered with (reason and message).
type budgetError struct {
	reason *wamp.Error
	msg    string
}

func (e *budgetError) Error() string { return string(e.reason.URI) + ": " + e.msg }
func (e *budgetError) Unwrap() error { return e.reason }

// The refusals of a message before WELCOME, and of a HELLO beyond the
// memory budgets.
var (
	errPreAuthTooLarge = &budgetError{wamp.ErrPayloadSizeExceeded, "message too large before authentication"}
	errPreAuthBusy     = &budgetError{wamp.ErrUnavailable, "too many connections joining; try again later"}
	errJoinOverBudget  = &budgetError{wamp.ErrUnavailable, "memory budget reached; try again later"}
)

// admitPreAuth charges a message of n bytes that conn sent before its
// WELCOME, or returns the ABORT's error when a pre-authentication budget
// has no room for it.
func (l *ledger) admitPreAuth(conn *peer.Conn, n int) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	used := l.joining[conn] + n
	if !within(used, l.b.PreAuthBytes) {
		return errPreAuthTooLarge
	}
	if !within(l.preAuth+n, l.b.PreAuthTotalBytes) {
		return errPreAuthBusy
	}
	if l.joining == nil {
		l.joining = make(map[*peer.Conn]int)
	}
	l.joining[conn] = used
	l.preAuth += n
	return nil
}

// donePreAuth releases what conn's messages before WELCOME were charged.
func (l *ledger) donePreAuth(conn *peer.Conn) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if n, ok := l.joining[conn]; ok {
		l.preAuth -= n
		delete(l.joining, conn)
	}
	if len(l.joining) == 0 {
		l.joining = nil // a map does not shrink: let a flood's go
	}
}

// charge adds n bytes to sb's account, or reports false, charging
// nothing, when the gateway's or the address's budget has no room.
func (l *ledger) charge(sb *sessionBudget, n int64) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !within(l.held+n, l.b.Memory) {
		return false
	}
	if sb.src != "" {
		if !within(l.bySource[sb.src]+n, l.b.SourceMemory) {
			return false
		}
		l.addSource(sb.src, n)
	}
	l.held += n
	sb.held += n
	return true
}

// reserveReads charges own, the read limit of sb's transport, to sb's
// address (not to the gateway's budget: what a client has in flight is
// bounded per address) and returns it, or returns sharedReadLimit,
// uncharged, when the address's budget has no room for own.
func (l *ledger) reserveReads(sb *sessionBudget, own int) int {
	if sb.src == "" || own <= sharedReadLimit {
		return own
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if !within(l.bySource[sb.src]+int64(own), l.b.SourceMemory) {
		return sharedReadLimit
	}
	l.addSource(sb.src, int64(own))
	sb.reads = int64(own)
	return own
}

// addSource adds n (negative: takes) to src's account. l.mu must be held.
func (l *ledger) addSource(src string, n int64) {
	if left := l.bySource[src] + n; left > 0 {
		if l.bySource == nil {
			l.bySource = make(map[string]int64)
		}
		l.bySource[src] = left
		return
	}
	delete(l.bySource, src)
	if len(l.bySource) == 0 {
		l.bySource = nil
	}
}

// release takes n bytes (all of sb's, and its read limit's reservation,
// when n < 0) off sb's account.
func (l *ledger) release(sb *sessionBudget, n int64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if n < 0 {
		if sb.src != "" {
			l.addSource(sb.src, -sb.reads)
		}
		sb.reads = 0
	}
	if n < 0 || n > sb.held {
		n = sb.held
	}
	sb.held -= n
	l.held -= n
	if sb.src != "" {
		l.addSource(sb.src, -n)
	}
}

// heldNow returns the bytes charged to joined sessions.
func (l *ledger) heldNow() int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.held
}

// limitReads sets the transport's bound on incoming messages to n bytes,
// when it can (wamp.ReadLimiter), and returns the bound it had (0: none
// known).
func limitReads(t wamp.Transport, n int) int {
	rl, ok := t.(wamp.ReadLimiter)
	if !ok {
		return 0
	}
	old := rl.ReadLimit()
	rl.SetReadLimit(n)
	return old
}

// recvPreAuth reads a message sent before WELCOME (HELLO, AUTHENTICATE),
// charging its bytes to the pre-authentication budgets before decoding.
// It returns the ABORT's error (a *wamp.Error) when a budget refuses it.
func (r *Router) recvPreAuth(conn *peer.Conn) (wamp.Message, error) {
	var refused error
	m, err := peer.RecvLimit(conn, func(n int) error {
		refused = r.budget.admitPreAuth(conn, n)
		return refused
	})
	if refused != nil {
		r.stats.budgetRefusals.Add(1)
		return nil, refused
	}
	return m, err
}

// chargeJoin charges s's session cost to the memory budgets before its
// WELCOME, or returns the ABORT's error when they have no room. It also
// reserves its transport's read limit (what a message in flight may hold)
// on its address's budget, or lowers the limit to sharedReadLimit when
// that budget has no room for it. It runs on s's reader.
func (r *Router) chargeJoin(s *session) error {
	src, local := source(s.conn.RemoteAddr())
	if local && !r.cfg.LimitLocal {
		src = ""
	}
	s.budget.src = src
	if r.budget.charge(&s.budget, sessionCost) {
		if rl, ok := s.conn.Transport().(wamp.ReadLimiter); ok {
			rl.SetReadLimit(r.budget.reserveReads(&s.budget, rl.ReadLimit()))
		}
		return nil
	}
	r.stats.budgetRefusals.Add(1)
	return errJoinOverBudget
}

// chargeEntry charges a new subscription or registration of uri to s, or
// answers the request (of type t) with ERROR wamp.error.unavailable and
// reports false. rl.mu must be held.
func (rl *realm) chargeEntry(s *session, t wamp.MessageType, req wamp.ID, uri wamp.URI) bool {
	return rl.chargeOr(s, t, req, entryCost+int64(len(uri)))
}

// chargeOr charges n bytes to s, or answers the request (of type t) with
// ERROR wamp.error.unavailable and reports false. rl.mu may be held.
func (rl *realm) chargeOr(s *session, t wamp.MessageType, req wamp.ID, n int64) bool {
	if rl.r.budget.charge(&s.budget, n) {
		return true
	}
	s.reply(rl.overBudget(s, t, req, "memory budget reached"))
	return false
}

// overBudget counts and logs (one line a second) a request refused by a
// budget, and returns its answer: ERROR wamp.error.unavailable carrying
// why. rl.mu may be held.
func (rl *realm) overBudget(s *session, t wamp.MessageType, req wamp.ID, why string) *wamp.ErrorMessage {
	total := rl.r.stats.budgetRefusals.Add(1)
	if line := "request refused: budget"; rl.allowLog(line) {
		rl.logLater(slog.LevelWarn, line, "realm", rl.name, "session", s.id, "remote", s.conn.RemoteAddr(),
			"type", t.String(), "reason", why, "total_refused", total)
	}
	return errorFor(t, req, wamp.ErrUnavailable.URI, why)
}

// chargeTestament sizes t (its topic and MessagePack payload) and charges
// it to s's testament budgets and the memory budgets, or returns the ERROR
// answering the add_testament CALL. rl.mu must be held.
func (rl *realm) chargeTestament(s *session, req wamp.ID, t *testament) wamp.Message {
	b := &rl.r.cfg.Budgets
	if !within(len(s.testamentsOf(0))+len(s.testamentsOf(1))+1, b.MaxTestaments) {
		return rl.overBudget(s, wamp.CALL, req, fmt.Sprintf("limit: %d testaments per session", b.MaxTestaments))
	}
	t.size = entryCost + len(t.topic) + payloadSize(t.payload)
	if !within(s.tables().testBytes+t.size, b.MaxTestamentBytes) {
		return rl.overBudget(s, wamp.CALL, req, fmt.Sprintf("limit: %d bytes of testaments per session", b.MaxTestamentBytes))
	}
	if !rl.r.budget.charge(&s.budget, int64(t.size)) {
		return rl.overBudget(s, wamp.CALL, req, "memory budget reached")
	}
	s.ownTables().testBytes += t.size
	return nil
}

// releaseTestaments releases what s's testaments of scope were charged.
// rl.mu must be held.
func (rl *realm) releaseTestaments(s *session, scope int) {
	n := 0
	for _, t := range s.testamentsOf(scope) {
		n += t.size
	}
	if n == 0 {
		return
	}
	s.tabs.testBytes -= n // n > 0: s has tables
	rl.r.budget.release(&s.budget, int64(n))
}

// releaseEntry releases what chargeEntry charged for uri.
func (rl *realm) releaseEntry(s *session, uri wamp.URI) {
	rl.r.budget.release(&s.budget, entryCost+int64(len(uri)))
}

// refuseLongURI answers a request whose topic or procedure is longer than
// Budgets.MaxURILength with ERROR wamp.error.invalid_uri (a PUBLISH without
// acknowledge gets none), counts and logs it, and reports whether it did.
func (s *session) refuseLongURI(m wamp.Message) bool {
	max := s.r.cfg.Budgets.MaxURILength
	var (
		uri wamp.URI
		req wamp.ID
		ack = true
	)
	switch m := m.(type) {
	case *wamp.Publish:
		uri, req = m.Topic, m.Request
		ack, _ = optBool(m.Options, "acknowledge", false)
	case *wamp.Subscribe:
		uri, req = m.Topic, m.Request
	case *wamp.Register:
		uri, req = m.Procedure, m.Request
	case *wamp.Call:
		uri, req = m.Procedure, m.Request
	default:
		return false
	}
	if within(len(uri), max) {
		return false
	}
	total := s.r.stats.longURIs.Add(1)
	if ack {
		s.reply(errorFor(m.Type(), req, wamp.ErrInvalidURI.URI, fmt.Sprintf("URI longer than %d octets", max)))
	}
	if line := "request refused: URI too long"; s.realm.allowLog(line) {
		s.realm.logLater(slog.LevelWarn, line, "realm", s.realm.name, "session", s.id, "remote", s.conn.RemoteAddr(),
			"type", m.Type().String(), "length", len(uri), "total_refused", total)
	}
	return true
}
