package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestMQTTCodec(t *testing.T) {
	tests := []struct {
		name string
		got  []byte
		want []byte
	}{
		{"CONNECT", appendConnect(nil, "wb"),
			[]byte{0x10, 14, 0, 4, 'M', 'Q', 'T', 'T', 4, 0x02, 0, 0, 0, 2, 'w', 'b'}},
		{"SUBSCRIBE", appendSubscribe(nil, 1, "a/b"),
			[]byte{0x82, 8, 0, 1, 0, 3, 'a', '/', 'b', 0}},
		{"PUBLISH", appendPublish(nil, "t", []byte("hi")),
			[]byte{0x30, 5, 0, 1, 't', 'h', 'i'}},
		{"remaining 127", appendRemaining(nil, 127), []byte{0x7f}},
		{"remaining 128", appendRemaining(nil, 128), []byte{0x80, 0x01}},
		{"remaining 16383", appendRemaining(nil, 16383), []byte{0xff, 0x7f}},
		{"remaining 2097152", appendRemaining(nil, 2097152), []byte{0x80, 0x80, 0x80, 0x01}},
	}
	for _, tt := range tests {
		if !bytes.Equal(tt.got, tt.want) {
			t.Errorf("%s: % x, want % x", tt.name, tt.got, tt.want)
		}
	}
	payload := bytes.Repeat([]byte{'p'}, 300)
	stream := appendPublish(appendPublish(nil, "x/y", payload), "z", nil)
	r := bufio.NewReader(bytes.NewReader(stream))
	typ, flags, body, err := readPacket(r, nil)
	if err != nil || typ != mqttPublish || flags != 0 || !bytes.Equal(body[5:], payload) {
		t.Fatalf("readPacket = %d %d %q %v", typ, flags, body, err)
	}
	if typ, _, body, err = readPacket(r, body); err != nil || typ != mqttPublish || string(body) != "\x00\x01z" {
		t.Fatalf("second readPacket = %d %q %v", typ, body, err)
	}
	if _, _, _, err := readPacket(bufio.NewReader(bytes.NewReader([]byte{0x30, 0xff, 0xff, 0xff, 0xff, 0x01})), nil); err == nil {
		t.Error("readPacket accepted a 5-byte remaining length")
	}
	if _, _, _, err := readPacket(bufio.NewReader(bytes.NewReader([]byte{0x30, 0x05, 0, 1})), nil); err == nil {
		t.Error("readPacket accepted a truncated packet")
	}
}

// needMosquitto returns the mosquitto binary, or skips (fails in CI, where
// scripts/install-peers.sh installs it).
func needMosquitto(t *testing.T) string {
	t.Helper()
	for _, p := range []string{"mosquitto", "/usr/sbin/mosquitto"} {
		if path, err := exec.LookPath(p); err == nil {
			return path
		}
	}
	if os.Getenv("CI") == "true" || os.Getenv("EDGEWAMP_INTEROP") == "1" {
		t.Fatal("mosquitto not installed (scripts/install-peers.sh installs it)")
	}
	t.Skip("mosquitto not installed")
	return ""
}

// startMosquitto runs mosquitto on a free loopback port until the test ends.
func startMosquitto(t *testing.T) string {
	bin := needMosquitto(t)
	for attempt := 0; ; attempt++ {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := l.Addr().String()
		l.Close()
		_, port, _ := net.SplitHostPort(addr)
		conf := filepath.Join(t.TempDir(), "mosquitto.conf")
		os.WriteFile(conf, []byte("listener "+port+" 127.0.0.1\nallow_anonymous true\npersistence false\n"), 0o600)
		cmd := exec.Command(bin, "-c", conf)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		exited := make(chan struct{})
		go func() { cmd.Wait(); close(exited) }()
		t.Cleanup(func() {
			cmd.Process.Kill()
			<-exited
		})
		up := waitFor(5*time.Second, func() bool {
			select {
			case <-exited:
				return true
			default:
			}
			c, err := net.DialTimeout("tcp", addr, 100*time.Millisecond)
			if err == nil {
				c.Close()
			}
			return err == nil
		})
		select {
		case <-exited:
			if attempt < 3 { // the port was taken meanwhile
				continue
			}
			t.Fatalf("mosquitto exited: %s", stderr.String())
		default:
		}
		if !up {
			t.Fatalf("mosquitto not listening on %s: %s", addr, stderr.String())
		}
		return "tcp://" + addr
	}
}

// TestMQTTFanoutMosquitto runs the MQTT fan-out against Mosquitto at a
// moderate rate: every publish reaches every subscriber.
func TestMQTTFanoutMosquitto(t *testing.T) {
	broker := startMosquitto(t)
	c := testConfig(t, "fanout", "-mqtt", broker, "-pubs", "2", "-subs", "4", "-rate", "1000", "-duration", "300ms")
	r, err := runMQTTFanout(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	if r.Published < 100 || r.Delivered != 4*r.Published || r.Protocol != "mqtt" {
		t.Errorf("published %d, delivered %d over %s; want delivered = 4 × published", r.Published, r.Delivered, r.Protocol)
	}
	if r.Latency == nil || r.Latency.Count != r.Delivered {
		t.Errorf("latency %+v", r.Latency)
	}
	var out bytes.Buffer
	if err := run(context.Background(), []string{"fanout", "-mqtt", broker, "-subs", "10", "-duration", "200ms"}, &out, &out); err != nil {
		t.Fatalf("full-speed run: %v\n%s", err, out.String())
	}
	if !strings.Contains(out.String(), fmt.Sprintf("fanout against %s (mqtt)", broker)) {
		t.Errorf("report:\n%s", out.String())
	}
}

// TestMQTTIdleMosquitto holds MQTT clients on Mosquitto and reports the
// memory of a process (this one, standing in for the broker).
func TestMQTTIdleMosquitto(t *testing.T) {
	broker := startMosquitto(t)
	c := testConfig(t, "idle", "-mqtt", broker, "-sessions", "20", "-parallel", "4", "-settle", "10ms", "-router-pid", strconv.Itoa(os.Getpid()))
	r, err := runScenario(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	if r.Protocol != "mqtt" || r.Sessions != 20 || r.RouterRSSAfter == 0 || r.JoinSeconds <= 0 {
		t.Errorf("result %+v", r)
	}
}
