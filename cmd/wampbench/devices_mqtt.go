package main

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// mqttDevice is one publishing MQTT client of the devices scenario.
type mqttDevice struct {
	m    *mqttClient
	pkt  []byte // its PUBLISH, with the timestamp's digits at tsAt
	tsAt int
}

// publish implements publisher: one QoS 0 PUBLISH, stamped ts.
func (d *mqttDevice) publish(buf []byte, _ uint64, ts int64) ([]byte, error) {
	buf = append(buf[:0], d.pkt...)
	putHex16(buf[d.tsAt:], uint64(ts))
	_, err := d.m.nc.Write(buf)
	return buf, err
}

// runMQTTDevices runs the devices scenario against an MQTT broker: N
// clients publish their readings at QoS 0 on PREFIX/<i>/reading, M
// subscribe to PREFIX/+/reading. MQTT has no calls.
func runMQTTDevices(ctx context.Context, c *config) (*result, error) {
	u, err := url.Parse(c.mqtt)
	if err != nil {
		return nil, err
	}
	r := newResult(c, c.mqtt, "mqtt", "")
	setup, cancel := context.WithTimeout(ctx, setupTimeout+time.Duration(c.devices)*time.Millisecond)
	defer cancel()
	run := &devicesRun{c: c}
	id := fmt.Sprintf("wampbench-dev-%d-", time.Now().UnixNano()%1e9)
	prefix := strings.ReplaceAll(c.prefix, ".", "/")
	closeClients := func(ms []*mqttClient) {
		for _, m := range ms {
			m.close()
		}
	}
	subs, err := openMany(setup, c.backends, 8, func(ctx context.Context, i int) (*mqttClient, error) {
		m, err := mqttDial(ctx, u.Host, id+"sub-"+strconv.Itoa(i), 64<<10)
		if err != nil {
			return nil, err
		}
		if err := m.exchange(ctx, appendSubscribe(nil, 1, prefix+"/+/reading"), mqttSuback); err != nil {
			m.close()
			return nil, fmt.Errorf("mqtt subscribe: %w", err)
		}
		return m, nil
	}, closeClients)
	if err != nil {
		return nil, err
	}
	joinStart := time.Now()
	payload := []byte(payloadString(c.size))
	devs, err := openMany(setup, c.devices, c.parallel, func(ctx context.Context, i int) (*mqttClient, error) {
		return mqttDial(ctx, u.Host, id+strconv.Itoa(i), 64)
	}, closeClients)
	if err != nil {
		closeClients(subs)
		return nil, err
	}
	r.JoinSeconds = time.Since(joinStart).Seconds()
	pubs := make([]publisher, len(devs))
	for i, m := range devs {
		pkt := appendPublish(nil, prefix+"/"+strconv.Itoa(i)+"/reading", payload)
		pubs[i] = &mqttDevice{m: m, pkt: pkt, tsAt: len(pkt) - 16}
	}

	run.clk = clock{start: time.Now()}
	var readers sync.WaitGroup
	tallies := make([]*histogram, len(subs))
	for i, m := range subs {
		tallies[i] = new(histogram)
		readers.Add(1)
		go func() { defer readers.Done(); run.mqttEventLoop(m, tallies[i], &run.delivered) }()
	}
	if err := run.drive(ctx, r, pubs, tallies, false, nil, func() {
		closeClients(devs)
		closeClients(subs)
		readers.Wait()
	}); err != nil {
		return nil, err
	}
	r.Notes = append(r.Notes, "MQTT: no calls (the protocol has no RPC)")
	return r, nil
}

// mqttEventLoop counts the PUBLISH packets read on m and records their
// latency into h, until m closes.
func (run *devicesRun) mqttEventLoop(m *mqttClient, h *histogram, count *atomic.Uint64) {
	readPublishes(m, func(body []byte) {
		if ts, ok := parseTS(body); ok {
			h.record(run.clk.now() - ts)
		}
		count.Add(1)
	})
}
