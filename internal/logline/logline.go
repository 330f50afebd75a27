// Package logline is a small structured logger that writes the lines of
// log/slog's TextHandler and JSONHandler without linking log/slog.
//
// Importing log/slog links its built-in handlers and, through them,
// encoding/json, because the package's own initialisation installs its
// default handler. Both
// edge-agent binaries log through this package, and their build tag
// edgewamp_noslog keeps log/slog out of the device package too. The lines
// are byte for byte what slog.NewTextHandler and slog.NewJSONHandler write
// for the values edgewamp logs (strings, numbers, booleans, durations,
// times, errors, byte slices, text marshalers), which the tests check
// against log/slog itself. A struct, a map or a named number type is
// written as fmt's %+v string, in JSON where slog would marshal it.
//
// A [*Logger] has the Debug, Info, Warn and Error methods of *slog.Logger,
// so it satisfies device.Logger.
package logline

import (
	"io"
	"sync"
	"time"
)

// Level is a log level, with log/slog's values.
type Level int

// The levels, as in log/slog.
const (
	LevelDebug Level = -4
	LevelInfo  Level = 0
	LevelWarn  Level = 4
	LevelError Level = 8
)

// levelOff is above every level: a Logger at it writes nothing.
const levelOff Level = 1 << 30

// String returns the level's name as log/slog writes it: DEBUG, INFO, WARN,
// ERROR, or the nearest of those with an offset, such as INFO+2.
func (l Level) String() string {
	name := func(base string, d Level) string {
		if d == 0 {
			return base
		}
		return base + signed(int(d))
	}
	switch {
	case l < LevelInfo:
		return name("DEBUG", l-LevelDebug)
	case l < LevelWarn:
		return name("INFO", l-LevelInfo)
	case l < LevelError:
		return name("WARN", l-LevelWarn)
	default:
		return name("ERROR", l-LevelError)
	}
}

func signed(n int) string {
	if n >= 0 {
		return "+" + itoa(n)
	}
	return "-" + itoa(-n)
}

func itoa(n int) string {
	var b [20]byte
	i := len(b)
	for {
		i--
		b[i] = byte('0' + n%10)
		if n /= 10; n == 0 {
			return string(b[i:])
		}
	}
}

// Format is a line format.
type Format uint8

// The formats: TextHandler's key=value lines and JSONHandler's objects.
const (
	Text Format = iota
	JSON
)

// maxKeptBuffer is the largest line buffer a Logger keeps between lines.
const maxKeptBuffer = 16 << 10

// Logger writes one line per call to its writer, under a mutex, so lines
// from concurrent callers never interleave. Its zero value is not usable;
// make one with [New] or [Discard].
type Logger struct {
	min    Level
	format Format
	now    func() time.Time // nil: no time field (tests)

	mu  sync.Mutex
	w   io.Writer
	buf []byte
}

// New returns a Logger that writes lines of format to w, for records at
// level min and above.
func New(w io.Writer, format Format, min Level) *Logger {
	return &Logger{w: w, format: format, min: min, now: time.Now}
}

// Discard returns a Logger that writes nothing.
func Discard() *Logger { return &Logger{min: levelOff, w: io.Discard} }

// Enabled reports whether records at level are written.
func (l *Logger) Enabled(level Level) bool { return level >= l.min }

// Debug logs msg and the key-value pairs args at LevelDebug.
func (l *Logger) Debug(msg string, args ...any) { l.Log(LevelDebug, msg, args...) }

// Info logs msg and the key-value pairs args at LevelInfo.
func (l *Logger) Info(msg string, args ...any) { l.Log(LevelInfo, msg, args...) }

// Warn logs msg and the key-value pairs args at LevelWarn.
func (l *Logger) Warn(msg string, args ...any) { l.Log(LevelWarn, msg, args...) }

// Error logs msg and the key-value pairs args at LevelError.
func (l *Logger) Error(msg string, args ...any) { l.Log(LevelError, msg, args...) }

// Log writes one line at level. args are key-value pairs as log/slog takes
// them: a string key followed by its value; a value without a string key
// before it is written under the key !BADKEY.
func (l *Logger) Log(level Level, msg string, args ...any) {
	if !l.Enabled(level) {
		return
	}
	var t time.Time
	if l.now != nil {
		t = l.now()
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.buf[:0]
	if l.format == JSON {
		b = appendJSONLine(b, t, level, msg, args)
	} else {
		b = appendTextLine(b, t, level, msg, args)
	}
	_, _ = l.w.Write(b) // as slog's handlers, a logger has nowhere to report a failed write
	if cap(b) <= maxKeptBuffer {
		l.buf = b
	} else {
		l.buf = nil
	}
}

// nextAttr takes the next key and value from args, as slog's argsToAttr.
func nextAttr(args []any) (key string, val any, rest []any) {
	if k, ok := args[0].(string); ok {
		if len(args) == 1 {
			return "!BADKEY", k, nil
		}
		return k, args[1], args[2:]
	}
	return "!BADKEY", args[0], args[1:]
}
