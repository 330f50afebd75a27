package minirouter

import (
	"maps"

	"github.com/edgewamp/edgewamp/wamp"
)

// eventScratch is the EVENT and the details map naming the topic (for
// pattern subscriptions) that a realm's publications fill in turn:
// publishLocked fills them under the realm's mu, and deliver encodes the
// event before it returns and keeps nothing of it, so the same two serve
// the next publication. A publication made while another one holds them
// gets its own.
type eventScratch struct {
	busy      bool
	ev        wamp.Event
	withTopic wamp.Dict
}

// maxScratchDetails is the most details entries the kept map may hold;
// a publication with more keeps its map to itself.
const maxScratchDetails = 8

// takeEvent returns an EVENT to fill for one publication, and whether it
// is the realm's (to give back with putEvent). rl.mu is held.
func (rl *realm) takeEvent() (ev *wamp.Event, own bool) {
	if rl.scratch.busy {
		return new(wamp.Event), false
	}
	rl.scratch.busy = true
	return &rl.scratch.ev, true
}

// topicDetails returns details plus "topic" for pattern subscriptions: the
// realm's map when ev is the realm's. rl.mu is held.
func (rl *realm) topicDetails(own bool, details wamp.Dict, topic wamp.URI) wamp.Dict {
	m := rl.scratch.withTopic
	if !own || m == nil || len(details) >= maxScratchDetails {
		m = make(wamp.Dict, len(details)+1)
		if own && len(details) < maxScratchDetails {
			rl.scratch.withTopic = m
		}
	}
	maps.Copy(m, details)
	m["topic"] = string(topic)
	return m
}

// putEvent gives back the realm's EVENT and clears the details map of what
// the publication put there. rl.mu is held.
func (rl *realm) putEvent(own bool) {
	if !own {
		return
	}
	rl.scratch.ev = wamp.Event{}
	clear(rl.scratch.withTopic)
	rl.scratch.busy = false
}
