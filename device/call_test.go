package device

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"testing/synctest"
	"time"

	"github.com/edgewamp/edgewamp/wamp"
)

type callResult struct {
	p   wamp.Payload
	err error
}

// goCall runs c.Call on a goroutine.
func goCall(ctx context.Context, c *Client, proc wamp.URI, p wamp.Payload, o *CallOptions) <-chan callResult {
	ch := make(chan callResult, 1)
	go func() {
		res, err := c.Call(ctx, proc, p, o)
		ch <- callResult{res, err}
	}()
	return ch
}

func TestCall(t *testing.T) {
	c, r := joined(t, Config{})
	for i := 1; i <= 3; i++ {
		ch := goCall(context.Background(), c, "com.example.add", wamp.Payload{Args: wamp.List{int64(i), int64(2)}}, nil)
		m := expect[*wamp.Call](r)
		if m.Request != wamp.ID(i) {
			t.Errorf("request ID = %d, want %d (sequential from 1)", m.Request, i)
		}
		if m.Procedure != "com.example.add" || len(m.Args) != 2 {
			t.Errorf("CALL = %+v", m)
		}
		r.send(&wamp.Result{Request: m.Request, Details: wamp.Dict{}, Payload: wamp.Payload{Args: wamp.List{int64(i + 2)}, Kwargs: wamp.Dict{"k": "v"}}})
		res := recvWithin(t, ch)
		if res.err != nil {
			t.Fatal(res.err)
		}
		if !reflect.DeepEqual(res.p, wamp.Payload{Args: wamp.List{int64(i + 2)}, Kwargs: wamp.Dict{"k": "v"}}) {
			t.Errorf("result = %+v", res.p)
		}
	}
	if s := c.Stats(); s.Calls != 3 {
		t.Errorf("Stats.Calls = %d", s.Calls)
	}
}

func TestCallOptions(t *testing.T) {
	c, r := joined(t, Config{})
	goCall(context.Background(), c, "p", wamp.Payload{}, &CallOptions{
		Timeout: 1500 * time.Millisecond, DiscloseMe: true, Progress: func(wamp.Payload) {}})
	m := expect[*wamp.Call](r)
	want := wamp.Dict{"timeout": int64(1500), "disclose_me": true, "receive_progress": true}
	if !reflect.DeepEqual(m.Options, want) {
		t.Errorf("options = %#v, want %#v", m.Options, want)
	}
}

func TestCallError(t *testing.T) {
	tests := []struct {
		uri  wamp.URI
		want error
	}{
		{wamp.ErrNoSuchProcedure.URI, wamp.ErrNoSuchProcedure},
		{wamp.ErrInvalidArgument.URI, wamp.ErrInvalidArgument},
		{"com.example.error.too_hot", &wamp.Error{URI: "com.example.error.too_hot"}},
	}
	c, r := joined(t, Config{})
	for _, tt := range tests {
		t.Run(string(tt.uri), func(t *testing.T) {
			ch := goCall(context.Background(), c, "p", wamp.Payload{}, nil)
			m := expect[*wamp.Call](r)
			r.send(&wamp.ErrorMessage{RequestType: wamp.CALL, Request: m.Request, Details: wamp.Dict{}, Error: tt.uri,
				Payload: wamp.Payload{Args: wamp.List{"why"}}})
			res := recvWithin(t, ch)
			if !errors.Is(res.err, tt.want) {
				t.Fatalf("err = %v, want %v", res.err, tt.want)
			}
			var we *wamp.Error
			if !errors.As(res.err, &we) || we.Args[0] != "why" {
				t.Errorf("err = %#v, want a *wamp.Error with the payload", res.err)
			}
		})
	}
}

func TestCallCancel(t *testing.T) {
	for _, mode := range []string{"", CancelKill, CancelSkip} {
		t.Run("mode="+mode, func(t *testing.T) {
			c, r := joined(t, Config{})
			ctx, cancel := context.WithCancel(context.Background())
			ch := goCall(ctx, c, "slow", wamp.Payload{}, &CallOptions{CancelMode: mode})
			m := expect[*wamp.Call](r)
			cancel()
			cn := expect[*wamp.Cancel](r)
			wantMode := mode
			if wantMode == "" {
				wantMode = CancelKillNoWait
			}
			if cn.Request != m.Request || cn.Options["mode"] != wantMode {
				t.Errorf("CANCEL = %+v, want request %d mode %s", cn, m.Request, wantMode)
			}
			if res := recvWithin(t, ch); !errors.Is(res.err, context.Canceled) {
				t.Errorf("err = %v, want Canceled", res.err)
			}
			// A late answer is ignored and the session goes on.
			r.send(&wamp.ErrorMessage{RequestType: wamp.CALL, Request: m.Request, Details: wamp.Dict{}, Error: wamp.ErrCanceled.URI})
			ch = goCall(context.Background(), c, "next", wamp.Payload{}, nil)
			m = expect[*wamp.Call](r)
			r.send(&wamp.Result{Request: m.Request, Details: wamp.Dict{}})
			if res := recvWithin(t, ch); res.err != nil {
				t.Errorf("next call: %v", res.err)
			}
		})
	}
}

// A dealer that does not announce call_canceling gets no CANCEL.
func TestCallCancelWithoutFeature(t *testing.T) {
	r, jc := dialScript(t, Config{})
	expect[*wamp.Hello](r)
	r.send(&wamp.Welcome{Session: 1, Details: wamp.Dict{"roles": wamp.Dict{"dealer": wamp.Dict{}}}})
	c, err := wait(t, jc)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	ch := goCall(ctx, c, "slow", wamp.Payload{}, nil)
	m := expect[*wamp.Call](r)
	cancel()
	if res := recvWithin(t, ch); !errors.Is(res.err, context.Canceled) {
		t.Errorf("err = %v", res.err)
	}
	// The next message is the next call, not a CANCEL; the late result is ignored.
	r.send(&wamp.Result{Request: m.Request, Details: wamp.Dict{}})
	ch = goCall(context.Background(), c, "next", wamp.Payload{}, nil)
	m = expect[*wamp.Call](r)
	r.send(&wamp.Result{Request: m.Request, Details: wamp.Dict{}})
	if res := recvWithin(t, ch); res.err != nil {
		t.Fatal(res.err)
	}
}

func TestCallAlreadyCancelled(t *testing.T) {
	c, _ := joined(t, Config{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := c.Call(ctx, "p", wamp.Payload{}, nil); !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v", err)
	}
}

func TestCallTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, r := joined(t, Config{})
		start := time.Now()
		ch := goCall(context.Background(), c, "slow", wamp.Payload{}, &CallOptions{Timeout: 2 * time.Second})
		m := expect[*wamp.Call](r)
		if m.Options["timeout"] != int64(2000) {
			t.Errorf("options.timeout = %v", m.Options["timeout"])
		}
		cn := expect[*wamp.Cancel](r)
		if cn.Request != m.Request {
			t.Errorf("CANCEL request = %d", cn.Request)
		}
		res := <-ch
		if !errors.Is(res.err, wamp.ErrTimeout) || !errors.Is(res.err, context.DeadlineExceeded) {
			t.Errorf("err = %v, want ErrTimeout and DeadlineExceeded", res.err)
		}
		if d := time.Since(start); d != 2250*time.Millisecond {
			t.Errorf("timed out after %v", d)
		}
		c.Close()
	})
}

func TestCallProgress(t *testing.T) {
	c, r := joined(t, Config{})
	var got []any
	ch := goCall(context.Background(), c, "count", wamp.Payload{}, &CallOptions{Progress: func(p wamp.Payload) {
		got = append(got, p.Args[0])
	}})
	m := expect[*wamp.Call](r)
	for i := range 5 {
		r.send(&wamp.Result{Request: m.Request, Details: wamp.Dict{"progress": true}, Payload: wamp.Payload{Args: wamp.List{int64(i)}}})
	}
	r.send(&wamp.Result{Request: m.Request, Details: wamp.Dict{}, Payload: wamp.Payload{Args: wamp.List{"done"}}})
	res := recvWithin(t, ch)
	if res.err != nil || res.p.Args[0] != "done" {
		t.Fatalf("result = %+v, %v", res.p, res.err)
	}
	if want := []any{int64(0), int64(1), int64(2), int64(3), int64(4)}; !reflect.DeepEqual(got, want) {
		t.Errorf("progress = %v, want %v", got, want)
	}
}

func TestCallProgressOverflow(t *testing.T) {
	c, r := joined(t, Config{ProgressQueue: 2})
	release := make(chan struct{})
	entered := make(chan struct{}, 1)
	var got []any
	ch := goCall(context.Background(), c, "count", wamp.Payload{}, &CallOptions{Progress: func(p wamp.Payload) {
		got = append(got, p.Args[0])
		select {
		case entered <- struct{}{}:
			<-release
		default:
		}
	}})
	m := expect[*wamp.Call](r)
	r.send(&wamp.Result{Request: m.Request, Details: wamp.Dict{"progress": true}, Payload: wamp.Payload{Args: wamp.List{int64(0)}}})
	recvWithin(t, entered) // the callback is busy with 0
	for i := 1; i <= 5; i++ {
		r.send(&wamp.Result{Request: m.Request, Details: wamp.Dict{"progress": true}, Payload: wamp.Payload{Args: wamp.List{int64(i)}}})
	}
	r.send(&wamp.Result{Request: m.Request, Details: wamp.Dict{}})
	// Wait until the reader has handled everything: a second call's result
	// comes behind the progressive ones.
	ch2 := goCall(context.Background(), c, "other", wamp.Payload{}, nil)
	m2 := expect[*wamp.Call](r)
	r.send(&wamp.Result{Request: m2.Request, Details: wamp.Dict{}})
	recvWithin(t, ch2)
	close(release)
	if res := recvWithin(t, ch); res.err != nil {
		t.Fatal(res.err)
	}
	if want := []any{int64(0), int64(1), int64(2)}; !reflect.DeepEqual(got, want) {
		t.Errorf("progress = %v, want %v", got, want)
	}
	if d := c.Stats().ProgressDropped; d != 3 {
		t.Errorf("ProgressDropped = %d, want 3", d)
	}
}

func TestSessionEndFailsPendingCalls(t *testing.T) {
	c, r := joined(t, Config{})
	var chs []<-chan callResult
	for range 3 {
		chs = append(chs, goCall(context.Background(), c, "never", wamp.Payload{}, nil))
		expect[*wamp.Call](r)
	}
	r.conn.Close(nil)
	for _, ch := range chs {
		if res := recvWithin(t, ch); !errors.Is(res.err, ErrSessionClosed) {
			t.Errorf("err = %v, want ErrSessionClosed", res.err)
		}
	}
	recvWithin(t, c.Done())
	if !errors.Is(c.Err(), ErrSessionClosed) {
		t.Errorf("Err = %v", c.Err())
	}
	if _, err := c.Call(context.Background(), "after", wamp.Payload{}, nil); !errors.Is(err, ErrSessionClosed) {
		t.Errorf("call after close: %v", err)
	}
	if err := c.Publish(context.Background(), "t", wamp.Payload{}, nil); !errors.Is(err, ErrSessionClosed) {
		t.Errorf("publish after close: %v", err)
	}
	if _, err := c.Register(context.Background(), "p", func(context.Context, *Invocation) (wamp.Payload, error) {
		return wamp.Payload{}, nil
	}, nil); !errors.Is(err, ErrSessionClosed) {
		t.Errorf("register after close: %v", err)
	}
}
