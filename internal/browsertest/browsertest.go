// Package browsertest drives a page in Debian's headless chromium for
// tests, through the DevTools protocol (chromedp): it skips a test where
// chromium is missing (failing instead in CI), collects the page's console
// errors, waits for JavaScript conditions, clicks, and saves screenshots
// next to the test logs. Only tests import it.
package browsertest

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// RequireChromium returns the path of Debian's chromium, or skips the test
// when it is not installed; it fails instead when CI=true or
// EDGEWAMP_INTEROP=1 says the browser must be there.
func RequireChromium(t *testing.T) string {
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

// OutDir is where screenshots go: $EDGEWAMP_TEST_OUT, or bin/test of the
// repository, beside the logs of scripts/test.sh.
func OutDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("EDGEWAMP_TEST_OUT")
	if dir == "" {
		_, file, _, _ := runtime.Caller(0)
		dir = filepath.Join(filepath.Dir(file), "..", "..", "bin", "test")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// Page is a headless chromium tab, with the errors its page logs collected
// and its screenshots saved as <Prefix>-<name>.png.
type Page struct {
	t      *testing.T
	ctx    context.Context
	prefix string
	// Shows is a JavaScript expression giving a string that describes what
	// the page shows, for failure messages and screenshot logs; "" for none.
	Shows  string
	mu     sync.Mutex
	errors []string
}

// Start starts chromium (closed when the test ends) with a w×h viewport.
func Start(t *testing.T, ctx context.Context, chromium, prefix string, w, h int64) *Page {
	t.Helper()
	actx, acancel := chromedp.NewExecAllocator(ctx, append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium), chromedp.WindowSize(int(w), int(h)))...)
	bctx, bcancel := chromedp.NewContext(actx)
	p := &Page{t: t, ctx: bctx, prefix: prefix}
	messages := chromedp.Console(bctx) // starts the browser
	done := make(chan struct{})
	go func() {
		defer close(done)
		for m, err := range messages {
			if err != nil {
				return
			}
			if m.Type == chromedp.ConsoleError || m.IsException() {
				p.mu.Lock()
				p.errors = append(p.errors, m.String())
				p.mu.Unlock()
			}
		}
	}()
	t.Cleanup(func() {
		bcancel()
		acancel()
		<-done
	})
	if err := chromedp.Do(bctx, chromedp.EmulateViewport(w, h)); err != nil {
		t.Fatalf("chromium: %v", err)
	}
	return p
}

// Do runs actions on the page within 20 s, failing the test on an error.
func (p *Page) Do(what string, actions ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, 20*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		p.t.Fatalf("%s: %v; the page shows %s", what, err, p.describe())
	}
}

// Eval evaluates a JavaScript expression whose value is a string.
func (p *Page) Eval(expr string) string {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, 10*time.Second)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Evaluate[string](expr))
	if err != nil {
		p.t.Fatalf("%s: %v", expr, err)
	}
	return s
}

// Wait waits up to d until the JavaScript expression cond is true.
func (p *Page) Wait(what, cond string, d time.Duration) {
	p.t.Helper()
	p.Do(what, chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := chromedp.Poll[bool](cond, chromedp.WithPollingTimeout(d), chromedp.WithPollingInterval(20*time.Millisecond))(ctx, t)
		return err
	}))
}

// Click clicks the element sel with the mouse. (chromedp.Click waits for
// the element to be visible, a check that never ends on our pages.)
func (p *Page) Click(sel string) {
	p.t.Helper()
	p.Do("click "+sel, chromedp.QueryAfter(sel, func(ctx context.Context, t *chromedp.Target, nodes []*chromedp.Node) (chromedp.Void, error) {
		return chromedp.MouseClickNode(nodes[0])(ctx, t)
	}, chromedp.NodeReady))
}

// describe evaluates Shows.
func (p *Page) describe() string {
	if p.Shows == "" {
		return "(not described)"
	}
	ctx, cancel := context.WithTimeout(p.ctx, 5*time.Second)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Evaluate[string](p.Shows))
	if err != nil {
		return "(unreadable: " + err.Error() + ")"
	}
	return s
}

// Shot saves a screenshot of the whole page as <prefix>-<name>.png.
func (p *Page) Shot(name string) {
	p.t.Helper()
	png, err := chromedp.Run(p.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		p.t.Fatalf("screenshot %s: %v", name, err)
	}
	path := filepath.Join(OutDir(p.t), p.prefix+"-"+name+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		p.t.Fatal(err)
	}
	p.t.Logf("screenshot: %s (%s)", path, p.describe())
}

// DropErrors forgets the errors logged so far that contain s (those the
// browser itself logs for an expected failure, say).
func (p *Page) DropErrors(s string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.errors = slices.DeleteFunc(p.errors, func(e string) bool { return strings.Contains(e, s) })
}

// NoErrors fails the test if the page logged an error or threw.
func (p *Page) NoErrors() {
	p.t.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.errors) > 0 {
		p.t.Fatalf("the page logged errors:\n%s", strings.Join(p.errors, "\n"))
	}
}
