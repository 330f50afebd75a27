package rawsocket

import (
	"context"
	"errors"
	"io"
	"net"
	"testing"
	"testing/synctest"
	"time"
)

// pipePair runs the handshake over net.Pipe: client and server ends.
func pipePair(t *testing.T, cc ClientConfig, sc ServerConfig) (*Conn, *Conn) {
	t.Helper()
	a, b := net.Pipe()
	res := make(chan error, 1)
	var server *Conn
	go func() {
		var err error
		server, err = Server(context.Background(), b, sc)
		res <- err
	}()
	client, err := Client(context.Background(), a, cc)
	if err != nil {
		t.Fatal(err)
	}
	if err := <-res; err != nil {
		t.Fatal(err)
	}
	return client, server
}

func TestKeepAliveSilentPeer(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a, b := net.Pipe()
		defer a.Close()
		res := make(chan error, 1)
		go func() {
			c, err := Server(context.Background(), b, ServerConfig{Serializers: testSerializers, KeepAlive: time.Second})
			if err != nil {
				res <- err
				return
			}
			_, err = c.ReadMessage()
			res <- err
		}()
		// A peer that completes the handshake, reads, and never answers.
		start := time.Now()
		a.Write([]byte{0x7F, 0x01, 0, 0})
		var reply [4]byte
		if _, err := io.ReadFull(a, reply[:]); err != nil {
			t.Fatal(err)
		}
		typ, p := readFrame(t, a)
		if typ != framePing || len(p) != 8 {
			t.Fatalf("got %v with %d octets, want a keepalive PING", typ, len(p))
		}
		if d := time.Since(start); d != time.Second {
			t.Fatalf("PING after %v, want 1s of idle time", d)
		}
		err := <-res
		if !errors.Is(err, ErrKeepAliveTimeout) {
			t.Fatalf("ReadMessage: %v, want ErrKeepAliveTimeout", err)
		}
		if d := time.Since(start); d != 2*time.Second {
			t.Fatalf("closed after %v, want 2s", d)
		}
		if _, err := a.Read(reply[:]); err != io.EOF {
			t.Fatalf("peer after the keepalive timeout: %v, want io.EOF", err)
		}
	})
}

func TestKeepAliveLivePeer(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		client, server := pipePair(t,
			ClientConfig{Serializer: testJSON, KeepAlive: time.Second},
			ServerConfig{Serializers: testSerializers, KeepAlive: 3 * time.Second})
		errs := make(chan error, 2)
		for _, c := range []*Conn{client, server} {
			go func() {
				_, err := c.ReadMessage() // answers PINGs, consumes PONGs
				errs <- err
			}()
		}
		time.Sleep(time.Minute) // fake time: 60 keepalive periods
		synctest.Wait()
		select {
		case err := <-errs:
			t.Fatalf("connection ended: %v", err)
		default:
		}
		if client.ka.pingSeq.Load() < 20 { // a PING every other second: one tick sends, the next sees the PONG
			t.Fatalf("only %d PINGs sent", client.ka.pingSeq.Load())
		}
		client.Close()
		server.Close()
		<-errs
		<-errs
	})
}

// With keepalive off (the default), nothing is sent on an idle connection.
func TestKeepAliveOff(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		client, server := pipePair(t, ClientConfig{Serializer: testJSON}, ServerConfig{Serializers: testSerializers})
		server.SetReadDeadline(time.Now().Add(time.Hour))
		_, err := server.ReadMessage()
		if !errors.Is(err, errDeadline) {
			t.Fatalf("idle read: %v, want the deadline", err)
		}
		client.Close()
		server.Close()
	})
}

// TestUnsolicitedPong: a PONG that no PING asked for, on a connection with
// keepalive off (no keepalive state), is skipped like any PONG.
func TestUnsolicitedPong(t *testing.T) {
	l, _ := listen(t, transports[0], ListenConfig{}, ClientConfig{})
	got := make(chan []byte, 1)
	go func() {
		c, err := l.Accept()
		if err != nil {
			got <- nil
			return
		}
		defer c.Close()
		m, _ := c.ReadMessage()
		got <- m
	}()
	nc := rawHandshake(t, l)
	out := append(frame(framePong, []byte("x")), frame(frameMessage, []byte("m1"))...)
	if _, err := nc.Write(out); err != nil {
		t.Fatal(err)
	}
	select {
	case m := <-got:
		if string(m) != "m1" {
			t.Fatalf("read %q, want m1", m)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no message")
	}
}
