package uplink_test

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/edgewamp/edgewamp/auth"
	"github.com/edgewamp/edgewamp/device"
	"github.com/edgewamp/edgewamp/minirouter"
	"github.com/edgewamp/edgewamp/uplink"
	"github.com/edgewamp/edgewamp/wamp"
)

// TestStatsLastError: Stats shows the uplink's last error and its time,
// though its logs are discarded: none before a problem, then a dial that
// fails, a join the upstream refuses, and the session lost when the
// upstream goes.
func TestStatsLastError(t *testing.T) {
	tests := []struct {
		name  string
		setup func(t *testing.T, cfg *uplink.Config) (stop func())
		want  string
	}{
		{"dial", func(t *testing.T, cfg *uplink.Config) func() {
			cfg.Connect = func(context.Context) (wamp.Transport, error) {
				return nil, errors.New("no route to the cloud")
			}
			return nil
		}, "device: connecting failed: no route to the cloud"},
		{"join refused", func(t *testing.T, cfg *uplink.Config) func() {
			users, _ := authUsers(t)
			up := startUpstreamConfig(t, "rs", "", minirouter.Config{Realms: []minirouter.RealmConfig{{Name: "cloud", Users: users}}}, nil)
			cfg.URL = up.url()
			cfg.Auth = auth.Credentials{AuthID: "tic", Ticket: "wrong"}
			return nil
		}, "wamp.error.authentication_failed"},
		{"session lost", func(t *testing.T, cfg *uplink.Config) func() {
			up := startUpstream(t, "rs", "", nil)
			var dialed atomic.Bool
			cfg.Connect = func(ctx context.Context) (wamp.Transport, error) {
				if dialed.CompareAndSwap(false, true) {
					return device.DialTransport(ctx, up.url(), device.Config{})
				}
				<-ctx.Done() // no later attempt: its failure would be the last error
				return nil, ctx.Err()
			}
			return up.stopf
		}, "device: session lost, reconnecting: "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			cfg := siteRules
			stop := tt.setup(t, &cfg)
			start := time.Now()
			gw := startGateway(t, cfg)
			if stop != nil {
				eventually(t, ctx, "joined", func() bool { return gw.ul.Stats().State == uplink.Joined })
				if st := gw.ul.Stats(); st.LastError != "" || !st.LastErrorTime.IsZero() {
					t.Errorf("joined: last error %q at %v, want none", st.LastError, st.LastErrorTime)
				}
				stop()
			}
			eventually(t, ctx, "the last error "+tt.want, func() bool { return strings.Contains(gw.ul.Stats().LastError, tt.want) })
			st := gw.ul.Stats()
			if st.LastErrorTime.Before(start) || st.LastErrorTime.After(time.Now()) {
				t.Errorf("LastErrorTime %v, want between %v and now", st.LastErrorTime, start)
			}
			t.Logf("last error: %s", st.LastError)
		})
	}
}
