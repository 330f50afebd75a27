package uplink

import (
	"context"
	"time"

	"github.com/edgewamp/edgewamp/device"
	"github.com/edgewamp/edgewamp/wamp"
)

const (
	// exportQuiet is how long the local registrations must stay unchanged
	// before a change is exported.
	exportQuiet = 10 * time.Millisecond
	// exportMaxDelay bounds the wait for quiet while registrations keep
	// changing (a join storm): the uplink lists them about this often.
	exportMaxDelay = 200 * time.Millisecond
	// exportCostFactor makes the wait at least this many times as long as
	// the last listing took, so that listing takes a bounded share of the
	// time however many registrations the realm holds.
	exportCostFactor = 10
)

// reconcile keeps the upstream registrations equal to the local
// registrations that match the Export rules (made by other sessions than
// the uplink's own), each time the local registrations change (once they
// settle). The upstream client makes them again after every join, and
// retries those the upstream refuses (counted in ApplyErrors).
func (u *Uplink) reconcile(ctx context.Context, local, up *device.Client, kick <-chan struct{}) {
	if len(u.cfg.Export) == 0 { // nothing to export: no need to list the realm's registrations at every change
		<-ctx.Done()
		return
	}
	for {
		start := time.Now()
		desired := u.desiredExports(local)
		cost := time.Since(start)
		u.mu.Lock()
		var gone []exportEntry
		var added []wamp.URI
		for p, e := range u.exported {
			if d, ok := desired[p]; !ok || d.match != e.match || d.invoke != e.invoke {
				gone = append(gone, e)
				delete(u.exported, p)
			}
		}
		for p := range desired {
			if _, ok := u.exported[p]; !ok {
				added = append(added, p)
			}
		}
		u.mu.Unlock()
		for _, e := range gone {
			octx, cancel := context.WithTimeout(ctx, uplinkOpTimeout)
			if err := e.reg.Unregister(octx); err != nil && ctx.Err() == nil {
				u.log.Warn("uplink: unregister upstream failed", "procedure", e.reg.Procedure, "err", err)
			}
			cancel()
			u.log.Debug("uplink: procedure withdrawn", "procedure", e.reg.Procedure)
		}
		for _, p := range added {
			d := desired[p]
			// With reconnection, Register returns at once.
			reg, err := up.Register(ctx, p, u.exportHandler(local, d.rule), &device.RegisterOptions{Match: d.match, Invoke: d.invoke})
			if err != nil {
				u.log.Warn("uplink: export failed", "procedure", p, "err", err)
				continue
			}
			d.reg = reg
			u.mu.Lock()
			u.exported[p] = d
			u.mu.Unlock()
			u.log.Debug("uplink: procedure exported", "local", d.local, "procedure", p)
		}
		select {
		case <-kick:
		case <-ctx.Done():
			return
		}
		if !settle(ctx, kick, max(exportMaxDelay, exportCostFactor*cost)) {
			return
		}
	}
}

// desiredExports lists the local registrations that match the Export rules
// (made by other sessions than local, the uplink's own), by upstream
// procedure.
func (u *Uplink) desiredExports(local *device.Client) map[wamp.URI]exportEntry {
	u.exportListings.Add(1)
	desired := make(map[wamp.URI]exportEntry)
	for _, reg := range u.r.Registrations(u.cfg.LocalRealm, local.ID()) {
		for i := range u.cfg.Export {
			rule := &u.cfg.Export[i]
			if rule.Match == wamp.ExactMatch && reg.Match != wamp.ExactMatch {
				continue
			}
			if p, ok := rule.up(reg.Procedure); ok {
				if _, dup := desired[p]; !dup {
					desired[p] = exportEntry{local: reg.Procedure, match: reg.Match, invoke: reg.Invoke, rule: rule}
				}
				break
			}
		}
	}
	return desired
}

// settle waits, after a change of the local registrations, until they
// have not changed for exportQuiet, or for limit at most: a join storm of
// devices that each register a procedure is listed a few times a second,
// not once per registration (each listing costs in proportion to the
// realm's registrations). It reports false when ctx ends first.
func settle(ctx context.Context, kick <-chan struct{}, limit time.Duration) bool {
	end := time.Now().Add(limit)
	quiet := time.NewTimer(exportQuiet)
	defer quiet.Stop()
	for {
		select {
		case <-quiet.C:
			return true
		case <-kick:
			d := min(exportQuiet, time.Until(end))
			if d <= 0 {
				return true
			}
			quiet.Reset(d)
		case <-ctx.Done():
			return false
		}
	}
}
