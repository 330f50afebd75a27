package agent

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"reflect"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/edgewamp/edgewamp/agent/gpio"
	"github.com/edgewamp/edgewamp/wamp"
)

// seqSource returns its readings in turn, then repeats the last; a nil
// entry is a read error.
type seqSource struct {
	mu  sync.Mutex
	seq []*reading
	i   int
}

func (s *seqSource) read(context.Context) (reading, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.seq[min(s.i, len(s.seq)-1)]
	s.i++
	if r == nil {
		return reading{}, errors.New("sensor unplugged")
	}
	return *r, nil
}

func (s *seqSource) close() error { return nil }

func nums(v ...float64) []*reading {
	out := make([]*reading, len(v))
	for i := range v {
		out[i] = &reading{num: v[i]}
	}
	return out
}

// published is one publication seen by a test: value and seconds since start.
type published struct {
	v any
	t float64
}

type recorder struct {
	mu    sync.Mutex
	start time.Time
	got   []published
	kw    []wamp.Dict
}

func (r *recorder) publish(_ context.Context, _ wamp.URI, p wamp.Payload) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.got = append(r.got, published{p.Args[0], time.Since(r.start).Seconds()})
	r.kw = append(r.kw, p.Kwargs)
	return nil
}

func (r *recorder) list() []published {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]published(nil), r.got...)
}

func quiet() *slog.Logger { return slog.New(slog.DiscardHandler) }

func TestSensorRules(t *testing.T) {
	str := func(s string) *reading { return &reading{str: s, isStr: true} }
	tests := []struct {
		name string
		sc   SensorConfig
		seq  []*reading
		run  time.Duration
		want []published
	}{
		{
			name: "interval publishes every reading",
			sc:   SensorConfig{Interval: Duration(time.Second)},
			seq:  nums(1, 1, 2, 2),
			run:  3500 * time.Millisecond,
			want: []published{{1.0, 0}, {1.0, 1}, {2.0, 2}, {2.0, 3}},
		},
		{
			name: "on change with deadband",
			sc:   SensorConfig{OnChange: true, Deadband: 0.5, Poll: Duration(time.Second)},
			seq:  nums(20, 20.3, 20.6, 20.7, 21.2, 21.2, 20.9),
			run:  6500 * time.Millisecond,
			want: []published{{20.0, 0}, {20.6, 2}, {21.2, 4}},
		},
		{
			name: "on change without deadband",
			sc:   SensorConfig{OnChange: true, Poll: Duration(time.Second)},
			seq:  nums(1, 1, 1.01, 1.01),
			run:  3500 * time.Millisecond,
			want: []published{{1.0, 0}, {1.01, 2}},
		},
		{
			name: "heartbeat interval with on change",
			sc:   SensorConfig{OnChange: true, Deadband: 1, Interval: Duration(3 * time.Second), Poll: Duration(time.Second)},
			seq:  nums(5, 5, 5, 5, 7, 7, 7, 7),
			run:  7500 * time.Millisecond,
			want: []published{{5.0, 0}, {5.0, 3}, {7.0, 4}, {7.0, 7}},
		},
		{
			name: "poll defaults to the shorter interval",
			sc:   SensorConfig{OnChange: true, Interval: Duration(500 * time.Millisecond)},
			seq:  nums(1, 2),
			run:  1200 * time.Millisecond,
			want: []published{{1.0, 0}, {2.0, 0.5}, {2.0, 1}},
		},
		{
			name: "strings",
			sc:   SensorConfig{OnChange: true, Poll: Duration(time.Second)},
			seq:  []*reading{str("idle"), str("idle"), str("busy")},
			run:  2500 * time.Millisecond,
			want: []published{{"idle", 0}, {"busy", 2}},
		},
		{
			name: "read errors are skipped",
			sc:   SensorConfig{Interval: Duration(time.Second)},
			seq:  []*reading{{num: 1}, nil, nil, {num: 4}},
			run:  3500 * time.Millisecond,
			want: []published{{1.0, 0}, {4.0, 3}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				rec := &recorder{start: time.Now()}
				s := &sensor{
					name: "s", topic: "t", unit: "C", src: &seqSource{seq: tt.seq},
					interval: tt.sc.Interval.std(), onChange: tt.sc.OnChange, deadband: tt.sc.Deadband,
					poll: pollPeriod(&tt.sc), now: time.Now, log: quiet(), publish: rec.publish,
				}
				ctx, cancel := context.WithCancel(context.Background())
				done := make(chan struct{})
				go func() { s.run(ctx); close(done) }()
				time.Sleep(tt.run)
				cancel()
				<-done
				if got := rec.list(); !reflect.DeepEqual(got, tt.want) {
					t.Errorf("published %v, want %v", got, tt.want)
				}
				if tt.name == "read errors are skipped" && s.readErrors.Load() != 2 {
					t.Errorf("read errors %d, want 2", s.readErrors.Load())
				}
				if kw := rec.kw[0]; kw["unit"] != "C" || kw["sensor"] != "s" || kw["time"] != rec.start.UTC().Format(time.RFC3339Nano) {
					t.Errorf("kwargs %v", kw)
				}
			})
		})
	}
}

// fakeLine is a GPIO line for tests: edges are fed through a channel.
type fakeLine struct {
	mu     sync.Mutex
	value  int
	sets   []int
	cfg    gpio.LineConfig
	chip   string
	events chan gpio.Event
	closed chan struct{}
	once   sync.Once
}

func newFakeLine(chip string, cfg gpio.LineConfig) *fakeLine {
	return &fakeLine{chip: chip, cfg: cfg, value: cfg.Initial, events: make(chan gpio.Event), closed: make(chan struct{})}
}

func (l *fakeLine) Value() (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.value, nil
}

func (l *fakeLine) SetValue(v int) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.value = v
	l.sets = append(l.sets, v)
	return nil
}

func (l *fakeLine) ReadEvent() (gpio.Event, error) {
	select {
	case ev := <-l.events:
		l.mu.Lock()
		l.value = 0
		if ev.Kind == gpio.RisingEdge {
			l.value = 1
		}
		l.mu.Unlock()
		return ev, nil
	case <-l.closed:
		return gpio.Event{}, os.ErrClosed
	}
}

func (l *fakeLine) Close() error {
	l.once.Do(func() { close(l.closed) })
	return nil
}

func TestGPIOSensorEdges(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rec := &recorder{start: time.Now()}
		line := newFakeLine("/dev/gpiochip0", gpio.LineConfig{Edge: gpio.EdgeBoth})
		sc := SensorConfig{OnChange: true}
		s := &sensor{
			name: "door", topic: "door", src: &gpioSource{line: line, edges: true},
			onChange: true, poll: pollPeriod(&sc), now: time.Now, log: quiet(), publish: rec.publish,
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { s.run(ctx); close(done) }()
		edge := time.Unix(1700000000, 0)
		time.Sleep(100 * time.Millisecond)
		line.events <- gpio.Event{Kind: gpio.RisingEdge, Time: edge}
		time.Sleep(100 * time.Millisecond)
		line.events <- gpio.Event{Kind: gpio.FallingEdge, Time: edge.Add(time.Millisecond)}
		time.Sleep(100 * time.Millisecond)
		line.events <- gpio.Event{Kind: gpio.FallingEdge, Time: edge.Add(2 * time.Millisecond)} // bounce: still published
		time.Sleep(100 * time.Millisecond)
		cancel()
		<-done
		want := []published{{int64(0), 0}, {int64(1), 0.1}, {int64(0), 0.2}, {int64(0), 0.3}}
		if got := rec.list(); !reflect.DeepEqual(got, want) {
			t.Errorf("published %v, want %v", got, want)
		}
		if ts := rec.kw[1]["time"]; ts != edge.UTC().Format(time.RFC3339Nano) {
			t.Errorf("edge time %v, want the kernel's %v", ts, edge.UTC())
		}
		select {
		case <-line.closed:
		default:
			t.Error("line not closed after run")
		}
	})
}
