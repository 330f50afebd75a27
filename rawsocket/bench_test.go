package rawsocket

import (
	"fmt"
	"net"
	"testing"
	"time"
)

// discardConn is a net.Conn that swallows writes.
type discardConn struct{ net.Conn }

func (discardConn) Write(b []byte) (int, error)      { return len(b), nil }
func (discardConn) SetWriteDeadline(time.Time) error { return nil }
func (discardConn) RemoteAddr() net.Addr             { return nil }

// loopConn is a net.Conn whose reads replay the same octets forever.
type loopConn struct {
	net.Conn
	data []byte
	off  int
}

func (c *loopConn) Read(b []byte) (int, error) {
	n := copy(b, c.data[c.off:])
	c.off = (c.off + n) % len(c.data)
	return n, nil
}
func (*loopConn) RemoteAddr() net.Addr { return nil }

var benchSizes = []int{64, 1024}

func BenchmarkWriteMessages(b *testing.B) {
	for _, size := range benchSizes {
		for _, batch := range []int{1, 16} {
			b.Run(fmt.Sprintf("%dB/batch%d", size, batch), func(b *testing.B) {
				c := newConn(discardConn{}, testMsgPack, MaxMessageSize, MaxMessageSize, 0)
				msgs := make([][]byte, batch)
				for i := range msgs {
					msgs[i] = make([]byte, size)
				}
				b.SetBytes(int64(size * batch))
				b.ReportAllocs()
				for b.Loop() {
					if err := c.WriteMessages(msgs); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

func BenchmarkReadMessage(b *testing.B) {
	for _, size := range benchSizes {
		b.Run(fmt.Sprintf("%dB", size), func(b *testing.B) {
			var stream []byte
			for range 64 {
				stream = append(stream, frame(frameMessage, make([]byte, size))...)
			}
			c := newConn(&loopConn{data: stream}, testMsgPack, MaxMessageSize, MaxMessageSize, 0)
			b.SetBytes(int64(size))
			b.ReportAllocs()
			for b.Loop() {
				m, err := c.ReadMessage()
				if err != nil || len(m) != size {
					b.Fatal(len(m), err)
				}
			}
		})
	}
}

// BenchmarkTCPRoundTrip sends a message over loopback TCP and reads it back.
func BenchmarkTCPRoundTrip(b *testing.B) {
	l, err := Listen("tcp", "127.0.0.1:0", ListenConfig{ServerConfig: ServerConfig{Serializers: testSerializers}})
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	done := make(chan struct{})
	go func() {
		defer close(done)
		c, err := l.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		for {
			m, err := c.ReadMessage()
			if err != nil || c.WriteMessages([][]byte{m}) != nil {
				return
			}
		}
	}()
	c, err := Dial(b.Context(), "tcp", l.Addr().String(), ClientConfig{Serializer: testMsgPack})
	if err != nil {
		b.Fatal(err)
	}
	msg := [][]byte{make([]byte, 64)}
	b.ReportAllocs()
	for b.Loop() {
		if err := c.WriteMessages(msg); err != nil {
			b.Fatal(err)
		}
		if _, err := c.ReadMessage(); err != nil {
			b.Fatal(err)
		}
	}
	c.Close()
	<-done
}
