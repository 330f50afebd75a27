package uplink

import (
	"maps"
	"slices"
	"testing"

	"github.com/edgewamp/edgewamp/wamp"
)

// TestPubOptions: sendWindow's options number each event in the queue's
// stream, acknowledged and with exclude_me, in one map refilled per event;
// an event with passthru options gets a map of its own, and the shared
// one stays without them.
func TestPubOptions(t *testing.T) {
	var po pubOptions
	want := func(seq uint64, extra wamp.Dict) wamp.Dict {
		d := wamp.Dict{"acknowledge": true, "exclude_me": true, wamp.PubSeqKey: wamp.List{uint64(9), seq}}
		maps.Copy(d, extra)
		return d
	}
	ppt := wamp.Dict{"ppt_scheme": "x_test"}
	rows := []struct {
		ev     queuedEvent
		want   wamp.Dict
		shared bool
	}{
		{queuedEvent{seq: 1}, want(1, nil), true},
		{queuedEvent{seq: 2, ppt: ppt}, want(2, ppt), false},
		{queuedEvent{seq: 3}, want(3, nil), true},
	}
	var first wamp.Dict
	for i, row := range rows {
		o := po.of(9, row.ev)
		if !equalDict(o.Extra, row.want) {
			t.Errorf("row %d: %v, want %v", i, o.Extra, row.want)
		}
		if first == nil {
			first = o.Extra
		}
		if shared := &o.Extra == &po.o.Extra; shared != row.shared || (row.shared && len(first) != 3) {
			t.Errorf("row %d: shared %v, want %v (shared map %v)", i, shared, row.shared, first)
		}
	}
}

// equalDict compares two options maps whose values are scalars or lists
// of scalars.
func equalDict(a, b wamp.Dict) bool {
	return maps.EqualFunc(a, b, func(x, y any) bool {
		xl, ok1 := x.(wamp.List)
		yl, ok2 := y.(wamp.List)
		if ok1 || ok2 {
			return ok1 && ok2 && slices.Equal(xl, yl)
		}
		return x == y
	})
}
