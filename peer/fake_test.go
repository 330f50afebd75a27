package peer

import (
	"errors"
	"fmt"

	"github.com/edgewamp/edgewamp/wamp"
)

// fakeSerializer encodes a *wamp.Publish as its type byte followed by the
// topic, enough to test the connection machinery without a real codec.
type fakeSerializer struct{}

func (fakeSerializer) ID() wamp.SerializerID { return 99 }
func (fakeSerializer) Name() string          { return "fake" }
func (fakeSerializer) Binary() bool          { return true }

func (fakeSerializer) AppendMessage(dst []byte, m wamp.Message) ([]byte, error) {
	p, ok := m.(*wamp.Publish)
	if !ok {
		return dst, fmt.Errorf("fake: cannot encode %v", m.Type())
	}
	dst = append(dst, byte(wamp.PUBLISH))
	return append(dst, p.Topic...), nil
}

func (fakeSerializer) DecodeMessage(b []byte) (wamp.Message, error) {
	if len(b) == 0 || b[0] != byte(wamp.PUBLISH) {
		return nil, fmt.Errorf("fake: bad message: %w", wamp.ErrProtocolViolation)
	}
	return &wamp.Publish{Topic: wamp.URI(b[1:])}, nil
}

var errFakeWrite = errors.New("fake write failure")

func pub(topic string) *wamp.Publish { return &wamp.Publish{Topic: wamp.URI(topic)} }
