package agent

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/edgewamp/edgewamp/agent/demo"
)

func ptr[T any](v T) *T { return &v }

func writeFile(t *testing.T, path, s string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestFileSource(t *testing.T) {
	// A fake sysfs tree: a thermal zone, an hwmon input, a text attribute.
	dir := t.TempDir()
	zone := filepath.Join(dir, "class/thermal/thermal_zone0/temp")
	hwmon := filepath.Join(dir, "class/hwmon/hwmon0/in1_input")
	status := filepath.Join(dir, "class/power_supply/BAT0/status")
	for _, p := range []string{zone, hwmon, status} {
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	writeFile(t, zone, "48312\n")
	writeFile(t, hwmon, "  3300 \n")
	writeFile(t, status, "Charging\n")
	tests := []struct {
		name string
		sc   SensorConfig
		want any
		err  string
	}{
		{"thermal zone millidegrees", SensorConfig{Path: zone, Scale: ptr(0.001)}, 48.312, ""},
		{"hwmon with offset", SensorConfig{Path: hwmon, Scale: ptr(0.001), Offset: -0.3}, 3.0, ""},
		{"string", SensorConfig{Path: status, Parse: "string"}, "Charging", ""},
		{"not a number", SensorConfig{Path: status}, nil, `"Charging" is not a number`},
		{"missing", SensorConfig{Path: filepath.Join(dir, "nope")}, nil, "no such file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := &fileSource{path: tt.sc.Path, p: newParser(&tt.sc), buf: make([]byte, 4096)}
			r, err := src.read(context.Background())
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("read = %v, %v; want error %q", r, err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got := r.value()
			if f, ok := got.(float64); ok {
				if w := tt.want.(float64); f-w > 1e-9 || w-f > 1e-9 {
					t.Errorf("value %v, want %v", got, tt.want)
				}
			} else if got != tt.want {
				t.Errorf("value %v, want %v", got, tt.want)
			}
		})
	}
}

func TestCommandSource(t *testing.T) {
	dir := t.TempDir()
	// A test may run a script as argv (the product never runs a shell).
	slow := filepath.Join(dir, "slow")
	writeFile(t, slow, "#!/bin/sh\nexec sleep 10\n")
	failing := filepath.Join(dir, "failing")
	writeFile(t, failing, "#!/bin/sh\necho broken >&2\nexit 3\n")
	for _, p := range []string{slow, failing} {
		if err := os.Chmod(p, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name    string
		argv    []string
		parse   string
		scale   *float64
		timeout time.Duration
		want    any
		err     string
	}{
		{name: "number", argv: []string{"/bin/echo", "42.5"}, want: 42.5},
		{name: "scaled", argv: []string{"/bin/echo", "1500"}, scale: ptr(0.01), want: 15.0},
		{name: "string", argv: []string{"/bin/echo", "hello", "world"}, parse: "string", want: "hello world"},
		{name: "no shell expansion", argv: []string{"/bin/echo", "$HOME;", "`id`"}, parse: "string", want: "$HOME; `id`"},
		{name: "not a number", argv: []string{"/bin/echo", "x"}, err: `"x" is not a number`},
		{name: "exit status", argv: []string{failing}, err: "exit status 3: broken"},
		{name: "timeout", argv: []string{slow}, timeout: 100 * time.Millisecond, err: "timed out after 100ms"},
		{name: "missing program", argv: []string{filepath.Join(dir, "none")}, err: "no such file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sc := SensorConfig{Parse: tt.parse, Scale: tt.scale}
			timeout := tt.timeout
			if timeout == 0 {
				timeout = 5 * time.Second
			}
			src := &commandSource{argv: tt.argv, timeout: timeout, p: newParser(&sc)}
			start := time.Now()
			r, err := src.read(context.Background())
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("read = %v, %v; want error %q", r, err, tt.err)
				}
				if tt.name == "timeout" {
					var ce *CommandError
					if !errors.As(err, &ce) || time.Since(start) > 3*time.Second {
						t.Errorf("timeout: %T after %v", err, time.Since(start))
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := r.value(); got != tt.want {
				t.Errorf("value %#v, want %#v", got, tt.want)
			}
		})
	}
}

func TestSimSourceIsTheDemos(t *testing.T) {
	start := time.Unix(1000, 0)
	now := start
	src := &simSource{base: 21.5, amp: 3, period: 10 * time.Minute, start: start, now: func() time.Time { return now }}
	for _, d := range []time.Duration{0, time.Minute, 150 * time.Second, 7 * time.Minute} {
		now = start.Add(d)
		r, _ := src.read(context.Background())
		if want := demo.Temperature(d); r.num != want {
			t.Errorf("at %v: %v, want demo's %v", d, r.num, want)
		}
	}
}
