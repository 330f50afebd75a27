package interop

import (
	"context"
	"net"
	"net/http"
	"os"
	"os/exec"
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

// Interop cells of event history and payload passthru mode with the
// peers that implement them: event history (AutobahnPython calls
// wamp.subscription.get_events) and payload passthru mode (wampy publishes
// and calls in passthru mode; the Go client sends its payloads back
// unread). AutobahnJS 22.11.1 has neither (its session.js lists
// event_history only in a comment and knows no ppt_* option).

// advancedRouter serves a router with an event history rule on WebSocket
// (ws://.../ws) and returns its URL and an in-process client.
func advancedRouter(t *testing.T) (string, *minirouter.Router) {
	t.Helper()
	r, err := minirouter.New(minirouter.Config{Realms: []minirouter.RealmConfig{{Name: "realm1",
		History: []minirouter.HistoryRule{{Topic: "hist.", Match: wamp.PrefixMatch, Limit: 10}}}}})
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/ws", listen.Handler(r, wstransport.ServerConfig{}))
	srv := wstransport.NewServer("", mux)
	go srv.Serve(l)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		r.Shutdown(ctx)
		srv.Close()
	})
	return "ws://" + l.Addr().String() + "/ws", r
}

func inProcess(t *testing.T, ctx context.Context, r *minirouter.Router) *device.Client {
	t.Helper()
	tr, err := r.Connect(ctx)
	if err != nil {
		t.Fatal(err)
	}
	c, err := device.NewClient(ctx, tr, device.Config{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// needPeer skips (or fails, when the matrix is required) without prog's dependency.
func needPeer(t *testing.T, check *exec.Cmd, what string) {
	t.Helper()
	if out, err := check.CombinedOutput(); err != nil {
		if interopRequired() {
			t.Fatalf("%s missing: %v %s", what, err, out)
		}
		t.Skipf("%s missing (scripts/install-peers.sh)", what)
	}
}

func runPeer(t *testing.T, ctx context.Context, name string, args ...string) string {
	t.Helper()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = append(os.Environ(), "PYTHONDONTWRITEBYTECODE=1")
	cmd.WaitDelay = 2 * time.Second
	out, _ := cmd.CombinedOutput()
	return string(out)
}

func TestInteropHistoryAutobahnPython(t *testing.T) {
	needPeer(t, exec.Command("/usr/bin/python3", "-c", "import autobahn"), "AutobahnPython")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	url, r := advancedRouter(t)
	pub := inProcess(t, ctx, r)
	for i := range 3 {
		pub.Publish(ctx, "hist.temp", wamp.Payload{Args: wamp.List{20 + i}}, &device.PublishOptions{Acknowledge: true})
	}
	out := runPeer(t, ctx, "/usr/bin/python3", filepath.Join("peers", "py_advanced.py"), url, "realm1", "history")
	want := "EVENTS [[[20], true], [[21], true]]\nEVENTS [[22], [21], [20]]\nOK history"
	if !strings.Contains(out, want) {
		t.Fatalf("AutobahnPython said:\n%s\nwant %q", out, want)
	}
}

func TestInteropPassthruWampy(t *testing.T) {
	peer := filepath.Join("peers", "wampy_ppt.js")
	needPeer(t, exec.Command("node", "-e", "require('./node/node_modules/wampy')"), "wampy")
	// Not over JSON: wampy's JSON serializer is JSON.stringify, with no
	// binary convention ("\u0000" + base64), so its binary payload reaches
	// the router as an object and cannot come back as bytes.
	for _, ser := range []string{"msgpack", "cbor"} {
		t.Run(ser, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			url, r := advancedRouter(t)
			c := inProcess(t, ctx, r)
			// the Go side never reads the payloads: it sends them back as they came
			_, err := c.Subscribe(ctx, "ppt.out", func(ev *device.Event) {
				c.Publish(ctx, "ppt.back", ev.Payload, &device.PublishOptions{Extra: pptOf(ev.Details)})
			}, nil)
			if err != nil {
				t.Fatal(err)
			}
			_, err = c.Register(ctx, "ppt.echo", func(_ context.Context, inv *device.Invocation) (wamp.Payload, error) {
				if _, isBinary := inv.Args[0].([]byte); !isBinary || len(inv.Args) != 1 {
					return wamp.Payload{}, wamp.NewError("com.example.not_opaque", inv.Args...)
				}
				inv.ResultOptions = pptOf(inv.Details)
				return inv.Payload, nil
			}, nil)
			if err != nil {
				t.Fatal(err)
			}
			out := runPeer(t, ctx, "node", peer, url, "realm1", ser, "3", "--timeout", "15")
			if !strings.Contains(out, "OK 3 passthru events back and 3 passthru calls") {
				t.Fatalf("wampy said:\n%s", out)
			}
		})
	}
}

func pptOf(d wamp.Dict) wamp.Dict {
	o := wamp.Dict{}
	for k, v := range d {
		if strings.HasPrefix(k, "ppt_") {
			o[k] = v
		}
	}
	return o
}
