package yuntest

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/edgewamp/edgewamp/listen"
	"github.com/edgewamp/edgewamp/minirouter"
	"github.com/edgewamp/edgewamp/serialtransport"
	"github.com/edgewamp/edgewamp/wstransport"
)

// requireChromium returns the path of Debian's chromium, or skips the test
// when it is not installed; it fails instead when CI=true or
// EDGEWAMP_INTEROP=1 says the browser must be there.
func requireChromium(t *testing.T) string {
	t.Helper()
	path, err := exec.LookPath("chromium")
	if err == nil {
		return path
	}
	msg := "chromium is not installed (scripts/install-peers.sh installs it): " + err.Error()
	if os.Getenv("CI") == "true" || os.Getenv("EDGEWAMP_INTEROP") == "1" {
		t.Fatal(msg + " (required: CI=true or EDGEWAMP_INTEROP=1)")
	}
	t.Skip(msg)
	return ""
}

// exampleDir is examples/arduino-yun.
func exampleDir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Dir(filepath.Dir(file))
}

// testOut is where screenshots go: $EDGEWAMP_TEST_OUT, or bin/test of the
// repository, beside the logs of scripts/test.sh.
func testOut(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("EDGEWAMP_TEST_OUT")
	if dir == "" {
		dir = filepath.Join(exampleDir(), "..", "..", "bin", "test")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// serveWeb serves web/ and the router's WebSocket (/ws) on one loopback
// port until the test ends, and returns the page's address, pointed at that
// WebSocket.
func serveWeb(t *testing.T, r *minirouter.Router) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/ws", listen.Handler(r, wstransport.ServerConfig{}))
	mux.Handle("/", http.FileServer(http.Dir(filepath.Join(exampleDir(), "web"))))
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	host := ln.Addr().String()
	return "http://" + host + "/index.html?url=" + url.QueryEscape("ws://"+host+"/ws")
}

// browser is a headless chromium showing one page, with the page's console
// errors collected and its screenshots saved under a name prefix.
type browser struct {
	t      *testing.T
	ctx    context.Context
	prefix string
	mu     sync.Mutex
	errors []string
}

// startBrowser starts chromium (closed when the test ends) and starts
// collecting the errors its page logs.
func startBrowser(t *testing.T, ctx context.Context, chromium, prefix string) *browser {
	t.Helper()
	actx, acancel := chromedp.NewExecAllocator(ctx, append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium), chromedp.WindowSize(640, 720))...)
	bctx, bcancel := chromedp.NewContext(actx)
	b := &browser{t: t, ctx: bctx, prefix: prefix}
	messages := chromedp.Console(bctx) // starts the browser
	done := make(chan struct{})
	go func() {
		defer close(done)
		for m, err := range messages {
			if err != nil {
				return
			}
			if m.Type == chromedp.ConsoleError || m.IsException() {
				b.mu.Lock()
				b.errors = append(b.errors, m.String())
				b.mu.Unlock()
			}
		}
	}()
	t.Cleanup(func() {
		bcancel()
		acancel()
		<-done
	})
	if err := chromedp.Do(bctx, chromedp.EmulateViewport(640, 720)); err != nil {
		t.Fatalf("chromium: %v", err)
	}
	return b
}

// do runs actions on the page within 20 s, failing the test on an error.
func (b *browser) do(what string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 20*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		b.t.Fatalf("%s: %v; the page shows %s", what, err, b.shows())
	}
}

// wait waits up to d until the JavaScript expression cond is true.
func (b *browser) wait(what, cond string, d time.Duration) {
	b.t.Helper()
	b.do(what, chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := chromedp.Poll[bool](cond, chromedp.WithPollingTimeout(d), chromedp.WithPollingInterval(20*time.Millisecond))(ctx, t)
		return err
	}))
}

// click clicks the element sel with the mouse. (chromedp.Click waits for
// the element to be visible, a check that never ends on this page.)
func (b *browser) click(sel string) {
	b.t.Helper()
	b.do("click "+sel, chromedp.QueryAfter(sel, func(ctx context.Context, t *chromedp.Target, nodes []*chromedp.Node) (chromedp.Void, error) {
		return chromedp.MouseClickNode(nodes[0])(ctx, t)
	}, chromedp.NodeReady))
}

// shows describes what the page shows, for failure messages.
func (b *browser) shows() string {
	ctx, cancel := context.WithTimeout(b.ctx, 5*time.Second)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Evaluate[string](`JSON.stringify({status: $('status').textContent,
		temp: $('temp').textContent, light: $('light').textContent, disabled: $('light').disabled})`))
	if err != nil {
		return "(unreadable: " + err.Error() + ")"
	}
	return s
}

// shot saves a screenshot of the page as <prefix>-<name>.png.
func (b *browser) shot(name string) {
	b.t.Helper()
	png, err := chromedp.Run(b.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.t.Fatalf("screenshot %s: %v", name, err)
	}
	path := filepath.Join(testOut(b.t), b.prefix+"-"+name+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		b.t.Fatal(err)
	}
	b.t.Logf("screenshot: %s (%s)", path, b.shows())
}

// noErrors fails the test if the page logged an error or threw.
func (b *browser) noErrors() {
	b.t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.errors) > 0 {
		b.t.Fatalf("the page logged errors:\n%s", strings.Join(b.errors, "\n"))
	}
}

// lightIs is the page's condition for showing the light in state label
// ("ON", "off" or "?") with its button usable.
func lightIs(label string) string {
	return fmt.Sprintf(`$('light').textContent === 'light: %s' && !$('light').disabled`, label)
}

// TestPageInBrowser opens the Yun's page (web/index.html) in headless
// chromium against the firmware in simavr, through a minirouter serving the
// page's WebSocket and the firmware's serial link, as sensorbridge does on
// the Yun. It checks what a person sees at each step, and saves a
// screenshot of each: before the firmware joins (light.get fails, the
// button stays usable), once it joins (the light's state and a reading
// arrive by themselves), after a click (the light is on, as a WAMP call from
// the test confirms), after another client switches the light (the page
// follows within a second) and after the microcontroller restarts.
func TestPageInBrowser(t *testing.T) {
	requireTools(t)
	chromium := requireChromium(t)
	elf, harness := build(t)
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()

	const mv1, mv2 = 750, 900 // 24.7 °C and 39.8 °C once quantized
	s := startSim(t, harness, elf, mv1)
	r, err := newRouter()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	page := serveWeb(t, r)
	tr, err := r.Connect(ctx)
	if err != nil {
		t.Fatal(err)
	}
	c := joinLocal(t, ctx, tr)

	b := startBrowser(t, ctx, chromium, "yun-page")
	b.do("open the page", chromedp.Navigate(page))

	// 1. the firmware is not on the line yet: light.get fails, and the
	// button stays usable (a click reads the light again, and fails again)
	b.wait("light.get fails", `$('status').textContent.includes('light.get: wamp.error.no_such_procedure') && `+
		lightIs("?"), 10*time.Second)
	b.click("#light")
	b.wait("the button stays usable", `$('status').textContent.startsWith('light.get') && `+lightIs("?"), 5*time.Second)
	b.shot("1-no-device")

	// 2. the line is served, the firmware joins: the page shows its light
	// (light.state, published on join) and its readings without a reload
	port, err := serialtransport.OpenPort(s.pty, 250000)
	if err != nil {
		t.Fatal(err)
	}
	serveLine(t, ctx, r, serialtransport.NewListener(port, serialtransport.Config{Name: s.pty}))
	b.wait("the light once the firmware joined", `$('status').textContent.startsWith('joined realm1') && `+
		lightIs("off"), 15*time.Second)
	b.wait("a reading", fmt.Sprintf(`$('temp').textContent === '%.1f °C'`, celsius(mv1)), 10*time.Second)
	b.wait("a second reading", `readings.length >= 2`, 10*time.Second)
	b.shot("2-device-joined")

	// 3. a click switches the light on: pin 13, and light.get from here
	b.click("#light")
	b.wait("the light on", lightIs("ON"), 5*time.Second)
	s.waitPin(1, 5*time.Second)
	if !callBool(t, ctx, c, "light.get") {
		t.Fatal("light.get after the page's click = false")
	}
	s.command("adc 900", "ADC 900")
	b.wait("the new reading", fmt.Sprintf(`$('temp').textContent === '%.1f °C'`, celsius(mv2)), 10*time.Second)
	b.shot("3-light-on")

	// 4. another client switches the light off: the page follows within a second
	callBool(t, ctx, c, "light.set", false)
	start := time.Now()
	b.wait("the light switched by another client", lightIs("off"), time.Second)
	t.Logf("the page showed another client's switch after %v", time.Since(start))
	b.shot("4-switched-by-other")

	// 5. the microcontroller restarts with the light on: the page shows the
	// fresh firmware's light (off) once it has joined again
	callBool(t, ctx, c, "light.set", true)
	b.wait("the light on again", lightIs("ON"), time.Second)
	s.command("reset", "RESET")
	b.wait("the light after the restart", lightIs("off"), 15*time.Second)
	if callBool(t, ctx, c, "light.get") {
		t.Fatal("light.get after the restart = true")
	}
	b.shot("5-after-restart")

	b.noErrors()
}
