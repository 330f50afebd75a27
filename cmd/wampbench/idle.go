package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strconv"
	"sync"
	"time"
)

// openMany opens n connections with open, at most parallel at a time. On
// error it closes the ones already open (with closeAll) and returns the
// first error.
func openMany[T any](ctx context.Context, n, parallel int, open func(ctx context.Context, i int) (T, error), closeAll func([]T)) ([]T, error) {
	out := make([]T, n)
	ok := make([]bool, n)
	errs := make([]error, n)
	sem := make(chan struct{}, parallel)
	var wg sync.WaitGroup
	for i := range n {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			errs[i] = ctx.Err()
			continue
		}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			out[i], errs[i] = open(ctx, i)
			ok[i] = errs[i] == nil
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		var opened []T
		for i, c := range out {
			if ok[i] {
				opened = append(opened, c)
			}
		}
		closeAll(opened)
		return nil, fmt.Errorf("opening %d connections: %w", n, firstErr(errs))
	}
	return out, nil
}

// joinMany joins n sessions, at most parallel at a time. On error it closes
// the sessions already joined.
func joinMany(ctx context.Context, tg *target, realm string, n, parallel int) ([]*session, error) {
	return openMany(ctx, n, parallel, func(ctx context.Context, _ int) (*session, error) { return tg.join(ctx, realm) }, closeAll)
}

// firstErr returns the first non-nil error (one is enough in a report of
// thousands of identical failures).
func firstErr(errs []error) error {
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}

// runIdle joins c.sessions sessions, holds them and reports the router's
// memory growth per session when its PID is known.
func runIdle(ctx context.Context, c *config, tg *target) (*result, error) {
	r := newResult(c, tg.url, "wamp", tg.ser.Name())
	return measureIdle(ctx, c, r, func(ctx context.Context) (func(), error) {
		ss, err := joinMany(ctx, tg, c.realm, c.sessions, c.parallel)
		return func() { closeAll(ss) }, err
	})
}

// runMQTTIdle connects c.sessions MQTT clients to c.mqtt (clean session,
// keepalive off), holds them and reports the broker's memory growth per
// client: the idle scenario for an MQTT broker.
func runMQTTIdle(ctx context.Context, c *config) (*result, error) {
	u, err := url.Parse(c.mqtt)
	if err != nil {
		return nil, err
	}
	r := newResult(c, c.mqtt, "mqtt", "")
	prefix := fmt.Sprintf("wampbench-idle-%d-", time.Now().UnixNano()%1e9)
	closeClients := func(ms []*mqttClient) {
		for _, m := range ms {
			m.close()
		}
	}
	return measureIdle(ctx, c, r, func(ctx context.Context) (func(), error) {
		ms, err := openMany(ctx, c.sessions, c.parallel, func(ctx context.Context, i int) (*mqttClient, error) {
			return mqttDial(ctx, u.Host, prefix+strconv.Itoa(i), 64)
		}, closeClients)
		return func() { closeClients(ms) }, err
	})
}

// measureIdle opens the connections with open, holds them for c.settle and
// fills r with the join time and, when c.routerPID is set, the router's
// VmRSS before and after and the growth per session. The connections are
// closed before it returns.
func measureIdle(ctx context.Context, c *config, r *result, open func(context.Context) (release func(), err error)) (*result, error) {
	r.Sessions, r.RouterPID = c.sessions, c.routerPID
	var before int64
	if c.routerPID != 0 {
		var err error
		if before, err = vmRSS(c.routerPID); err != nil {
			return nil, err
		}
	}
	jctx, cancel := context.WithTimeout(ctx, min(setupTimeout+c.duration, maxDuration+setupTimeout))
	defer cancel()
	start := time.Now()
	release, err := open(jctx)
	if err != nil {
		return nil, err
	}
	defer release()
	r.JoinSeconds = time.Since(start).Seconds()
	sleepCtx(ctx, c.settle)
	r.Seconds = time.Since(start).Seconds()
	if err := writeHeapProfile(c.memProfile); err != nil {
		return nil, err
	}
	if c.routerPID != 0 {
		after, err := vmRSS(c.routerPID)
		if err != nil {
			return nil, err
		}
		r.RouterRSSBefore, r.RouterRSSAfter = before, after
		r.KBPerSession = float64(after-before) / float64(c.sessions)
	}
	return r, nil
}

// vmRSS reads the VmRSS line (kB) of /proc/PID/status.
func vmRSS(pid int) (int64, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0, fmt.Errorf("router memory: %w", err)
	}
	return parseVmRSS(b)
}

// parseVmRSS finds "VmRSS:  1234 kB" in a /proc/PID/status text.
func parseVmRSS(b []byte) (int64, error) {
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		f := bytes.Fields(sc.Bytes())
		if len(f) == 3 && string(f[0]) == "VmRSS:" && string(f[2]) == "kB" {
			return strconv.ParseInt(string(f[1]), 10, 64)
		}
	}
	return 0, errors.New("router memory: no VmRSS line in /proc/PID/status (a kernel thread, or not Linux?)")
}
