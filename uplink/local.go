package uplink

import (
	"sync"

	"github.com/edgewamp/edgewamp/wamp"
)

// localLink is the transport of the uplink's local session, the client end
// of an in-process connection to the router: an EVENT of a subscription
// routed with route goes from the device client's reader, in ReadMessage,
// straight into its handler (the store-and-forward queue), with no bounded
// channel between that could drop it; any other message is returned to
// the device client. While the handler is slow (the queue's journal) the
// reader waits and the router's outbound queue for the session, sized
// from the store-and-forward queue (Run), holds the rest.
type localLink struct {
	wamp.Transport

	mu     sync.Mutex                    // protects routes
	routes map[wamp.ID]func(*wamp.Event) // subscription -> where its events go
}

func newLocalLink(t wamp.Transport) *localLink {
	return &localLink{Transport: t, routes: make(map[wamp.ID]func(*wamp.Event))}
}

// route sends the events of subscription sub to h, on the reader's
// goroutine, from now on.
func (l *localLink) route(sub wamp.ID, h func(*wamp.Event)) {
	l.mu.Lock()
	l.routes[sub] = h
	l.mu.Unlock()
}

// ReadMessage returns the next message that is not a routed EVENT, having
// handed the routed EVENTs before it to their handlers.
func (l *localLink) ReadMessage() ([]byte, error) {
	ser := l.Transport.Serializer()
	for {
		b, err := l.Transport.ReadMessage()
		if err != nil {
			return nil, err
		}
		if h, ev := l.routed(ser, b); h != nil {
			h(ev)
			continue
		}
		return b, nil
	}
}

// routed returns the handler of m and m decoded when m is a routed EVENT.
func (l *localLink) routed(ser wamp.Serializer, m []byte) (func(*wamp.Event), *wamp.Event) {
	msg, err := ser.DecodeMessage(m)
	ev, ok := msg.(*wamp.Event)
	if err != nil || !ok {
		return nil, nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.routes[ev.Subscription], ev
}
