package yuntest

import (
	"context"
	"encoding/json"
	"math"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/edgewamp/edgewamp/listen"
	"github.com/edgewamp/edgewamp/wstransport"
)

// nodeWithWS returns node and a NODE_PATH where the ws package is
// (interop/node/node_modules), or skips (fails with EDGEWAMP_INTEROP=1).
func nodeWithWS(t *testing.T) (node, nodePath string) {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	nodePath = filepath.Join(filepath.Dir(file), "..", "..", "..", "interop", "node", "node_modules")
	node, err := exec.LookPath("node")
	if err == nil {
		_, err = os.Stat(filepath.Join(nodePath, "ws", "package.json"))
	}
	if err != nil {
		msg := "node and the ws package (interop/node/node_modules) are needed to run the page's client: " + err.Error()
		if os.Getenv("EDGEWAMP_INTEROP") == "1" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return node, nodePath
}

// TestPageClient runs the web page's WAMP client (web/wamp-tiny.js) in node,
// as a library, against the firmware in simavr through one minirouter:
// WebSocket/JSON on one side, the serial link and MessagePack on the other,
// as on the Yun. TestPageInBrowser runs the page itself in a browser.
func TestPageClient(t *testing.T) {
	requireTools(t)
	node, nodePath := nodeWithWS(t)
	elf, harness := build(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	const mv = 900 // 39.8 °C once quantized
	s := startSim(t, harness, elf, mv)
	g := startGateway(t, ctx, s.pty)

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := wstransport.NewServer("", listen.Handler(g.router, wstransport.ServerConfig{}))
	go srv.Serve(ln)
	defer srv.Close()

	// wait for the firmware through a local client, as the other tests do
	tr, err := g.router.Connect(ctx)
	if err != nil {
		t.Fatal(err)
	}
	c := joinLocal(t, ctx, tr)
	waitFirmware(t, ctx, g, c, c.ID(), 0)

	cmd := exec.CommandContext(ctx, node, filepath.Join("testdata", "pageclient.js"), "ws://"+ln.Addr().String()+"/ws")
	cmd.Env = append(os.Environ(), "NODE_PATH="+nodePath)
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("pageclient.js: %v\n%s", err, out)
	}
	var got struct {
		Session     uint64  `json:"session"`
		Temperature float64 `json:"temperature"`
		Set, Get    bool
		Missing     string `json:"missing"`
	}
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("pageclient.js printed %q: %v", out, err)
	}
	if got.Session == 0 || !got.Set || !got.Get || got.Missing != "wamp.error.no_such_procedure" ||
		math.Abs(got.Temperature-celsius(mv)) > tolerance {
		t.Fatalf("pageclient.js saw %+v, want a session, light true, %.2f °C and no_such_procedure", got, celsius(mv))
	}
	s.waitPin(1, 5*time.Second) // light.set(true) from the page's client reached the pin
	t.Logf("page client: %s", out)
}
