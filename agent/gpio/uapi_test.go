package gpio

import (
	"bytes"
	"encoding/binary"
	"errors"
	"runtime"
	"testing"
	"time"
)

// golden builds an expected struct image: size zero bytes with the given
// byte runs written at their offsets.
func golden(size int, runs map[int][]byte) []byte {
	b := make([]byte, size)
	for off, r := range runs {
		copy(b[off:], r)
	}
	return b
}

func TestStructLayout(t *testing.T) {
	// Sizes and offsets as in linux/gpio.h (checked with pahole on x86_64,
	// where every field is naturally aligned).
	for _, c := range []struct {
		name      string
		got, want int
	}{
		{"gpio_v2_line_attribute", sizeofAttribute, 16},
		{"gpio_v2_line_config_attribute", sizeofConfigAttr, 24},
		{"gpio_v2_line_config", sizeofLineConfig, 8 + 4 + 5*4 + lineNumAttrsMax*sizeofConfigAttr},
		{"gpio_v2_line_request", sizeofLineRequest, 592},
		{"gpio_v2_line_request.consumer", offConsumer, 256},
		{"gpio_v2_line_request.config", offConfig, 288},
		{"gpio_v2_line_request.num_lines", offNumLines, 560},
		{"gpio_v2_line_request.event_buffer_size", offEventBuf, 564},
		{"gpio_v2_line_request.fd", offRequestFD, 588},
		{"gpio_v2_line_values", sizeofLineValues, 16},
		{"gpio_v2_line_event", sizeofLineEvent, 48},
		{"gpiochip_info", sizeofChipInfo, 68},
	} {
		if c.got != c.want {
			t.Errorf("%s = %d, want %d", c.name, c.got, c.want)
		}
	}
}

func TestIoctlNumbers(t *testing.T) {
	// Values of the kernel macros, per ioctl encoding.
	want := map[string]uintptr{
		"GPIO_GET_CHIPINFO_IOCTL":       0x8044B401,
		"GPIO_V2_GET_LINE_IOCTL":        0xC250B407,
		"GPIO_V2_LINE_GET_VALUES_IOCTL": 0xC010B40E,
		"GPIO_V2_LINE_SET_VALUES_IOCTL": 0xC010B40F,
	}
	switch runtime.GOARCH {
	case "mips", "mipsle", "mips64", "mips64le", "ppc", "ppc64", "ppc64le", "sparc64":
		want["GPIO_GET_CHIPINFO_IOCTL"] = 0x4044B401 // _IOC_READ=2 at bit 29
	}
	got := map[string]uintptr{
		"GPIO_GET_CHIPINFO_IOCTL":       ioctlGetChipInfo,
		"GPIO_V2_GET_LINE_IOCTL":        ioctlGetLine,
		"GPIO_V2_LINE_GET_VALUES_IOCTL": ioctlLineGetValues,
		"GPIO_V2_LINE_SET_VALUES_IOCTL": ioctlLineSetValues,
	}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("%s = %#x, want %#x", k, got[k], w)
		}
	}
}

func TestEncodeRequest(t *testing.T) {
	le, be := binary.LittleEndian, binary.BigEndian
	tests := []struct {
		name string
		cfg  LineConfig
		bo   binary.ByteOrder
		want []byte
	}{
		{
			name: "input both edges pull-up active-low debounce, little endian",
			cfg:  LineConfig{Offset: 17, Consumer: "door", ActiveLow: true, Edge: EdgeBoth, Bias: BiasPullUp, Debounce: 5 * time.Millisecond},
			bo:   le,
			want: golden(592, map[int][]byte{
				0:   {17, 0, 0, 0},      // offsets[0] = 17
				256: []byte("door"),     // consumer, NUL padded
				288: {0x36, 0x09, 0, 0}, // config.flags = ACTIVE_LOW|INPUT|EDGE_RISING|EDGE_FALLING|BIAS_PULL_UP|EVENT_CLOCK_REALTIME = 0x936
				296: {1, 0, 0, 0},       // config.num_attrs = 1
				320: {3, 0, 0, 0},       // attrs[0].attr.id = GPIO_V2_LINE_ATTR_ID_DEBOUNCE
				328: {0x88, 0x13, 0, 0}, // attrs[0].attr.debounce_period_us = 5000
				336: {1, 0, 0, 0},       // attrs[0].mask = line index 0
				560: {1, 0, 0, 0},       // num_lines = 1
			}),
		},
		{
			name: "output initially high open-drain, little endian",
			cfg:  LineConfig{Offset: 4, Consumer: "relay", Output: true, Initial: 1, Drive: DriveOpenDrain},
			bo:   le,
			want: golden(592, map[int][]byte{
				0:   {4, 0, 0, 0},
				256: []byte("relay"),
				288: {0x48, 0, 0, 0}, // OUTPUT|OPEN_DRAIN
				296: {1, 0, 0, 0},    // num_attrs
				320: {2, 0, 0, 0},    // id = GPIO_V2_LINE_ATTR_ID_OUTPUT_VALUES
				328: {1, 0, 0, 0},    // values: bit 0
				336: {1, 0, 0, 0},    // mask
				560: {1, 0, 0, 0},
			}),
		},
		{
			name: "output low, big endian (mips)",
			cfg:  LineConfig{Offset: 0x0102, Output: true},
			bo:   be,
			want: golden(592, map[int][]byte{
				0:   {0, 0, 0x01, 0x02},
				256: []byte("edge-agent"),        // default consumer
				288: {0, 0, 0, 0, 0, 0, 0, 0x08}, // OUTPUT, a big-endian u64
				560: {0, 0, 0, 1},
			}),
		},
		{
			name: "plain input, consumer cut to 31 bytes",
			cfg:  LineConfig{Offset: 1, Consumer: "0123456789abcdef0123456789abcdefXYZ"},
			bo:   le,
			want: golden(592, map[int][]byte{
				0:   {1, 0, 0, 0},
				256: []byte("0123456789abcdef0123456789abcde"),
				288: {0x04, 0, 0, 0}, // INPUT
				560: {1, 0, 0, 0},
			}),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := make([]byte, sizeofLineRequest)
			if err := encodeRequest(b, &tt.cfg, tt.bo); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(b, tt.want) {
				for i := range b {
					if b[i] != tt.want[i] {
						t.Fatalf("byte %d = %#x, want %#x", i, b[i], tt.want[i])
					}
				}
			}
		})
	}
}

func TestEncodeRequestRejects(t *testing.T) {
	for _, cfg := range []LineConfig{
		{Output: true, Edge: EdgeRising},
		{Output: true, Debounce: time.Millisecond},
		{Drive: DriveOpenDrain},
		{Edge: 9},
		{Bias: 9},
		{Output: true, Drive: 9},
		{Output: true, Initial: 2},
		{Debounce: 2 * time.Hour},
	} {
		b := make([]byte, sizeofLineRequest)
		if err := encodeRequest(b, &cfg, binary.LittleEndian); !errors.Is(err, ErrBadConfig) {
			t.Errorf("encodeRequest(%+v) = %v, want ErrBadConfig", cfg, err)
		}
	}
	if err := encodeRequest(make([]byte, 10), &LineConfig{}, binary.LittleEndian); err == nil {
		t.Error("short buffer accepted")
	}
}

func TestEncodeValues(t *testing.T) {
	b := make([]byte, sizeofLineValues)
	encodeValues(b, 1, binary.BigEndian)
	want := []byte{0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1} // bits, mask
	if !bytes.Equal(b, want) {
		t.Errorf("got % x, want % x", b, want)
	}
}

func TestDecodeEvent(t *testing.T) {
	b := golden(48, map[int][]byte{
		0:  {0x00, 0xca, 0x9a, 0x3b, 0, 0, 0, 0}, // timestamp_ns = 1e9
		8:  {2, 0, 0, 0},                         // id = FALLING_EDGE
		12: {17, 0, 0, 0},                        // offset
		16: {9, 0, 0, 0},                         // seqno
		20: {5, 0, 0, 0},                         // line_seqno
	})
	ev, err := decodeEvent(b, binary.LittleEndian)
	if err != nil {
		t.Fatal(err)
	}
	if want := (Event{Time: time.Unix(1, 0), Kind: FallingEdge, Offset: 17, Seq: 5}); !ev.Time.Equal(want.Time) || ev.Kind != want.Kind || ev.Offset != want.Offset || ev.Seq != want.Seq {
		t.Errorf("got %+v, want %+v", ev, want)
	}
	if _, err := decodeEvent(b[:47], binary.LittleEndian); err == nil {
		t.Error("short event accepted")
	}
	b[8] = 7
	if _, err := decodeEvent(b, binary.LittleEndian); err == nil {
		t.Error("unknown event id accepted")
	}
}

func TestRequestWithoutChip(t *testing.T) {
	// No GPIO chip exists here (no /dev/gpiochip*, no gpio-sim): the error
	// must name the problem rather than crash.
	if _, err := Request(t.TempDir()+"/gpiochip9", LineConfig{}); err == nil {
		t.Fatal("Request on a missing chip succeeded")
	}
}
