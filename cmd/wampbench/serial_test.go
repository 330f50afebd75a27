//go:build linux

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"strings"
	"testing"

	"github.com/edgewamp/edgewamp/internal/ptytest"
)

// TestSerial runs the serial scenario briefly over a paced pty line, with
// minirouter in this process, for both serializers: readings reach the
// subscriber, every layer's bytes are counted, and the latency and call
// rows have samples. The shares are checked loosely (the machine may be
// loaded): BENCHMARKS.md holds the measured ones.
func TestSerial(t *testing.T) {
	if p, err := ptytest.Open(); err != nil {
		t.Skipf("no pty here: %v", err)
	} else {
		p.Close()
	}
	for _, ser := range []string{"msgpack", "json"} {
		t.Run(ser, func(t *testing.T) {
			var out bytes.Buffer
			args := []string{"serial", "-baud", "250000", "-serializer", ser, "-duration", "1s", "-warmup", "300ms",
				"-slow-rate", "10", "-slow-for", "1s", "-calls-for", "300ms", "-json"}
			if err := run(context.Background(), args, &out, io.Discard); err != nil {
				t.Fatal(err)
			}
			var r serialResult
			if err := json.Unmarshal(out.Bytes(), &r); err != nil {
				t.Fatal(err, out.String())
			}
			t.Logf("%+v", r)
			if r.Readings == 0 || r.Serializer != ser || r.LineBytesPerSec != 25000 || r.Router != "minirouter (in process)" {
				t.Fatalf("result %+v", r)
			}
			// The layers nest: payload < WAMP message < frame (6 bytes more per
			// message; over a 1 s window the line's bytes and the readings
			// counted by the subscriber are not of exactly the same messages).
			if want := r.WAMPBytesPerReading + 6; r.WAMPBytesPerReading <= float64(r.PayloadBytes) ||
				r.FrameBytesPerReading < 0.85*want || r.FrameBytesPerReading > 1.15*want {
				t.Errorf("bytes per reading: payload %d, WAMP %.1f, frames %.1f", r.PayloadBytes, r.WAMPBytesPerReading, r.FrameBytesPerReading)
			}
			if r.AckBytesPerReading < 5 || r.AckBytesPerReading > 8 {
				t.Errorf("%.1f bytes back per reading, want one 6-byte ACK", r.AckBytesPerReading)
			}
			if r.LineShare > 1.1 || r.WAMPShare < 0.3 || r.PayloadShare >= r.WAMPShare {
				t.Errorf("shares: line %.2f, WAMP %.2f, payload %.2f", r.LineShare, r.WAMPShare, r.PayloadShare)
			}
			if r.Latency == nil || r.Latency.Count < 5 || r.CallRTT == nil || r.CallRTT.Count == 0 {
				t.Errorf("latency %+v, calls %+v", r.Latency, r.CallRTT)
			}
		})
	}
}

// TestSerialFlags refuses out-of-range flags.
func TestSerialFlags(t *testing.T) {
	for _, args := range [][]string{
		{"-baud", "100"}, {"-serializer", "cbor"}, {"-duration", "0s"}, {"-window", "17"}, {"-byte-errors", "0.5"},
	} {
		err := run(context.Background(), append([]string{"serial"}, args...), io.Discard, io.Discard)
		if err == nil || !strings.Contains(err.Error(), "want -baud") {
			t.Errorf("%v: %v", args, err)
		}
	}
}
