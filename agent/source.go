package agent

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"strconv"
	"time"

	"github.com/edgewamp/edgewamp/agent/demo"
	"github.com/edgewamp/edgewamp/agent/gpio"
)

// maxRead bounds what a file actuator's get reads back and what a command
// may print (a file sensor reads its first 4 KiB).
const maxRead = 64 << 10

// reading is one value taken from a source.
type reading struct {
	_     [0]func() // not comparable: no equality function to link
	num   float64
	str   string
	isStr bool
	isInt bool      // publish num as an integer (GPIO levels)
	at    time.Time // when it was taken, if the source knows better than the clock
}

// value is the reading as published.
func (r reading) value() any {
	switch {
	case r.isStr:
		return r.str
	case r.isInt:
		return int64(r.num)
	}
	return r.num
}

// source produces readings on demand. read is called from one goroutine.
type source interface {
	read(ctx context.Context) (reading, error)
	close() error
}

// watcher is a source that also reports changes by itself (GPIO edges):
// watch calls emit for each until ctx is done or the source fails.
type watcher interface {
	source
	watch(ctx context.Context, emit func(reading)) error
}

// numberParser turns text into a reading: a number scaled and offset, or
// the trimmed string.
type numberParser struct {
	_             [0]func() // not comparable: no equality function to link
	asString      bool
	scale, offset float64
}

func newParser(s *SensorConfig) numberParser {
	p := numberParser{asString: s.Parse == "string", scale: 1, offset: s.Offset}
	if s.Scale != nil {
		p.scale = *s.Scale
	}
	return p
}

func (p numberParser) parse(b []byte) (reading, error) {
	t := string(bytes.TrimSpace(b))
	if p.asString {
		return reading{str: t, isStr: true}, nil
	}
	f, err := strconv.ParseFloat(t, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		if len(t) > 40 {
			t = t[:40] + "..."
		}
		return reading{}, fmt.Errorf("%q is not a number", t)
	}
	return reading{num: f*p.scale + p.offset}, nil
}

// fileSource reads a file such as /sys/class/thermal/thermal_zone0/temp.
type fileSource struct {
	path string
	p    numberParser
	buf  []byte
}

func (s *fileSource) read(context.Context) (reading, error) {
	f, err := os.Open(s.path)
	if err != nil {
		return reading{}, err
	}
	defer f.Close()
	n, err := io.ReadFull(f, s.buf)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return reading{}, fmt.Errorf("read %s: %w", s.path, err)
	}
	r, err := s.p.parse(s.buf[:n])
	if err != nil {
		return reading{}, fmt.Errorf("%s: %w", s.path, err)
	}
	return r, nil
}

func (s *fileSource) close() error { return nil }

// commandSource runs a program (never through a shell) and reads its output.
type commandSource struct {
	argv    []string
	timeout time.Duration
	p       numberParser
}

func (s *commandSource) read(ctx context.Context) (reading, error) {
	out, err := runCommand(ctx, s.argv, s.timeout)
	if err != nil {
		return reading{}, err
	}
	r, err := s.p.parse(out)
	if err != nil {
		return reading{}, fmt.Errorf("%s: %w", s.argv[0], err)
	}
	return r, nil
}

func (s *commandSource) close() error { return nil }

// simSource is the demo's simulated sensor: a sine around base; with
// demo set (no base, amplitude or period configured), demo.Reading's wave
// plus noise, so that successive readings differ visibly.
type simSource struct {
	base, amp float64
	period    time.Duration
	start     time.Time
	now       func() time.Time
	demo      bool
}

func (s *simSource) read(context.Context) (reading, error) {
	t := s.now().Sub(s.start)
	if s.demo {
		return reading{num: demo.Reading(t, 2*rand.Float64()-1)}, nil
	}
	v := s.base + s.amp*math.Sin(2*math.Pi*t.Seconds()/s.period.Seconds())
	return reading{num: math.Round(v*10) / 10}, nil
}

func (s *simSource) close() error { return nil }

// Line is a requested GPIO line, as the agent uses it; *gpio.Line
// implements it, and tests plug in fakes through Options.OpenGPIO.
type Line interface {
	Value() (int, error)
	SetValue(v int) error
	ReadEvent() (gpio.Event, error)
	Close() error
}

// gpioSource reads an input line, and with edge events watches it.
type gpioSource struct {
	_     [0]func() // not comparable: no equality function to link
	line  Line
	edges bool
}

func (s *gpioSource) read(context.Context) (reading, error) {
	v, err := s.line.Value()
	if err != nil {
		return reading{}, err
	}
	return reading{num: float64(v), isInt: true}, nil
}

func (s *gpioSource) close() error { return s.line.Close() }

// watch reports each edge as the logical level it leads to. It returns when
// the line is closed (which close does on shutdown) or fails.
func (s *gpioSource) watch(ctx context.Context, emit func(reading)) error {
	if !s.edges {
		<-ctx.Done()
		return nil
	}
	for {
		ev, err := s.line.ReadEvent()
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
		v := 0.0
		if ev.Kind == gpio.RisingEdge {
			v = 1
		}
		emit(reading{num: v, isInt: true, at: ev.Time})
	}
}
