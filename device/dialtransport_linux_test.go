package device

import (
	"context"
	"testing"

	"github.com/edgewamp/edgewamp/internal/ptytest"
	"github.com/edgewamp/edgewamp/serialtransport"
)

func init() {
	serialServer = func(t *testing.T) (string, <-chan string) {
		t.Helper()
		p, err := ptytest.Open()
		if err != nil {
			t.Skipf("no pty: %v", err)
		}
		l := serialtransport.NewListener(p.Master, serialtransport.Config{})
		t.Cleanup(func() { l.Close() })
		got := make(chan string, 1)
		ctx, cancel := context.WithCancel(context.Background())
		t.Cleanup(cancel)
		go func() {
			c, err := l.Accept(ctx)
			if err != nil {
				return
			}
			got <- c.Serializer().Name()
		}()
		return p.SlavePath, got
	}
}
