package serialtransport

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"testing"

	"github.com/edgewamp/edgewamp/wamp"
)

func TestParseURL(t *testing.T) {
	tests := []struct {
		url    string
		path   string
		baud   int
		ser    wamp.Serializer
		maxlen int
		window int
		name   string
		bad    bool
	}{
		{url: "serial:///dev/ttyUSB0", path: "/dev/ttyUSB0", baud: 115200, name: "/dev/ttyUSB0"},
		{url: "serial:///dev/ttyATH0?baud=250000&window=1&maxlen=512&serializer=json&name=yun", path: "/dev/ttyATH0", baud: 250000, ser: wamp.JSON, maxlen: 512, window: 1, name: "yun"},
		{url: "SERIAL:///dev/pts/3?serializer=msgpack", path: "/dev/pts/3", baud: 115200, ser: wamp.MsgPack, name: "/dev/pts/3"},
		{url: "serial://host/dev/ttyUSB0", bad: true},
		{url: "serial://", bad: true},
		{url: "rs://127.0.0.1:8080", bad: true},
		{url: "serial:///dev/ttyUSB0?baud=fast", bad: true},
		{url: "serial:///dev/ttyUSB0?baud=-1", bad: true},
		{url: "serial:///dev/ttyUSB0?serializer=ubjson", bad: true},
		{url: "serial:///dev/ttyUSB0?parity=even", bad: true},
		{url: "%zz", bad: true},
	}
	for _, tc := range tests {
		t.Run(tc.url, func(t *testing.T) {
			path, baud, cfg, err := ParseURL(tc.url, Config{})
			if tc.bad {
				if err == nil {
					t.Fatalf("ParseURL accepted %q", tc.url)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if path != tc.path || baud != tc.baud || cfg.Serializer != tc.ser || cfg.MaxMessageSize != tc.maxlen || cfg.Window != tc.window || cfg.Name != tc.name {
				t.Fatalf("ParseURL = %q %d %+v", path, baud, cfg)
			}
		})
	}
}

func TestDialMissingPort(t *testing.T) {
	u, _ := url.Parse("serial:///dev/does-not-exist-serialtransport?baud=9600")
	if _, err := DialURL(context.Background(), u, wamp.DialOptions{}); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("DialURL = %v", err)
	}
	if _, err := Listen("serial:///dev/does-not-exist-serialtransport", Config{}); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("Listen = %v", err)
	}
}

func TestConfigDefaults(t *testing.T) {
	c := Config{}.withDefaults()
	if c.Serializer != wamp.MsgPack || c.MaxMessageSize != 1024 || c.Window != 16 || c.KeepAliveTimeout != 15e9 || c.Name != "serial" {
		t.Fatalf("defaults %+v", c)
	}
	for _, tc := range []struct{ in, want int }{{1, 512}, {513, 1024}, {4000, 4096}, {1 << 16, 1 << 16}, {1 << 20, 1 << 16}} {
		if got := (Config{MaxMessageSize: tc.in}).withDefaults().MaxMessageSize; got != tc.want {
			t.Errorf("MaxMessageSize %d -> %d, want %d", tc.in, got, tc.want)
		}
	}
	if w := (Config{Window: 100}).withDefaults().Window; w != MaxWindow {
		t.Errorf("window 100 -> %d", w)
	}
	if c := (Config{KeepAlive: -1}).withDefaults(); c.KeepAlive > 0 || c.KeepAliveTimeout != 0 {
		t.Errorf("keepalive off: %+v", c)
	}
}

// ExampleAppendFrame frames an ACK for sequence number 0, as a
// microcontroller must.
func ExampleAppendFrame() {
	frame := AppendFrame(nil, []byte{byte(TypeAck), 0})
	fmt.Printf("% x\n", frame)
	d := NewFrameDecoder(64)
	payload, _, err := d.Next(frame)
	fmt.Printf("% x %v\n", payload, err)
	// Output:
	// 02 04 03 d1 cb 00
	// 04 00 <nil>
}
