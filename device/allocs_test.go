package device

import (
	"context"
	"testing"

	"github.com/edgewamp/edgewamp/wamp"
)

// TestPublishAllocatesNothing holds the client's target: an
// unacknowledged Publish of a small payload allocates nothing. AllocsPerRun
// runs on one thread (GOMAXPROCS 1), so the publishes fill the send queue
// before the writer runs and writes them in one batch: the writer's start
// and the wait for queue room cost a few allocations per queueful, which
// round to zero per run, while one allocation in Publish counts as one.
func TestPublishAllocatesNothing(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates")
	}
	const runs = 1000
	for _, ser := range []wamp.Serializer{wamp.JSON, wamp.MsgPack} {
		c, _ := answerClientWith(t, ser, Config{})
		ctx := context.Background()
		p := wamp.Payload{Args: wamp.List{21.5}}
		for range runs { // fill the encode buffer pool
			if err := c.Publish(ctx, "com.example.temperature", p, nil); err != nil {
				t.Fatal(err)
			}
		}
		for _, tc := range []struct {
			name string
			o    *PublishOptions
		}{{"nil options", nil}, {"empty options", &PublishOptions{}}} {
			allocs := testing.AllocsPerRun(runs, func() {
				if err := c.Publish(ctx, "com.example.temperature", p, tc.o); err != nil {
					t.Fatal(err)
				}
			})
			if allocs != 0 {
				t.Errorf("%s, %s: Publish allocates %v times per call, want 0", ser.Name(), tc.name, allocs)
			}
		}
		if got, want := c.Stats().Published, uint64(runs+2*(runs+1)); got != want {
			t.Errorf("%s: Published = %d, want %d", ser.Name(), got, want)
		}
	}
}
