package agent

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/edgewamp/edgewamp/agent/gpio"
	"github.com/edgewamp/edgewamp/wamp"
)

func TestCheckArgs(t *testing.T) {
	specs := []ArgSpec{
		{Name: "level", Type: "int", Min: ptr(0.0), Max: ptr(255.0)},
		{Name: "mode", Type: "string", Enum: []any{"on", "off", "blink"}},
		{Name: "rate", Type: "number", Min: ptr(0.5)},
		{Name: "force", Type: "bool"},
	}
	tests := []struct {
		name string
		args wamp.List
		want []any
		err  string
	}{
		{"ok", wamp.List{int64(10), "on", 1.5, true}, []any{int64(10), "on", 1.5, true}, ""},
		{"msgpack ints", wamp.List{uint8(255), "off", int8(1), false}, []any{int64(255), "off", 1.0, false}, ""},
		{"integral float as int", wamp.List{3.0, "blink", 2, true}, []any{int64(3), "blink", 2.0, true}, ""},
		{"too few", wamp.List{int64(1)}, nil, "takes 4 argument(s), got 1"},
		{"too many", wamp.List{int64(1), "on", 1.0, true, 5}, nil, "takes 4 argument(s), got 5"},
		{"not an int", wamp.List{1.5, "on", 1.0, true}, nil, "level: want an integer, got 1.5"},
		{"int as string", wamp.List{"10", "on", 1.0, true}, nil, `level: want an integer, got "10"`},
		{"below min", wamp.List{int64(-1), "on", 1.0, true}, nil, "level: -1 is below the minimum 0"},
		{"above max", wamp.List{int64(256), "on", 1.0, true}, nil, "level: 256 is above the maximum 255"},
		{"not in enum", wamp.List{int64(1), "dim", 1.0, true}, nil, "mode: dim is not one of [on off blink]"},
		{"null", wamp.List{int64(1), nil, 1.0, true}, nil, "mode: want a string, got null"},
		{"number below", wamp.List{int64(1), "on", 0.1, true}, nil, "rate: 0.1 is below the minimum 0.5"},
		{"bool as int", wamp.List{int64(1), "on", 1.0, 1}, nil, "force: want true or false, got 1"},
		{"list", wamp.List{int64(1), "on", 1.0, wamp.List{}}, nil, "force: want true or false, got a list"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := checkArgs("x.set", specs, tt.args)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) || !errors.Is(err, wamp.ErrInvalidArgument) {
					t.Fatalf("checkArgs = %v, %v; want invalid_argument %q", got, err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %#v, want %#v", got, tt.want)
			}
		})
	}
	long := strings.Repeat("x", DefaultMaxLen+1)
	if _, err := checkArgs("p", []ArgSpec{{Type: "string"}}, wamp.List{long}); err == nil || !strings.Contains(err.Error(), "arg0: string of 257 bytes") {
		t.Errorf("long string: %v", err)
	}
}

func TestFileActuator(t *testing.T) {
	// A fake /sys/class/leds/led0/brightness.
	dir := t.TempDir()
	path := filepath.Join(dir, "brightness")
	writeFile(t, path, "0\n")
	a := &fileActuator{path: path, spec: ArgSpec{Type: "int", Min: ptr(0.0), Max: ptr(255.0)}}
	ctx := context.Background()
	if v, err := a.set(ctx, []any{int64(128)}); err != nil || v != int64(128) {
		t.Fatalf("set = %v, %v", v, err)
	}
	if b, _ := os.ReadFile(path); string(b) != "128\n" {
		t.Errorf("file holds %q", b)
	}
	if v, err := a.get(ctx); err != nil || v != int64(128) {
		t.Errorf("get = %#v, %v", v, err)
	}
	writeFile(t, path, "7\n") // changed behind our back (a trigger): get shows the file
	if v, _ := a.get(ctx); v != int64(7) {
		t.Errorf("get after change = %#v", v)
	}
	s := &fileActuator{path: path, spec: ArgSpec{Type: "string", Enum: []any{"none", "heartbeat"}}}
	if _, err := s.set(ctx, []any{"heartbeat"}); err != nil {
		t.Fatal(err)
	}
	if v, _ := s.get(ctx); v != "heartbeat" {
		t.Errorf("string get = %#v", v)
	}
	gone := &fileActuator{path: filepath.Join(dir, "missing"), spec: ArgSpec{Type: "int"}}
	if _, err := gone.set(ctx, []any{int64(1)}); !errors.Is(err, &wamp.Error{URI: ErrActuatorFailed}) {
		t.Errorf("set on a missing file: %v", err)
	}
	if _, err := os.Stat(gone.path); err == nil {
		t.Error("set created the missing file")
	}
}

func TestCommandActuator(t *testing.T) {
	dir := t.TempDir()
	script := filepath.Join(dir, "svc")
	writeFile(t, script, "#!/bin/sh\nif [ \"$2\" = bad ]; then echo nope >&2; exit 4; fi\necho \"did $*\"\n")
	if err := os.Chmod(script, 0o755); err != nil {
		t.Fatal(err)
	}
	now := time.Unix(1700000000, 0)
	a := &commandActuator{argv: []string{script, "restart"}, timeout: 5 * time.Second, now: func() time.Time { return now }}
	ctx := context.Background()
	if v, _ := a.get(ctx); v != nil {
		t.Errorf("state before any run: %v", v)
	}
	v, err := a.set(ctx, []any{"nginx; rm -rf /", int64(2)})
	if err != nil {
		t.Fatal(err)
	}
	if v != "did restart nginx; rm -rf / 2" {
		t.Errorf("output %q: arguments must reach argv unchanged", v)
	}
	st, _ := a.get(ctx)
	if d := st.(wamp.Dict); d["exit_code"] != 0 || d["output"] != v {
		t.Errorf("state %v", d)
	}
	_, err = a.set(ctx, []any{"bad"})
	var we *wamp.Error
	if !errors.As(err, &we) || we.URI != ErrCommandFailed || we.Kwargs["exit_code"] != 4 || !strings.Contains(err.Error(), "nope") {
		t.Errorf("failing command: %#v", err)
	}
	if st, _ := a.get(ctx); st.(wamp.Dict)["exit_code"] != 4 {
		t.Errorf("state after failure %v", st)
	}
}

func TestGPIOActuator(t *testing.T) {
	line := newFakeLine("/dev/gpiochip0", gpio.LineConfig{Output: true})
	a := &gpioActuator{line: line}
	ctx := context.Background()
	if v, err := a.set(ctx, []any{true}); err != nil || v != true {
		t.Fatalf("set = %v, %v", v, err)
	}
	if v, _ := a.get(ctx); v != true {
		t.Errorf("get = %v", v)
	}
	a.set(ctx, []any{false})
	if !reflect.DeepEqual(line.sets, []int{1, 0}) {
		t.Errorf("line saw %v", line.sets)
	}
	// 0 and 1 are accepted for the boolean argument, 2 is not.
	if args, err := checkArgs("p", boolSpecs, toBoolArgs(wamp.List{int64(1)})); err != nil || args[0] != true {
		t.Errorf("1 -> %v, %v", args, err)
	}
	if _, err := checkArgs("p", boolSpecs, toBoolArgs(wamp.List{int64(2)})); err == nil {
		t.Error("2 accepted as a boolean")
	}
}
