package yuntest

import (
	"bufio"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/edgewamp/edgewamp/wamp"
)

// hostReader is the library's MsgPack.cpp compiled for this machine with
// testdata/mpcheck.cpp (and the address and undefined-behaviour sanitizers),
// driven line by line.
type hostReader struct {
	t   *testing.T
	in  io.Writer
	out *bufio.Scanner
}

func startHostReader(t *testing.T) *hostReader {
	t.Helper()
	cxx, err := exec.LookPath("c++")
	if err != nil {
		t.Skip("no host C++ compiler (c++)")
	}
	bin := filepath.Join(t.TempDir(), "mpcheck")
	src := filepath.Join(exampleDir(), "EdgeWamp", "src")
	if out, err := exec.Command(cxx, "-std=gnu++11", "-O1", "-g", "-Wall", "-Wextra", "-fsanitize=address,undefined",
		"-fno-sanitize-recover=all", "-I", src, "-o", bin, filepath.Join("testdata", "mpcheck.cpp"),
		filepath.Join(src, "MsgPack.cpp")).CombinedOutput(); err != nil {
		t.Fatalf("building mpcheck: %v\n%s", err, out)
	}
	cmd := exec.Command(bin)
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		in.Close()
		if err := cmd.Wait(); err != nil {
			t.Errorf("mpcheck: %v", err)
		}
	})
	return &hostReader{t: t, in: in, out: bufio.NewScanner(out)}
}

func (h *hostReader) ask(cmd byte, b []byte) string {
	h.t.Helper()
	fmt.Fprintf(h.in, "%c %s\n", cmd, hex.EncodeToString(b))
	if !h.out.Scan() {
		h.t.Fatalf("mpcheck ended (a sanitizer finding?) on %c % x", cmd, b)
	}
	return h.out.Text()
}

func f64(v float64) []byte { return binary.BigEndian.AppendUint64([]byte{0xcb}, math.Float64bits(v)) }

// TestMsgPackOnHost runs the library's MessagePack reader on this machine:
// MpReader::number() against Go's conversions for every integer and float
// form (float64 narrowed in software, as avr-gcc has no 64-bit double), and
// the reader on random and truncated input under the sanitizers.
func TestMsgPackOnHost(t *testing.T) {
	h := startHostReader(t)
	want := func(f float32) string { return fmt.Sprintf("%08x 1", math.Float32bits(f)) }
	cases := []struct {
		in   []byte
		want string
	}{
		{[]byte{0x05}, want(5)},
		{[]byte{0xff}, want(-1)},
		{[]byte{0xcc, 0xc8}, want(200)},
		{[]byte{0xcd, 0x12, 0x34}, want(0x1234)},
		{[]byte{0xce, 0x00, 0x01, 0x00, 0x00}, want(65536)},
		{[]byte{0xcf, 0, 0, 0, 1, 0, 0, 0, 0}, want(4294967296)},
		{[]byte{0xd0, 0x9c}, want(-100)},
		{[]byte{0xd1, 0xff, 0x38}, want(-200)},
		{[]byte{0xd2, 0xff, 0xfe, 0x79, 0x60}, want(-100000)},
		{[]byte{0xd3, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe}, want(-2)},
		{[]byte{0xca, 0x41, 0xc4, 0x00, 0x00}, want(24.5)},
		{f64(15.5), want(15.5)},
		{f64(math.Copysign(0, -1)), want(float32(math.Copysign(0, -1)))},
		{[]byte{0xd3, 0xff, 0xff, 0xff, 0xfe, 0, 0, 0, 0}, want(-8589934592)},
		{f64(1e39), want(float32(math.Inf(1)))},
		{f64(-1e39), want(float32(math.Inf(-1)))},
		{f64(1e-300), want(0)}, // too small for a float: zero (no subnormals)
		{f64(math.MaxFloat32), want(math.MaxFloat32)},
		{[]byte{0xc3}, "00000000 0"}, // not a number
		{[]byte{0xcb, 0x40}, "00000000 0"},
	}
	for _, c := range cases {
		if got := h.ask('n', c.in); got != c.want {
			t.Errorf("number(% x) = %s, want %s", c.in, got, c.want)
		}
	}
	if got := h.ask('n', f64(math.NaN())); !strings.HasPrefix(got, "7fc") && !strings.HasPrefix(got, "ffc") {
		t.Errorf("number(NaN) = %s, want a NaN", got)
	}
	// random float64s within the normal float range: the same bits as Go's
	// conversion (round to nearest; a tie, where the library rounds up and Go
	// to even, is all but impossible with random mantissas)
	rng := rand.New(rand.NewPCG(1, 2))
	for range 2000 {
		v := math.Ldexp(rng.Float64()+0.5, rng.IntN(250)-124)
		if rng.IntN(2) == 0 {
			v = -v
		}
		if got := h.ask('n', f64(v)); got != want(float32(v)) {
			t.Fatalf("number(%g) = %s, want %s", v, got, want(float32(v)))
		}
	}

	// a WAMP message from the Go encoder is skipped value by value
	m, err := wamp.MsgPack.AppendMessage(nil, &wamp.Event{Subscription: 1 << 52, Publication: 7,
		Details: wamp.Dict{"topic": "thermostat.setpoint", "retained": true},
		Payload: wamp.Payload{Args: wamp.List{21.5, "x", nil, wamp.List{1, -2}}, Kwargs: wamp.Dict{"unit": "C"}}})
	if err != nil {
		t.Fatal(err)
	}
	if got := h.ask('s', m); got != "1 1" {
		t.Errorf("skip(EVENT) = %s, want one value skipped", got)
	}
	// every truncation of it fails cleanly; random bytes never crash
	for i := range len(m) {
		if got := h.ask('s', m[:i]); !strings.HasPrefix(got, "0 ") && i > 0 {
			t.Errorf("skip(EVENT[:%d]) = %s, want a failure", i, got)
		}
		h.ask('w', m[:i])
	}
	for range 3000 {
		b := make([]byte, rng.IntN(40))
		for i := range b {
			b[i] = byte(rng.IntN(256))
		}
		h.ask('s', b)
		h.ask('w', append([]byte{0x9f}, b...))
	}
}
