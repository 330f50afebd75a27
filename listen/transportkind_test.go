package listen_test

import (
	"context"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/edgewamp/edgewamp/device"
	"github.com/edgewamp/edgewamp/listen"
	"github.com/edgewamp/edgewamp/minirouter"
	"github.com/edgewamp/edgewamp/wamp"
	"github.com/edgewamp/edgewamp/wstransport"
)

// TestSessionTransport: a listener names its sessions' transport by its URL
// scheme, and Serve (no URL) as RawSocket.
func TestSessionTransport(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "l.sock")
	tests := []struct{ listen, want string }{
		{"rs://127.0.0.1:0", "rs"},
		{"tcp://127.0.0.1:0", "rs"},
		{"unix://" + sock, "unix"},
		{"ws://127.0.0.1:0/ws", "ws"},
		{"uni://127.0.0.1:0/ws", "uni"},
		{"", "rs"}, // listen.Serve
	}
	for _, tt := range tests {
		t.Run(tt.want+" "+tt.listen, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			r, err := minirouter.New(minirouter.Config{})
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			var dial string
			if tt.listen == "" {
				nl, err := net.Listen("tcp", "127.0.0.1:0")
				if err != nil {
					t.Fatal(err)
				}
				go listen.Serve(r, nl, listen.Config{})
				dial = "rs://" + nl.Addr().String()
			} else {
				l, err := listen.Open(tt.listen, listen.Config{})
				if err != nil {
					t.Fatal(err)
				}
				defer l.Close()
				go l.Serve(r)
				scheme, _, _ := strings.Cut(tt.listen, "://")
				switch scheme {
				case "unix":
					dial = tt.listen
				case "ws", "uni":
					dial = "ws://" + l.Addr() + "/ws"
				default:
					dial = "rs://" + l.Addr()
				}
			}
			c, err := device.Dial(ctx, dial, device.Config{Dialers: map[string]wamp.Dialer{"ws": wstransport.DialURL}})
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			ss := r.Sessions()
			if len(ss) != 1 || ss[0].Transport != tt.want {
				t.Errorf("sessions %+v, want one over %q", ss, tt.want)
			}
		})
	}
}
