package uplink

// peek returns the oldest queued event (the window sends from after(0):
// events are numbered from 1).
func (q *eventQueue) peek() (queuedEvent, bool) { return q.after(0) }

// pop removes the oldest queued event, as an acknowledgement of it does.
func (q *eventQueue) pop() {
	if ev, ok := q.after(0); ok {
		q.popThrough(ev.seq)
	}
}
