package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/edgewamp/edgewamp/rawsocket"
	"github.com/edgewamp/edgewamp/wamp"
	"github.com/edgewamp/edgewamp/wstransport"
)

// maxMessage is the largest message the generator accepts and announces.
const maxMessage = 1 << 20

// target is a resolved router address: how to open one transport to it.
type target struct {
	url string
	ser wamp.Serializer
	tls *tls.Config // rss://, wss:// (see dialTLS); nil: benchTLS(true)
}

// newTarget resolves rawURL and the serializer (flag, else the URL's
// ?serializer=, else MessagePack).
func newTarget(rawURL, serializer string) (*target, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("target %q: %w", rawURL, err)
	}
	name := serializer
	if name == "" {
		name = u.Query().Get("serializer")
	}
	if name == "" {
		name = "msgpack"
	}
	s, ok := wamp.SerializerByName(name)
	if !ok {
		return nil, fmt.Errorf("target %q: unknown serializer %q (want json, msgpack or cbor)", rawURL, name)
	}
	return &target{url: rawURL, ser: s}, nil
}

// dial opens one transport to the router.
func (tg *target) dial(ctx context.Context) (wamp.Transport, error) {
	u, err := url.Parse(tg.url)
	if err != nil {
		return nil, err
	}
	switch strings.ToLower(u.Scheme) {
	case "rs", "tcp":
		return rawsocket.Dial(ctx, "tcp", u.Host, rawsocket.ClientConfig{Serializer: tg.ser, MaxMessageSize: maxMessage})
	case "unix":
		p := u.Path
		if p == "" {
			p = u.Opaque
		}
		return rawsocket.Dial(ctx, "unix", p, rawsocket.ClientConfig{Serializer: tg.ser, MaxMessageSize: maxMessage})
	case "ws":
		q := u.Query()
		q.Del("serializer")
		u.RawQuery = q.Encode()
		return wstransport.Dial(ctx, u.String(), wstransport.ClientConfig{Serializer: tg.ser, MaxMessageSize: maxMessage})
	case "rss", "wss":
		return dialTLS(ctx, u, tg)
	}
	return nil, fmt.Errorf("scheme %q not supported", u.Scheme)
}

// session is one joined WAMP session driven by the generator directly on
// its transport: the setup (HELLO, SUBSCRIBE, REGISTER) is synchronous, the
// load loops then read and write the transport themselves.
type session struct {
	t  wamp.Transport
	id wamp.ID
}

// join dials the router and joins realm, within ctx's deadline.
func (tg *target) join(ctx context.Context, realm string) (*session, error) {
	t, err := tg.dial(ctx)
	if err != nil {
		return nil, fmt.Errorf("dial %s: %w", tg.url, err)
	}
	s := &session{t: t}
	hello := &wamp.Hello{Realm: wamp.URI(realm), Details: wamp.Dict{"roles": wamp.ClientRoles(), "agent": "wampbench"}}
	m, err := s.request(ctx, hello, wamp.WELCOME)
	if err != nil {
		t.Close()
		return nil, fmt.Errorf("join %s: %w", realm, err)
	}
	s.id = m.(*wamp.Welcome).Session
	return s, nil
}

// request sends m and reads until a message of type want arrives (an ABORT
// or an ERROR fails the request; other messages are skipped), bounded by
// ctx's deadline (10 s without one).
func (s *session) request(ctx context.Context, m wamp.Message, want wamp.MessageType) (wamp.Message, error) {
	if err := s.send(m); err != nil {
		return nil, err
	}
	deadline, ok := ctx.Deadline()
	if !ok {
		deadline = time.Now().Add(10 * time.Second)
	}
	if err := s.t.SetReadDeadline(deadline); err != nil {
		return nil, err
	}
	defer s.t.SetReadDeadline(time.Time{})
	for {
		b, err := s.t.ReadMessage()
		if err != nil {
			return nil, fmt.Errorf("waiting for %v: %w", want, err)
		}
		r, err := s.t.Serializer().DecodeMessage(b)
		if err != nil {
			return nil, fmt.Errorf("waiting for %v: %w", want, err)
		}
		switch r := r.(type) {
		case *wamp.Abort:
			return nil, fmt.Errorf("router sent ABORT %s %v", r.Reason, r.Details)
		case *wamp.ErrorMessage:
			return nil, fmt.Errorf("router answered %v with ERROR %s %v", r.RequestType, r.Error, r.Args)
		}
		if r.Type() == want {
			return r, nil
		}
	}
}

// send encodes and writes one message.
func (s *session) send(m wamp.Message) error {
	b, err := s.t.Serializer().AppendMessage(nil, m)
	if err != nil {
		return fmt.Errorf("encode %v: %w", m.Type(), err)
	}
	if err := s.t.SetWriteDeadline(time.Now().Add(10 * time.Second)); err != nil {
		return err
	}
	return s.t.WriteMessages([][]byte{b})
}

// subscribe subscribes to topic and returns the subscription ID.
func (s *session) subscribe(ctx context.Context, topic string) (wamp.ID, error) {
	m, err := s.request(ctx, &wamp.Subscribe{Request: 1, Options: wamp.Dict{}, Topic: wamp.URI(topic)}, wamp.SUBSCRIBED)
	if err != nil {
		return 0, fmt.Errorf("subscribe %s: %w", topic, err)
	}
	return m.(*wamp.Subscribed).Subscription, nil
}

// register registers procedure and returns the registration ID.
func (s *session) register(ctx context.Context, procedure string) (wamp.ID, error) {
	m, err := s.request(ctx, &wamp.Register{Request: 1, Options: wamp.Dict{}, Procedure: wamp.URI(procedure)}, wamp.REGISTERED)
	if err != nil {
		return 0, fmt.Errorf("register %s: %w", procedure, err)
	}
	return m.(*wamp.Registered).Registration, nil
}

// leave says GOODBYE (without waiting long for the answer) and closes the
// transport.
func (s *session) leave() {
	s.t.SetWriteDeadline(time.Now().Add(time.Second))
	if b, err := s.t.Serializer().AppendMessage(nil, &wamp.Goodbye{Details: wamp.Dict{}, Reason: wamp.CloseNormal.URI}); err == nil {
		s.t.WriteMessages([][]byte{b})
	}
	s.t.Close()
}

// closeAll closes every session (after GOODBYE) with bounded parallelism.
func closeAll(ss []*session) {
	sem := make(chan struct{}, 64)
	done := make(chan struct{})
	for _, s := range ss {
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; done <- struct{}{} }()
			s.leave()
		}()
	}
	for range ss {
		<-done
	}
}

// errNoTemplate is returned when a pre-encoded message cannot be built.
var errNoTemplate = errors.New("cannot locate the patchable fields in the encoded message")
