package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"strconv"
	"testing"
	"time"
)

// TestParseProcCPU reads utime + stime from /proc/PID/stat texts, with a
// command name holding spaces and parentheses.
func TestParseProcCPU(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"42 (sensorbridge) S 1 42 42 0 -1 4194560 900 0 0 0 150 25 0 0 20 0 9 0", 1750 * time.Millisecond, true},
		{"7 (a (b) c) R 1 7 7 0 -1 0 0 0 0 0 3 4 0 0", 70 * time.Millisecond, true},
		{"7 (x) R 1 7", 0, false},
		{"no parenthesis", 0, false},
		{"7 (x) R 1 7 7 0 -1 0 0 0 0 0 u s", 0, false},
	} {
		got, err := parseProcCPU([]byte(tc.in))
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("%q: %v, %v; want %v (ok %v)", tc.in, got, err, tc.want, tc.ok)
		}
	}
}

// TestJoins runs the joins scenario against minirouter in this process (its
// CPU time is this process's), over RawSocket: every join counted, none
// over TLS.
func TestJoins(t *testing.T) {
	lr := testRouter(t, "rs://127.0.0.1:0")
	var out bytes.Buffer
	args := []string{"joins", "-url", lr.url, "-joins", "20", "-router-pid", strconv.Itoa(os.Getpid()), "-json"}
	if err := run(context.Background(), args, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	var r joinsResult
	if err := json.Unmarshal(out.Bytes(), &r); err != nil {
		t.Fatal(err, out.String())
	}
	if r.Joins != 20 || r.Resumed != 0 || r.Failed != 0 || r.JoinP50us <= 0 {
		t.Errorf("result %+v", r)
	}
}
