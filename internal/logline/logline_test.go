package logline

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/netip"
	"os"
	"strings"
	"sync"
	"testing"
	"time"
)

type name string

// sameAsSlog are records whose lines must be byte for byte what log/slog's
// handlers write.
var sameAsSlog = []struct {
	msg  string
	args []any
}{
	{"plain", nil},
	{"", nil},
	{"needs quoting", []any{"k", "v w"}},
	{"strings", []any{"empty", "", "eq", "a=b", "quote", `say "hi"`, "backslash", `a\b`, "nl", "a\nb",
		"tab", "a\tb", "ctl", "a\x01b", "del", "a\x7fb", "utf8", "héllo", "nbsp", "a\u00a0b",
		"bad", "a\xffb", "ls", "a\u2028b", "emoji", "🌡", "uri", "light.set"}},
	{"numbers", []any{"int", 42, "neg", -7, "i8", int8(-8), "i16", int16(16), "i32", int32(-32), "i64", int64(math.MinInt64),
		"u", uint(7), "u8", uint8(255), "u16", uint16(65535), "u32", uint32(1 << 31), "u64", uint64(math.MaxUint64),
		"uptr", uintptr(12)}},
	{"floats", []any{"f", 1.5, "zero", 0.0, "big", 1e21, "bigish", 1e20, "small", 1e-7, "smallish", 0.000001,
		"neg", -2.25e-9, "f32", float32(0.1), "third", 1.0 / 3, "int", 3.0, "huge", 1.7976931348623157e308}},
	{"bools", []any{"t", true, "f", false}},
	{"durations", []any{"d", 1500 * time.Millisecond, "zero", time.Duration(0), "neg", -time.Microsecond}},
	{"times", []any{"utc", time.Date(2026, 11, 24, 5, 13, 0, 123456789, time.UTC),
		"zone", time.Date(2026, 1, 2, 3, 4, 5, 0, time.FixedZone("X", -(3*3600+1800)))}},
	{"errors", []any{"error", errors.New("dial tcp 127.0.0.1:8080: connect: connection refused"),
		"wrapped", fmt.Errorf("join: %w", io.EOF)}},
	{"bytes", []any{"b", []byte("hi there"), "bin", []byte{0, 1, 0xff}, "nil", []byte(nil)}},
	{"named string", []any{"topic", name("sensor.temp"), "spaced", name("a b")}},
	{"text marshaler", []any{"addr", netip.MustParseAddr("::1")}},
	{"nil", []any{"v", nil}},
	{"bad keys", []any{1, "k", "v", "dangling"}},
	{"bad key only", []any{"dangling"}},
	{"quoted key", []any{"a key", 1, "", 2}},
}

func slogLine(t *testing.T, format Format, tm time.Time, level Level, msg string, args []any) string {
	t.Helper()
	var buf bytes.Buffer
	o := &slog.HandlerOptions{Level: slog.LevelDebug - 10}
	var h slog.Handler = slog.NewTextHandler(&buf, o)
	if format == JSON {
		h = slog.NewJSONHandler(&buf, o)
	}
	r := slog.NewRecord(tm, slog.Level(level), msg, 0)
	r.Add(args...)
	if err := h.Handle(context.Background(), r); err != nil {
		t.Fatalf("slog: %v", err)
	}
	return buf.String()
}

func ourLine(format Format, tm time.Time, level Level, msg string, args []any) string {
	var buf bytes.Buffer
	l := New(&buf, format, LevelDebug-10)
	l.now = func() time.Time { return tm }
	if tm.IsZero() {
		l.now = nil
	}
	l.Log(level, msg, args...)
	return buf.String()
}

func TestSameLinesAsSlog(t *testing.T) {
	times := []time.Time{{}, time.Date(2026, 11, 24, 5, 13, 7, 4_000_000, time.UTC),
		time.Date(2026, 11, 24, 5, 13, 7, 999_999_999, time.FixedZone("CET", 3600))}
	for _, format := range []Format{Text, JSON} {
		for _, tc := range sameAsSlog {
			for _, level := range []Level{LevelDebug, LevelInfo, LevelWarn, LevelError, LevelInfo + 2, LevelDebug - 1} {
				for _, tm := range times {
					want := slogLine(t, format, tm, level, tc.msg, tc.args)
					got := ourLine(format, tm, level, tc.msg, tc.args)
					if got != want {
						t.Errorf("format %d, %q at %v, time %v:\n got %s\nwant %s", format, tc.msg, level, tm, got, want)
					}
				}
			}
		}
	}
}

// TestDifferences pins where the lines differ from slog's on purpose.
func TestDifferences(t *testing.T) {
	type point struct{ X, Y int }
	tests := []struct {
		format Format
		v      any
		want   string
	}{
		{JSON, math.NaN(), `{"level":"INFO","msg":"m","v":"NaN"}` + "\n"},
		{JSON, math.Inf(-1), `{"level":"INFO","msg":"m","v":"-Inf"}` + "\n"},
		{JSON, point{1, 2}, `{"level":"INFO","msg":"m","v":"{X:1 Y:2}"}` + "\n"},
		{Text, point{1, 2}, `level=INFO msg=m v="{X:1 Y:2}"` + "\n"}, // the same as slog's
	}
	for _, tt := range tests {
		if got := ourLine(tt.format, time.Time{}, LevelInfo, "m", []any{"v", tt.v}); got != tt.want {
			t.Errorf("%#v: got %s want %s", tt.v, got, tt.want)
		}
	}
}

func TestLevels(t *testing.T) {
	var buf bytes.Buffer
	l := New(&buf, Text, LevelWarn)
	l.now = nil
	l.Debug("d")
	l.Info("i")
	l.Warn("w", "n", 1)
	l.Error("e")
	if want := "level=WARN msg=w n=1\nlevel=ERROR msg=e\n"; buf.String() != want {
		t.Fatalf("got %q, want %q", buf.String(), want)
	}
	if l.Enabled(LevelInfo) || !l.Enabled(LevelError) {
		t.Fatal("Enabled disagrees with the minimum level")
	}
	d := Discard()
	d.Error("nothing")
	if d.Enabled(LevelError + 100) {
		t.Fatal("Discard is enabled")
	}
	names := map[Level]string{LevelDebug: "DEBUG", LevelInfo: "INFO", LevelWarn: "WARN", LevelError: "ERROR",
		LevelError + 5: "ERROR+5", LevelDebug - 2: "DEBUG-2"}
	for l, want := range names {
		if l.String() != want || slog.Level(l).String() != want {
			t.Errorf("Level(%d) = %s (slog %s), want %s", int(l), l, slog.Level(l), want)
		}
	}
}

func TestNowIsUsed(t *testing.T) {
	var buf bytes.Buffer
	New(&buf, Text, LevelInfo).Info("m")
	line := buf.String()
	if !strings.HasPrefix(line, "time=") || !strings.HasSuffix(line, " level=INFO msg=m\n") {
		t.Fatalf("line %q has no time field", line)
	}
	if _, err := time.Parse(time.RFC3339, strings.Fields(line)[0][len("time="):]); err != nil {
		t.Fatalf("time field: %v", err)
	}
}

// TestConcurrentLinesDoNotInterleave writes from many goroutines and checks
// that every line arrives whole.
func TestConcurrentLinesDoNotInterleave(t *testing.T) {
	var buf bytes.Buffer
	l := New(&buf, JSON, LevelInfo)
	l.now = nil
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 200 {
				l.Info("m", "g", g, "i", i, "pad", strings.Repeat("x", 100))
			}
		})
	}
	wg.Wait()
	lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
	if len(lines) != 1600 {
		t.Fatalf("%d lines, want 1600", len(lines))
	}
	for _, ln := range lines {
		if !strings.HasPrefix(ln, `{"level":"INFO","msg":"m","g":`) || !strings.HasSuffix(ln, `x"}`) {
			t.Fatalf("torn line %q", ln)
		}
	}
}

func TestLargeLineBufferIsNotKept(t *testing.T) {
	l := New(io.Discard, Text, LevelInfo)
	l.Info("big", "v", strings.Repeat("y", 2*maxKeptBuffer))
	if cap(l.buf) > maxKeptBuffer {
		t.Fatalf("kept a %d-byte buffer", cap(l.buf))
	}
	l.Info("small")
	if cap(l.buf) == 0 {
		t.Fatal("a small line's buffer was not kept")
	}
}

func BenchmarkInfo(b *testing.B) {
	for _, f := range []struct {
		name   string
		format Format
	}{{"text", Text}, {"json", JSON}} {
		b.Run(f.name, func(b *testing.B) {
			l := New(io.Discard, f.format, LevelInfo)
			err := errors.New("connection refused")
			b.ReportAllocs()
			for b.Loop() {
				l.Warn("device: connecting failed", "error", err, "retry_in", 2*time.Second)
			}
		})
	}
}

func ExampleLogger() {
	l := New(os.Stdout, Text, LevelInfo)
	l.now = nil // leave the time out, so that the output is fixed
	l.Debug("not written")
	l.Info("device: joined", "realm", "realm1", "session", 4711)
	// Output: level=INFO msg="device: joined" realm=realm1 session=4711
}
