package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/edgewamp/edgewamp/device"
	"github.com/edgewamp/edgewamp/internal/browsertest"
	"github.com/edgewamp/edgewamp/wamp"
)

// dashboardShows describes what the dashboard shows, for failure messages.
const dashboardShows = `JSON.stringify({status: $('status').textContent, login: !$('login').hidden,
	readings: $('readings').rows.length, points: $('chart').dataset.points, controls: $('controls').textContent,
	devices: $('devices').rows.length})`

// openDashboard opens url in a new headless chromium.
func openDashboard(t *testing.T, ctx context.Context, chromium, prefix, url string) *browsertest.Page {
	t.Helper()
	p := browsertest.Start(t, ctx, chromium, prefix, 900, 1100)
	p.Shows = dashboardShows
	p.Do("open "+url, chromedp.Navigate(url))
	return p
}

// login fills the page's login form and submits it, with method "ticket"
// or "wampcra".
func login(p *browsertest.Page, authid, secret, method string) {
	p.Wait("the login form", `!$('login').hidden`, 10*time.Second)
	p.Eval(fmt.Sprintf(`$('authid').value = %q; $('secret').value = %q; $('method').value = %q; ''`, authid, secret, method))
	p.Click("#signin")
	p.Wait("joined as "+authid, fmt.Sprintf(`$('status').textContent.startsWith('joined site as %s')`, authid), 10*time.Second)
}

// runGateway runs sensorbridge with the config fc until stop is called,
// returning once its dashboard listens.
func runGateway(t *testing.T, fc map[string]any) (stop func()) {
	t.Helper()
	_, logs, done, cancel := launch(t, fc)
	for !strings.Contains(logs.String(), `"msg":"dashboard"`) {
		select {
		case err := <-done:
			cancel()
			t.Fatalf("sensorbridge stopped: %v\n%s", err, logs.String())
		case <-time.After(5 * time.Millisecond):
		}
	}
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("run: %v", err)
			}
		})
	}
	t.Cleanup(stop)
	return stop
}

// callLight calls light.get, or light.set with on, and returns the state.
func callLight(t *testing.T, ctx context.Context, c *device.Client, args ...any) bool {
	t.Helper()
	proc := wamp.URI("light.get")
	if len(args) > 0 {
		proc = "light.set"
	}
	res, err := c.Call(ctx, proc, wamp.Payload{Args: args}, nil)
	if err != nil {
		t.Fatalf("%s: %v", proc, err)
	}
	on, _ := res.Args[0].(bool)
	return on
}

// TestDashboardInBrowser opens the dashboard in headless chromium on a
// gateway with the demo device (a reading every 10 ms) and a realm of an
// operator and a viewer, no anonymous access. It checks, with a screenshot
// of each state: the login form, then as the operator a reading and a
// growing chart; a click on the light's switch changes the device's state
// (a WAMP call from the test confirms); a change by another client shows
// within a second; a device that leaves shows as gone; after a gateway
// restart the page joins again by itself; and a viewer (logged in with
// salted WAMP-CRA) sees the light but its click is
// refused, which the page says, the light unchanged. No console error.
func TestDashboardInBrowser(t *testing.T) {
	chromium := browsertest.RequireChromium(t)
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	sock := "unix://" + filepath.Join(t.TempDir(), "sb.sock")
	dash := freePort(t)
	realm := opViewerRealm(
		map[string]any{"role": "viewer", "uri": "", "match": "prefix", "actions": []any{"subscribe"}},
		map[string]any{"role": "viewer", "uri": "light.get", "actions": []any{"call"}})
	realm["users"] = append(realm["users"].([]any), map[string]any{"authid": "cra", "authrole": "viewer",
		"secret": "cra-secret-3", "salt": "salt-4", "iterations": 100, "keylen": 32})
	fc := map[string]any{
		"listeners":     []any{map[string]any{"url": sock}},
		"realms":        []any{realm},
		"demo":          true,
		"demo_interval": "10ms",
		"dashboard":     map[string]any{"listen": dash, "refresh": "300ms"},
	}
	stop := runGateway(t, fc)
	opCreds := device.Config{Realm: "site", Auth: device.Credentials{AuthID: "op", Ticket: "op-ticket-1"}}
	c := dialRetry(t, ctx, sock, opCreds)

	p := openDashboard(t, ctx, chromium, "dashboard", "http://"+dash+"/")
	p.Wait("the login form", `!$('login').hidden`, 10*time.Second)
	p.Shot("1-login")
	login(p, "op", "op-ticket-1", "ticket")

	// A reading, and the chart grows.
	p.Wait("a temperature", `[...$('readings').rows].some((r) => r.dataset.topic === 'temperature' && r.cells[1].textContent.endsWith(' C'))`, 10*time.Second)
	p.Wait("a chart", `Number($('chart').dataset.points) > 5`, 10*time.Second)
	n := p.Eval(`$('chart').dataset.points`)
	p.Wait("the chart growing", `Number($('chart').dataset.points) > `+n+` + 10`, 10*time.Second)
	p.Shot("2-readings")

	// The light's switch follows the device, and switches it.
	p.Wait("the light's switch", `$('switch-light') && $('switch-light').dataset.on !== 'null'`, 10*time.Second)
	was := p.Eval(`$('switch-light').dataset.on`) == "true"
	if got := callLight(t, ctx, c); got != was {
		t.Fatalf("the page shows the light %v, light.get says %v", was, got)
	}
	p.Click("#switch-light")
	p.Wait("the switch after the click", fmt.Sprintf(`$('switch-light').dataset.on === '%v'`, !was), 5*time.Second)
	if got := callLight(t, ctx, c); got != !was {
		t.Fatalf("light.get after the page's click = %v, want %v", got, !was)
	}
	p.Shot("3-switched")

	// Another client switches it back: the page follows within a second.
	callLight(t, ctx, c, was)
	start := time.Now()
	p.Wait("the light switched by another client", fmt.Sprintf(`$('switch-light').dataset.on === '%v'`, was), time.Second)
	t.Logf("the page showed another client's switch after %v", time.Since(start))

	// A device with a procedure joins, then leaves: shown, then gone.
	dev := dialRetry(t, ctx, sock, opCreds)
	if _, err := dev.Register(ctx, "probe.ping", func(context.Context, *device.Invocation) (wamp.Payload, error) {
		return wamp.Payload{Args: wamp.List{"pong"}}, nil
	}, nil); err != nil {
		t.Fatal(err)
	}
	row := deviceRow(`col('procedures').includes('probe.ping')`)
	p.Wait("the new device and its procedure", row+` !== undefined`, 5*time.Second)
	p.Wait("a form for probe.ping", `$('controls').textContent.includes('probe.ping')`, 5*time.Second)
	// The devices table: each session's transport, join time, messages and
	// the topics it published.
	if _, err := dev.Call(ctx, "probe.ping", wamp.Payload{}, nil); err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		if err := dev.Publish(ctx, wamp.URI(fmt.Sprintf("probe.t%d", i)), wamp.Payload{Args: wamp.List{i}}, &device.PublishOptions{Acknowledge: true}); err != nil {
			t.Fatal(err)
		}
	}
	p.Wait("the device's transport, time, messages and topics", deviceCols(row,
		`col('transport') === 'unix' && /\d:\d\d/.test(col('since')) && Number(col('messages in')) >= 7 && Number(col('messages out')) >= 7 && col('topics published') === 'probe.t0 probe.t1 probe.t2'`), 5*time.Second)
	p.Wait("the page's own session over ws", deviceCols(deviceRow(`col('state') === 'this page'`),
		`col('transport') === 'ws' && Number(col('messages in')) > 3 && col('authid') === 'op'`), 5*time.Second)
	p.Wait("the demo device's topics", deviceCols(deviceRow(`col('procedures').includes('light.set')`),
		`col('transport') === 'inproc' && col('topics published').includes('temperature')`), 5*time.Second)
	p.Shot("4-device")
	dev.Close()
	p.Wait("the device gone", deviceCols(row, `r.className === 'gone' && col('state').startsWith('gone ')`), 5*time.Second)
	p.Shot("5-device-gone")

	// The gateway restarts: the page joins again by itself. (The browser
	// logs the connections refused meanwhile; the page itself logs nothing.)
	p.NoErrors()
	stop()
	p.Wait("the connection lost", `$('status').className === 'err'`, 5*time.Second)
	p.Shot("6-gateway-down")
	runGateway(t, fc)
	p.Wait("joined again", `$('status').textContent.startsWith('joined site as op')`, 20*time.Second)
	p.Wait("readings again", `Number($('chart').dataset.points) > 0`, 10*time.Second)
	p.Shot("7-reconnected")
	p.DropErrors("net::ERR_CONNECTION_REFUSED")
	p.NoErrors()

	// The viewer sees the light, but its switch is disabled, and says why;
	// a click forced anyway is refused, and the page says so.
	c = dialRetry(t, ctx, sock, opCreds)
	v := openDashboard(t, ctx, chromium, "dashboard-viewer", "http://"+dash+"/")
	login(v, "cra", "cra-secret-3", "wampcra") // salted WAMP-CRA, role viewer
	v.Wait("the viewer's switch", `$('switch-light') && $('switch-light').dataset.on !== 'null'`, 10*time.Second)
	v.Wait("the switch disabled, with a note", `$('switch-light').disabled && $('controls').textContent.includes('read only: role viewer')`, 10*time.Second)
	v.Shot("8-viewer-read-only")
	before := callLight(t, ctx, c)
	v.Eval(`$('switch-light').disabled = false; ''`)
	v.Click("#switch-light")
	v.Wait("the refusal shown", `$('controls').textContent.includes('refused: you may not call light.set')`, 5*time.Second)
	if got := callLight(t, ctx, c); got != before {
		t.Errorf("the viewer switched the light: %v -> %v", before, got)
	}
	v.Shot("9-viewer-forced-refused")
	v.NoErrors()
	if p.Eval(`String($('switch-light').disabled)`) != "false" {
		t.Error("the operator's switch is disabled")
	}

	for _, name := range []string{"web/index.html", "web/dashboard.js"} {
		fi, err := os.Stat(name)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("page weight: %s %d bytes", name, fi.Size())
	}
}

// deviceRow is a JavaScript expression for the first row of the devices
// table where cond holds; in cond, col(name) is the text of its column name.
func deviceRow(cond string) string {
	return `[...$('devices').rows].find((r) => { const col = (n) => (r.querySelector('[data-col="' + n + '"]') || {}).textContent; return r.dataset.session && ` + cond + `; })`
}

// deviceCols is a JavaScript expression: cond holds for the row (an
// expression), with col(name) as in deviceRow.
func deviceCols(row, cond string) string {
	return `((r) => { if (!r) return false; const col = (n) => (r.querySelector('[data-col="' + n + '"]') || {}).textContent; return ` + cond + `; })(` + row + `)`
}

// TestDashboardWeight: the whole page (HTML and script) stays under 100 KB
// uncompressed.
func TestDashboardWeight(t *testing.T) {
	if n := len(dashboardPage) + len(dashboardScript); n >= 100_000 {
		t.Errorf("the page weighs %d bytes, want < 100 KB", n)
	}
}

// TestDashboardAnonymous: on a realm open to anonymous sessions (as with
// sensorbridge -demo -dashboard ADDR), the page joins without a login and
// shows the demo's readings and its light's switch, enabled; its gateway
// panel shows the uplink, which cannot connect, with its last error.
func TestDashboardAnonymous(t *testing.T) {
	chromium := browsertest.RequireChromium(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	addrs := mustStart(t, map[string]any{
		"listeners": []any{map[string]any{"url": "unix://" + filepath.Join(t.TempDir(), "sb.sock")}},
		"demo":      true,
		"dashboard": map[string]any{"listen": "127.0.0.1:0"},
		"uplink":    map[string]any{"url": "rs://127.0.0.1:1", "min_backoff": "50ms"},
	})
	p := openDashboard(t, ctx, chromium, "dashboard-anonymous", "http://"+addrs["dashboard"]+"/")
	p.Wait("joined without a login", `$('status').textContent.startsWith('joined realm1 as anonymous') && $('login').hidden`, 10*time.Second)
	p.Wait("a temperature", `[...$('readings').rows].some((r) => r.dataset.topic === 'temperature')`, 10*time.Second)
	p.Wait("the light's switch", `$('switch-light') && $('switch-light').dataset.on === 'false'`, 10*time.Second)
	lastError := `(($('uplink').querySelector('[data-key="last_error"]') || {}).textContent || '')`
	p.Wait("the uplink's last error", lastError+`.includes('connecting failed') && `+lastError+`.includes('connection refused') && /\d:\d\d/.test(`+lastError+`)`, 10*time.Second)
	if p.Eval(`String($('switch-light').disabled)`) != "false" {
		t.Error("the anonymous session's switch is disabled in a realm without permissions")
	}
	p.Shot("1-joined")
	p.NoErrors()
}
