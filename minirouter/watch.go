package minirouter

import (
	"fmt"
	"slices"

	"github.com/edgewamp/edgewamp/wamp"
)

// regInfo describes one registration of a realm, as seen by a watcher.
type regInfo struct {
	procedure wamp.URI
	match     wamp.MatchPolicy
	invoke    string
}

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

// watchRegistrations returns a 1-slot channel kicked (never blocking, so
// kicks coalesce) whenever a registration of the realm is added or removed,
// and a function that stops the watch. The watcher then reads the current
// state with registrations: level-triggered, so nothing is lost.
func (r *Router) watchRegistrations(name wamp.URI) (<-chan struct{}, func(), error) {
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

// registrations lists the realm's registrations that have at least one
// callee other than the session exclude (0: none excluded), sorted by
// procedure.
func (r *Router) registrations(name wamp.URI, exclude wamp.ID) []regInfo {
	rl := r.realms[name]
	if rl == nil {
		return nil
	}
	rl.mu.Lock()
	var out []regInfo
	for _, reg := range rl.regByID {
		if slices.ContainsFunc(reg.callees, func(s *session) bool { return s.id != exclude }) {
			out = append(out, regInfo{procedure: reg.procedure, match: reg.match, invoke: reg.invoke})
		}
	}
	rl.mu.Unlock()
	slices.SortFunc(out, func(a, b regInfo) int {
		if a.procedure != b.procedure {
			if a.procedure < b.procedure {
				return -1
			}
			return 1
		}
		if a.match < b.match {
			return -1
		}
		if a.match > b.match {
			return 1
		}
		return 0
	})
	return out
}
