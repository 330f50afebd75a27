package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"sync"
	"time"
)

// joinMany joins n sessions, at most parallel at a time. On error it closes
// the sessions already joined.
func joinMany(ctx context.Context, tg *target, realm string, n, parallel int) ([]*session, error) {
	ss := make([]*session, n)
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
			ss[i], errs[i] = tg.join(ctx, realm)
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		var ok []*session
		for _, s := range ss {
			if s != nil {
				ok = append(ok, s)
			}
		}
		closeAll(ok)
		return nil, fmt.Errorf("joining %d sessions: %w", n, firstErr(errs))
	}
	return ss, nil
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
	ss, err := joinMany(jctx, tg, c.realm, c.sessions, c.parallel)
	if err != nil {
		return nil, err
	}
	defer closeAll(ss)
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
