package minirouter

import (
	"fmt"
	"log/slog"
	"slices"

	"github.com/edgewamp/edgewamp/wamp"
)

// RegistrationInfo describes one registration of a realm, as
// [Router.Registrations] lists it. Plain data.
type RegistrationInfo struct {
	Procedure wamp.URI
	Match     wamp.MatchPolicy
	Invoke    string // the shared-registration policy: single, roundrobin, ...
}

// Realms returns the names of the router's realms, in the order of
// Config.Realms (the default realm alone when none was configured).
func (r *Router) Realms() []wamp.URI {
	names := make([]wamp.URI, len(r.cfg.Realms))
	for i, rc := range r.cfg.Realms {
		names[i] = rc.Name
	}
	return names
}

// Logger returns the router's logger (Config.Logger, or one that discards).
func (r *Router) Logger() *slog.Logger { return r.log }

// regsChanged kicks the registration watchers without blocking. rl.mu must
// be held.
func (rl *realm) regsChanged() {
	for ch := range rl.watch {
		select {
		case ch <- struct{}{}:
		default:
		}
	}
}

// WatchRegistrations returns a 1-slot channel kicked (never blocking, so
// kicks coalesce) whenever a registration of the realm is added or removed,
// and a function that stops the watch. The watcher then reads the current
// state with [Router.Registrations]: level-triggered, so nothing is lost.
func (r *Router) WatchRegistrations(name wamp.URI) (<-chan struct{}, func(), error) {
	rl := r.realms[name]
	if rl == nil {
		return nil, nil, fmt.Errorf("minirouter: no realm %q", name)
	}
	ch := make(chan struct{}, 1)
	rl.mu.Lock()
	rl.watch[ch] = struct{}{}
	rl.mu.Unlock()
	return ch, func() {
		rl.mu.Lock()
		delete(rl.watch, ch)
		rl.mu.Unlock()
	}, nil
}

// Registrations lists the realm's registrations that have at least one
// callee other than the session exclude (0: none excluded), sorted by
// procedure, then match policy.
func (r *Router) Registrations(name wamp.URI, exclude wamp.ID) []RegistrationInfo {
	rl := r.realms[name]
	if rl == nil {
		return nil
	}
	rl.mu.Lock()
	var out []RegistrationInfo
	for _, reg := range rl.regByID {
		if slices.ContainsFunc(reg.callees, func(s *session) bool { return s.id != exclude }) {
			out = append(out, RegistrationInfo{Procedure: reg.procedure, Match: reg.match, Invoke: reg.invoke})
		}
	}
	rl.mu.Unlock()
	slices.SortFunc(out, func(a, b RegistrationInfo) int {
		if a.Procedure != b.Procedure {
			if a.Procedure < b.Procedure {
				return -1
			}
			return 1
		}
		if a.Match < b.Match {
			return -1
		}
		if a.Match > b.Match {
			return 1
		}
		return 0
	})
	return out
}
