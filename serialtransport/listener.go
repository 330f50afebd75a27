package serialtransport

import (
	"context"
	"fmt"
	"io"
)

// Listener is the gateway side of a serial line: it answers device
// handshakes and hands out one [Conn] per link. A serial line carries one
// link at a time; when the device handshakes again (it restarted), the
// current link ends with an error wrapping ErrPeerRestarted and the next
// Accept returns the new one. A Listener is safe for concurrent use.
//
// A gateway serves a line with a loop:
//
//	for {
//		c, err := l.Accept(ctx)
//		if err != nil {
//			return err // the line failed or was closed, or ctx ended
//		}
//		router.Attach(ctx, c, nil) // the session ends when the link ends
//	}
type Listener struct {
	e *endpoint
}

// NewListener starts answering handshakes on rwc (a serial port from
// [OpenPort], a pty, a pipe). The Listener owns rwc: Close closes it, which
// must unblock a pending Read; Read must block until data arrives (not
// return (0, nil), as a go.bug.st/serial port with a read timeout does:
// [OpenPort]'s ports do not).
func NewListener(rwc io.ReadWriteCloser, cfg Config) *Listener {
	return &Listener{e: newEndpoint(rwc, cfg, true)}
}

// Listen opens the serial port of a serial:// URL (see [ParseURL]) and
// returns a Listener on it.
func Listen(rawURL string, cfg Config) (*Listener, error) {
	path, baud, cfg, err := ParseURL(rawURL, cfg)
	if err != nil {
		return nil, err
	}
	rwc, err := OpenPort(path, baud)
	if err != nil {
		return nil, err
	}
	return NewListener(rwc, cfg), nil
}

// Accept waits for the next link: a device's handshake answered. It fails
// when ctx ends or the line fails or is closed.
func (l *Listener) Accept(ctx context.Context) (*Conn, error) {
	select {
	case c := <-l.e.acceptCh:
		return c, nil
	case <-ctx.Done():
		return nil, fmt.Errorf("serialtransport: %s: accept: %w", l.e.cfg.Name, ctx.Err())
	case <-l.e.done:
		return nil, l.e.err()
	}
}

// Close ends the current link and closes the line. It is idempotent.
func (l *Listener) Close() error {
	l.e.mu.Lock()
	c := l.e.link
	l.e.mu.Unlock()
	if c != nil {
		c.Close()
		l.e.flushNow() // let its RESET out
	}
	l.e.stop(fmt.Errorf("serialtransport: %s: %w", l.e.cfg.Name, ErrClosed))
	<-l.e.readerDone
	return nil
}

// Stats returns the line's counters.
func (l *Listener) Stats() Stats { return l.e.stats.snapshot() }

// Name returns the line's name (Config.Name).
func (l *Listener) Name() string { return l.e.cfg.Name }
