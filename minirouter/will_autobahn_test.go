package minirouter_test

import (
	"bufio"
	"context"
	"net"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/edgewamp/edgewamp/device"
	"github.com/edgewamp/edgewamp/listen"
	"github.com/edgewamp/edgewamp/minirouter"
)

// autobahnPython returns Debian's python3 with AutobahnPython; without it
// the test fails when CI=true or EDGEWAMP_INTEROP=1 and is skipped
// otherwise.
func autobahnPython(t *testing.T) string {
	t.Helper()
	py := "/usr/bin/python3"
	if out, err := exec.Command(py, "-c", "import autobahn, txaio, msgpack").CombinedOutput(); err != nil {
		msg := "AutobahnPython not available (scripts/install-peers.sh installs it): " + err.Error() + ": " + string(out)
		if os.Getenv("CI") == "true" || os.Getenv("EDGEWAMP_INTEROP") == "1" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return py
}

// serveLoopback serves a new router on a loopback TCP port until the test
// ends, and returns it with the port's host and number.
func serveLoopback(t *testing.T) (r *minirouter.Router, host, port string) {
	t.Helper()
	r, err := minirouter.New(minirouter.Config{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go listen.Serve(r, l, listen.Config{})
	host, port, _ = net.SplitHostPort(l.Addr().String())
	return r, host, port
}

// TestAutobahnTestamentAndRetention: an AutobahnPython device leaves a
// testament, publishes a retained reading, and is killed (SIGKILL: no
// GOODBYE, as when a device loses power). Our subscriber gets the
// testament; a new AutobahnPython subscriber gets the retained reading,
// marked retained.
func TestAutobahnTestamentAndRetention(t *testing.T) {
	py := autobahnPython(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	r, host, port := serveLoopback(t)

	watcher := join(t, ctx, r, "realm1")
	wills := make(chan *device.Event, 1)
	if _, err := watcher.Subscribe(ctx, "device.gone", func(ev *device.Event) { wills <- ev }, nil); err != nil {
		t.Fatal(err)
	}

	dev := exec.CommandContext(ctx, py, "testdata/will_peer.py", host, port, "will")
	stdout, _ := dev.StdoutPipe()
	dev.Stderr = os.Stderr
	if err := dev.Start(); err != nil {
		t.Fatal(err)
	}
	lines := bufio.NewScanner(stdout)
	if !lines.Scan() || lines.Text() != "READY" {
		dev.Process.Kill()
		dev.Wait()
		t.Fatalf("the AutobahnPython device did not get ready: %q", lines.Text())
	}
	dev.Process.Kill()
	dev.Wait()

	select {
	case ev := <-wills:
		if len(ev.Args) != 1 || ev.Args[0] != "dev-1 lost" || ev.Kwargs["why"] != "power" {
			t.Errorf("testament %v %v", ev.Args, ev.Kwargs)
		}
	case <-ctx.Done():
		t.Fatalf("no testament after the device was killed; stats %+v", r.Stats())
	}

	out, err := exec.CommandContext(ctx, py, "testdata/will_peer.py", host, port, "retained").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "EVENT 21.5 retained=True") {
		t.Errorf("new AutobahnPython subscriber: %v\n%s", err, out)
	}
	if st := r.Stats(); st.TestamentsPublished != 1 {
		t.Errorf("TestamentsPublished %d", st.TestamentsPublished)
	}
}

// TestAutobahnMetaAPI: AutobahnPython calls the session and registration
// meta procedures.
func TestAutobahnMetaAPI(t *testing.T) {
	py := autobahnPython(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	r, host, port := serveLoopback(t)
	join(t, ctx, r, "realm1") // a second session
	out, err := exec.CommandContext(ctx, py, "testdata/will_peer.py", host, port, "meta").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "META 2 com.example.meta 1 True") {
		t.Errorf("AutobahnPython on the meta API: %v\n%s", err, out)
	}
}

// TestAutobahnBudgets: AutobahnPython meets the URI length limit and the
// testament budget and gets the documented errors.
func TestAutobahnBudgets(t *testing.T) {
	py := autobahnPython(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, host, port := serveLoopback(t)
	out, err := exec.CommandContext(ctx, py, "testdata/budget_peer.py", host, port).CombinedOutput()
	want := "subscribe wamp.error.invalid_uri\nregister wamp.error.invalid_uri\npublish wamp.error.invalid_uri\n" +
		"add_testament wamp.error.unavailable\nOK\n"
	if err != nil || !strings.HasPrefix(string(out), want) { // Autobahn logs the session's close after
		t.Errorf("AutobahnPython: %v\n%s\nwant:\n%s", err, out, want)
	}
}
