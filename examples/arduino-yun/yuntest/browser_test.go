package yuntest

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/edgewamp/edgewamp/internal/browsertest"
	"github.com/edgewamp/edgewamp/listen"
	"github.com/edgewamp/edgewamp/minirouter"
	"github.com/edgewamp/edgewamp/serialtransport"
	"github.com/edgewamp/edgewamp/wstransport"
)

// exampleDir is examples/arduino-yun.
func exampleDir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Dir(filepath.Dir(file))
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

// yunShows describes what the Yun page shows, for failure messages.
const yunShows = `JSON.stringify({status: $('status').textContent,
	temp: $('temp').textContent, light: $('light').textContent, disabled: $('light').disabled})`

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
	chromium := browsertest.RequireChromium(t)
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

	b := browsertest.Start(t, ctx, chromium, "yun-page", 640, 720)
	b.Shows = yunShows
	b.Do("open the page", chromedp.Navigate(page))

	// 1. the firmware is not on the line yet: light.get fails, and the
	// button stays usable (a click reads the light again, and fails again)
	b.Wait("light.get fails", `$('status').textContent.includes('light.get: wamp.error.no_such_procedure') && `+
		lightIs("?"), 10*time.Second)
	b.Click("#light")
	b.Wait("the button stays usable", `$('status').textContent.startsWith('light.get') && `+lightIs("?"), 5*time.Second)
	b.Shot("1-no-device")

	// 2. the line is served, the firmware joins: the page shows its light
	// (light.state, published on join) and its readings without a reload
	port, err := serialtransport.OpenPort(s.pty, 250000)
	if err != nil {
		t.Fatal(err)
	}
	serveLine(t, ctx, r, serialtransport.NewListener(port, serialtransport.Config{Name: s.pty}))
	b.Wait("the light once the firmware joined", `$('status').textContent.startsWith('joined realm1') && `+
		lightIs("off"), 30*time.Second)
	b.Wait("a reading", fmt.Sprintf(`$('temp').textContent === '%.1f °C'`, celsius(mv1)), 10*time.Second)
	b.Wait("a second reading", `readings.length >= 2`, 10*time.Second)
	b.Shot("2-device-joined")

	// 3. a click switches the light on: pin 13, and light.get from here
	b.Click("#light")
	b.Wait("the light on", lightIs("ON"), 5*time.Second)
	s.waitPin(1, 5*time.Second)
	if !callBool(t, ctx, c, "light.get") {
		t.Fatal("light.get after the page's click = false")
	}
	s.command("adc 900", "ADC 900")
	b.Wait("the new reading", fmt.Sprintf(`$('temp').textContent === '%.1f °C'`, celsius(mv2)), 10*time.Second)
	b.Shot("3-light-on")

	// 4. another client switches the light off: the page follows within a second
	callBool(t, ctx, c, "light.set", false)
	start := time.Now()
	b.Wait("the light switched by another client", lightIs("off"), time.Second)
	t.Logf("the page showed another client's switch after %v", time.Since(start))
	b.Shot("4-switched-by-other")

	// 5. the microcontroller restarts with the light on: the page shows the
	// fresh firmware's light (off) once it has joined again
	callBool(t, ctx, c, "light.set", true)
	b.Wait("the light on again", lightIs("ON"), time.Second)
	s.command("reset", "RESET")
	b.Wait("the light after the restart", lightIs("off"), 30*time.Second)
	if callBool(t, ctx, c, "light.get") {
		t.Fatal("light.get after the restart = true")
	}
	b.Shot("5-after-restart")

	b.NoErrors()
}
