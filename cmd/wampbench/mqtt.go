package main

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"strings"
	"sync"
	"time"
)

// MQTT 3.1.1 packet types (the high nibble of the fixed header).
const (
	mqttConnect    = 1
	mqttConnack    = 2
	mqttPublish    = 3
	mqttSubscribe  = 8
	mqttSuback     = 9
	mqttDisconnect = 14
)

// maxMQTTPacket bounds the packets the generator reads.
const maxMQTTPacket = 1 << 20

// errMQTT is wrapped by the errors of a broker that answers unexpectedly.
var errMQTT = errors.New("mqtt: unexpected answer")

// appendRemaining appends the MQTT variable-length remaining length.
func appendRemaining(b []byte, n int) []byte {
	for {
		d := byte(n % 128)
		n /= 128
		if n > 0 {
			d |= 0x80
		}
		b = append(b, d)
		if n == 0 {
			return b
		}
	}
}

// appendString appends a length-prefixed UTF-8 string.
func appendString(b []byte, s string) []byte {
	b = binary.BigEndian.AppendUint16(b, uint16(len(s)))
	return append(b, s...)
}

// appendConnect appends a CONNECT with a clean session, no keepalive and
// no credentials.
func appendConnect(b []byte, clientID string) []byte {
	body := appendString(nil, "MQTT")
	body = append(body, 4, 0x02, 0, 0) // level 3.1.1, clean session, keepalive 0 (off)
	body = appendString(body, clientID)
	b = append(b, mqttConnect<<4)
	return append(appendRemaining(b, len(body)), body...)
}

// appendSubscribe appends a SUBSCRIBE for one topic filter at QoS 0.
func appendSubscribe(b []byte, packetID uint16, filter string) []byte {
	body := binary.BigEndian.AppendUint16(nil, packetID)
	body = appendString(body, filter)
	body = append(body, 0)
	b = append(b, mqttSubscribe<<4|0x02)
	return append(appendRemaining(b, len(body)), body...)
}

// appendPublish appends a QoS 0 PUBLISH.
func appendPublish(b []byte, topic string, payload []byte) []byte {
	b = append(b, mqttPublish<<4)
	b = appendRemaining(b, 2+len(topic)+len(payload))
	b = appendString(b, topic)
	return append(b, payload...)
}

// readPacket reads one packet: its type, flags and body (valid until the
// next call, which reuses buf).
func readPacket(r *bufio.Reader, buf []byte) (typ, flags byte, body []byte, err error) {
	h, err := r.ReadByte()
	if err != nil {
		return 0, 0, buf, err
	}
	n, mult := 0, 1
	for i := 0; ; i++ {
		d, err := r.ReadByte()
		if err != nil {
			return 0, 0, buf, err
		}
		n += int(d&0x7f) * mult
		if d&0x80 == 0 {
			break
		}
		if i == 3 {
			return 0, 0, buf, fmt.Errorf("%w: remaining length over 4 bytes", errMQTT)
		}
		mult *= 128
	}
	if n > maxMQTTPacket {
		return 0, 0, buf, fmt.Errorf("%w: packet of %d bytes", errMQTT, n)
	}
	if cap(buf) < n {
		buf = make([]byte, n)
	}
	buf = buf[:n]
	if _, err := io.ReadFull(r, buf); err != nil {
		return 0, 0, buf, err
	}
	return h >> 4, h & 0x0f, buf, nil
}

// mqttClient is one MQTT connection of the generator.
type mqttClient struct {
	nc net.Conn
	r  *bufio.Reader
}

// mqttDial connects to the broker at addr and completes CONNECT/CONNACK,
// reading through a buffer of readSize bytes.
func mqttDial(ctx context.Context, addr, clientID string, readSize int) (*mqttClient, error) {
	var d net.Dialer
	nc, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("mqtt dial %s: %w", addr, err)
	}
	m := &mqttClient{nc: nc, r: bufio.NewReaderSize(nc, readSize)}
	if err := m.exchange(ctx, appendConnect(nil, clientID), mqttConnack); err != nil {
		nc.Close()
		return nil, fmt.Errorf("mqtt connect %s: %w", addr, err)
	}
	return m, nil
}

// exchange writes pkt and reads the answer of type want, checking its
// return code (the last body byte of CONNACK and SUBACK).
func (m *mqttClient) exchange(ctx context.Context, pkt []byte, want byte) error {
	deadline, ok := ctx.Deadline()
	if !ok {
		deadline = time.Now().Add(10 * time.Second)
	}
	m.nc.SetDeadline(deadline)
	defer m.nc.SetDeadline(time.Time{})
	if _, err := m.nc.Write(pkt); err != nil {
		return err
	}
	typ, _, body, err := readPacket(m.r, nil)
	if err != nil {
		return err
	}
	if typ != want || len(body) == 0 {
		return fmt.Errorf("%w: packet type %d, want %d", errMQTT, typ, want)
	}
	if rc := body[len(body)-1]; (want == mqttConnack && rc != 0) || (want == mqttSuback && rc == 0x80) {
		return fmt.Errorf("%w: return code %#x", errMQTT, rc)
	}
	return nil
}

// close sends DISCONNECT and closes the connection.
func (m *mqttClient) close() {
	m.nc.SetWriteDeadline(time.Now().Add(time.Second))
	m.nc.Write([]byte{mqttDisconnect << 4, 0})
	m.nc.Close()
}

// runMQTTFanout runs the fan-out scenario against an MQTT broker: S
// subscribers at QoS 0, P publishers publishing at QoS 0.
func runMQTTFanout(ctx context.Context, c *config) (*result, error) {
	u, err := url.Parse(c.mqtt)
	if err != nil {
		return nil, err
	}
	setup, cancel := context.WithTimeout(ctx, setupTimeout)
	defer cancel()
	var clients []*mqttClient
	closeClients := sync.OnceFunc(func() {
		for _, m := range clients {
			m.close()
		}
	})
	defer closeClients()
	topic := strings.ReplaceAll(c.topic, ".", "/")
	fio := &fanoutIO{close: closeClients, res: newResult(c, c.mqtt, "mqtt", "")}
	for i := range c.subs + c.pubs {
		m, err := mqttDial(setup, u.Host, fmt.Sprintf("wampbench-%d-%d", time.Now().UnixNano()%1e9, i), 64<<10)
		if err != nil {
			return nil, err
		}
		clients = append(clients, m)
		if i < c.subs {
			if err := m.exchange(setup, appendSubscribe(nil, 1, topic), mqttSuback); err != nil {
				return nil, fmt.Errorf("mqtt subscribe %s: %w", topic, err)
			}
			fio.subLoops = append(fio.subLoops, func(f *fanout, st *subscriber) { f.mqttSubscriberLoop(m, st) })
		} else {
			fio.writers = append(fio.writers, mqttWriter(m, topic, payloadString(c.size)))
		}
	}
	return driveFanout(ctx, c, fio)
}

// mqttWriter returns the writer of an MQTT publisher: a batch of PUBLISH
// packets in one write.
func mqttWriter(m *mqttClient, topic, payload string) func(seq uint64, n int, now int64) error {
	one := appendPublish(nil, topic, []byte(payload))
	tsAt := len(one) - 16
	var buf []byte
	return func(_ uint64, n int, now int64) error {
		buf = buf[:0]
		for range n {
			at := len(buf)
			buf = append(buf, one...)
			putHex16(buf[at+tsAt:], uint64(now))
		}
		if err := m.nc.SetWriteDeadline(time.Now().Add(5 * time.Second)); err != nil {
			return err
		}
		_, err := m.nc.Write(buf)
		return err
	}
}

// mqttSubscriberLoop reads PUBLISH packets until the connection closes.
func (f *fanout) mqttSubscriberLoop(m *mqttClient, st *subscriber) {
	readPublishes(m, func(body []byte) {
		now := f.clk.now()
		if ts, ok := parseTS(body); ok {
			st.h.record(now - ts)
		}
		f.delivered(st, now)
	})
}

// readPublishes calls each with the body of every PUBLISH packet read on
// m, until the connection closes. The body is valid during the call.
func readPublishes(m *mqttClient, each func(body []byte)) {
	var buf []byte
	for {
		typ, _, body, err := readPacket(m.r, buf)
		buf = body
		if err != nil {
			return
		}
		if typ == mqttPublish {
			each(body)
		}
	}
}
