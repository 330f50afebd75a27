package peer

import (
	"errors"
	"os"
	"testing"
	"time"

	"github.com/edgewamp/edgewamp/wamp"
)

// TestPipeDeadlineSequences sets and clears deadlines in every order that
// once hung (clearing twice left a stopped timer that was waited on) and
// checks that a read then times out exactly when a deadline is in force.
func TestPipeDeadlineSequences(t *testing.T) {
	future := func() time.Time { return time.Now().Add(time.Hour) }
	soon := func() time.Time { return time.Now().Add(20 * time.Millisecond) }
	past := func() time.Time { return time.Now().Add(-time.Second) }
	zero := func() time.Time { return time.Time{} }
	tests := []struct {
		name    string
		steps   []func() time.Time
		timeout bool // the read after the steps times out
	}{
		{"clear twice", []func() time.Time{future, zero, zero}, false},
		{"clear, set, clear", []func() time.Time{future, zero, future, zero}, false},
		{"past then clear", []func() time.Time{past, zero}, false},
		{"past then clear then soon", []func() time.Time{past, zero, soon}, true},
		{"future then soon", []func() time.Time{future, soon}, true},
		{"clear then past", []func() time.Time{zero, zero, past}, true},
		{"soon after fired soon", []func() time.Time{soon, soon}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, b := Pipe(wamp.JSON, 1024)
			defer a.Close()
			defer b.Close()
			done := make(chan struct{})
			go func() {
				defer close(done)
				for i, step := range tt.steps {
					if err := a.SetReadDeadline(step()); err != nil {
						t.Errorf("step %d: %v", i, err)
					}
					if i == 0 && tt.name == "soon after fired soon" {
						time.Sleep(40 * time.Millisecond) // let the first deadline pass
					}
				}
			}()
			select {
			case <-done:
			case <-time.After(5 * time.Second):
				t.Fatal("setting deadlines hung")
			}
			if !tt.timeout {
				// No deadline in force: a message written later is read.
				go b.WriteMessages([][]byte{[]byte(`[6,{},"wamp.close.normal"]`)})
			}
			_, err := a.ReadMessage()
			if got := errors.Is(err, os.ErrDeadlineExceeded); got != tt.timeout {
				t.Fatalf("read error %v, want timeout=%v", err, tt.timeout)
			}
		})
	}
}
