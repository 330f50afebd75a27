package e2ee_test

import (
	"bytes"
	"crypto/rand"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/edgewamp/edgewamp/e2ee"
	"github.com/edgewamp/edgewamp/wamp"
)

func newKey(t testing.TB, id string) *e2ee.Key {
	t.Helper()
	secret := make([]byte, 32)
	rand.Read(secret)
	k, err := e2ee.NewKey(id, secret)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// logLines is an e2ee.Logger that keeps its lines.
type logLines struct {
	mu    sync.Mutex
	lines []string
}

func (l *logLines) Warn(msg string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, fmt.Sprint(append([]any{msg}, args...)...))
}

func TestSealOpen(t *testing.T) {
	k1, k2 := newKey(t, "k1"), newKey(t, "k2")
	var sender, receiver, stranger e2ee.Keyring
	sender.Set("sensor.", k1)
	sender.Set("sensor.secret.", k2) // the longest prefix wins
	receiver.Set("sensor.", k1)
	receiver.Set("sensor.secret.", k2)
	stranger.Set("sensor.", newKey(t, "k1")) // same ID, other secret
	log := &logLines{}
	receiver.Logger = log

	in := wamp.Payload{Args: wamp.List{21.5, "celsius"}, Kwargs: wamp.Dict{"sensor": int64(7)}}
	sealed, opts, err := sender.Seal("sensor.secret.temp", in)
	if err != nil {
		t.Fatal(err)
	}
	if opts["ppt_scheme"] != "wamp" || opts["ppt_cipher"] != "xsalsa20poly1305" || opts["ppt_serializer"] != "json" || opts["ppt_keyid"] != "k2" {
		t.Errorf("options %v", opts)
	}
	box := sealed.Args[0].([]byte)
	if len(sealed.Args) != 1 || sealed.Kwargs != nil || bytes.Contains(box, []byte("celsius")) {
		t.Fatalf("sealed %v", sealed)
	}
	out, err := receiver.Open("sensor.secret.temp", sealed, opts)
	if err != nil || fmt.Sprint(out) != fmt.Sprint(in) {
		t.Fatalf("Open: %v %v", out, err)
	}

	tampered := bytes.Clone(box)
	tampered[len(tampered)-1] ^= 1
	tests := []struct {
		name string
		ring *e2ee.Keyring
		uri  wamp.URI
		p    wamp.Payload
		d    wamp.Dict
		want error
	}{
		{"wrong key", &stranger, "sensor.secret.temp", sealed, wamp.Dict{"ppt_scheme": "wamp", "ppt_cipher": "xsalsa20poly1305", "ppt_keyid": "k1"}, e2ee.ErrOpen},
		{"unknown key ID", &receiver, "sensor.secret.temp", sealed, map[string]any{"ppt_scheme": "wamp", "ppt_cipher": "xsalsa20poly1305", "ppt_keyid": "k9"}, e2ee.ErrNoKey},
		{"tampered", &receiver, "sensor.secret.temp", wamp.Payload{Args: wamp.List{tampered}}, opts, e2ee.ErrOpen},
		{"truncated", &receiver, "sensor.secret.temp", wamp.Payload{Args: wamp.List{box[:20]}}, opts, e2ee.ErrOpen},
		{"not binary", &receiver, "sensor.secret.temp", wamp.Payload{Args: wamp.List{"x"}}, opts, e2ee.ErrOpen},
		{"replayed on another URI", &receiver, "sensor.secret.hum", sealed, opts, e2ee.ErrOpen},
		{"clear text where a key is set", &receiver, "sensor.temp", in, wamp.Dict{}, e2ee.ErrNotEncrypted},
		{"another scheme", &receiver, "sensor.temp", sealed, wamp.Dict{"ppt_scheme": "mqtt"}, e2ee.ErrNotEncrypted},
		{"another cipher", &receiver, "sensor.temp", sealed, wamp.Dict{"ppt_scheme": "wamp", "ppt_cipher": "aes256gcm"}, e2ee.ErrNotEncrypted},
	}
	for i, tt := range tests {
		p, err := tt.ring.Open(tt.uri, tt.p, tt.d)
		if !errors.Is(err, tt.want) || p.Args != nil {
			t.Errorf("%s: %v %v, want %v", tt.name, p, err, tt.want)
		}
		if tt.ring == &receiver && receiver.Failures() != uint64(i) {
			t.Errorf("%s: %d failures counted", tt.name, receiver.Failures())
		}
	}
	if len(log.lines) != len(tests)-1 || !strings.Contains(log.lines[0], "payload refused") {
		t.Errorf("log %q", log.lines)
	}
	// clear text where no key is set passes
	if p, err := receiver.Open("other.topic", in, nil); err != nil || fmt.Sprint(p) != fmt.Sprint(in) {
		t.Errorf("clear: %v %v", p, err)
	}
	if _, _, err := sender.Seal("other.topic", in); !errors.Is(err, e2ee.ErrNoKey) {
		t.Errorf("Seal without key: %v", err)
	}
	// a key removed no longer opens, even by its ID
	receiver.Set("sensor.secret.", nil)
	if _, err := receiver.Open("sensor.secret.temp", sealed, opts); err == nil {
		t.Error("removed key still opens")
	}
	if _, err := e2ee.NewKey("short", []byte("x")); err == nil {
		t.Error("short key accepted")
	}
}

func ExampleKeyring() {
	secret := bytes.Repeat([]byte{7}, 32) // in practice: 32 random bytes shared by both ends
	k, _ := e2ee.NewKey("plant-2026", secret)
	var ring e2ee.Keyring
	ring.Set("plant.", k)

	sealed, opts, _ := ring.Seal("plant.line1.temp", wamp.Payload{Args: wamp.List{21.5}})
	fmt.Println(opts["ppt_scheme"], opts["ppt_cipher"], opts["ppt_keyid"], len(sealed.Args))
	// ... sealed travels as PUBLISH args with opts as options ...
	p, err := ring.Open("plant.line1.temp", sealed, opts)
	fmt.Println(p.Args, err)
	// Output:
	// wamp xsalsa20poly1305 plant-2026 1
	// [21.5] <nil>
}
