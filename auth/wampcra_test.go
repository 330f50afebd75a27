package auth

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/edgewamp/edgewamp/wamp"
)

// Vectors from AutobahnPython's autobahn/wamp/test/test_wamp_auth.py.
const (
	abSecret     = "L3L1YUE8Txlw"
	abDerivedKey = "qzcdsr9uu/L5hnss3kjNTRe490ETgA70ZBaB5rvnJ5Y=" // derive_key(secret, "salt123")
	abWCS        = "1njQtmmeYO41N5EWEzD2kAjjEKRZ5kPZt/TzpYXOzR0=" // compute_wcs(secret, "[1, 2, 3]")
)

func TestCRAVectors(t *testing.T) {
	if got := CRASignature(abSecret, "[1, 2, 3]"); got != abWCS {
		t.Errorf("CRASignature = %q, want %q", got, abWCS)
	}
	key, err := DeriveCRAKey(abSecret, "salt123", DefaultCRAIterations, DefaultCRAKeyLen)
	if err != nil || key != abDerivedKey {
		t.Errorf("DeriveCRAKey = %q, %v; want %q", key, err, abDerivedKey)
	}
}

func TestDeriveCRAKeyRFC6070(t *testing.T) {
	// RFC 6070's first input (password, salt, 1 iteration) with SHA-256
	// instead of SHA-1, 32 bytes: the well-known PBKDF2-HMAC-SHA256 output
	// 120fb6cf..., checked through its base64 form.
	key, err := DeriveCRAKey("password", "salt", 1, 32)
	if err != nil {
		t.Fatal(err)
	}
	// hex 120fb6cffcf8b32c43e7225256c4f837a86548c92ccc35480805987cb70be17b
	if want := "Eg+2z/z4syxD5yJSVsT4N6hlSMkszDVICAWYfLcL4Xs="; key != want {
		t.Errorf("DeriveCRAKey(password, salt, 1, 32) = %q, want %q", key, want)
	}
}

func TestDeriveCRAKeyLimits(t *testing.T) {
	tests := []struct{ iterations, keyLen int }{
		{0, 32}, {-1, 32}, {MaxCRAIterations + 1, 32}, {1, 0}, {1, MaxCRAKeyLen + 1},
	}
	for _, tt := range tests {
		if _, err := DeriveCRAKey("s", "salt", tt.iterations, tt.keyLen); !errors.Is(err, ErrBadChallenge) {
			t.Errorf("DeriveCRAKey(iterations %d, keylen %d) err = %v, want ErrBadChallenge", tt.iterations, tt.keyLen, err)
		}
	}
}

func TestWAMPCRARespond(t *testing.T) {
	const challenge = `{"authid": "peter", "authrole": "user", "authmethod": "wampcra", "authprovider": "userdb", "session": 1, "nonce": "n", "timestamp": "2014-06-22T16:36:25.448Z"}`
	salted := CRASignature(abDerivedKey, challenge)
	tests := []struct {
		name  string
		extra wamp.Dict
		want  string
	}{
		{"plain", wamp.Dict{"challenge": challenge}, CRASignature(abSecret, challenge)},
		{"null salt is no salt", wamp.Dict{"challenge": challenge, "salt": nil}, CRASignature(abSecret, challenge)},
		{"salted", wamp.Dict{"challenge": challenge, "salt": "salt123", "iterations": int64(1000), "keylen": int64(32)}, salted},
		{"salted defaults", wamp.Dict{"challenge": challenge, "salt": "salt123"}, salted},
		{"salted null params", wamp.Dict{"challenge": challenge, "salt": "salt123", "iterations": nil, "keylen": nil}, salted},
		{"salted float params", wamp.Dict{"challenge": challenge, "salt": "salt123", "iterations": 1000.0, "keylen": uint64(32)}, salted},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := WAMPCRA{Secret: abSecret}.Respond(context.Background(), &wamp.Challenge{AuthMethod: "wampcra", Extra: tt.extra})
			if err != nil {
				t.Fatal(err)
			}
			if a.Signature != tt.want || a.Extra == nil {
				t.Errorf("AUTHENTICATE = %q %v, want %q {}", a.Signature, a.Extra, tt.want)
			}
		})
	}
}

func TestWAMPCRARespondBadChallenge(t *testing.T) {
	tests := []struct {
		name  string
		extra wamp.Dict
	}{
		{"no challenge", wamp.Dict{}},
		{"nil extra", nil},
		{"challenge not a string", wamp.Dict{"challenge": int64(5)}},
		{"salt not a string", wamp.Dict{"challenge": "c", "salt": int64(1)}},
		{"iterations not a number", wamp.Dict{"challenge": "c", "salt": "s", "iterations": "1000"}},
		{"iterations zero", wamp.Dict{"challenge": "c", "salt": "s", "iterations": int64(0)}},
		{"iterations huge", wamp.Dict{"challenge": "c", "salt": "s", "iterations": int64(1 << 40)}},
		{"iterations fractional", wamp.Dict{"challenge": "c", "salt": "s", "iterations": 1.5}},
		{"keylen negative", wamp.Dict{"challenge": "c", "salt": "s", "keylen": int64(-32)}},
		{"keylen too big", wamp.Dict{"challenge": "c", "salt": "s", "keylen": int64(MaxCRAKeyLen + 1)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := WAMPCRA{Secret: "x"}.Respond(context.Background(), &wamp.Challenge{AuthMethod: "wampcra", Extra: tt.extra})
			if !errors.Is(err, ErrBadChallenge) {
				t.Errorf("err = %v, want ErrBadChallenge", err)
			}
		})
	}
}

func TestVerifyCRA(t *testing.T) {
	sig := CRASignature("secret", "challenge")
	tests := []struct {
		key, challenge, sig string
		want                bool
	}{
		{"secret", "challenge", sig, true},
		{"Secret", "challenge", sig, false},
		{"secret", "challengE", sig, false},
		{"secret", "challenge", sig[:len(sig)-1], false},
		{"secret", "challenge", "", false},
		{"secret", "challenge", strings.TrimRight(sig, "="), false},
	}
	for _, tt := range tests {
		if got := VerifyCRA(tt.key, tt.challenge, tt.sig); got != tt.want {
			t.Errorf("VerifyCRA(%q, %q, %q) = %v, want %v", tt.key, tt.challenge, tt.sig, got, tt.want)
		}
	}
}

func TestCRAChallenge(t *testing.T) {
	// The challenge Crossbar 20.8.2 sent in crossbar-examples'
	// authentication/wampcra/function README.
	want := `{"authid": "client1", "authrole": "frontend", "authmethod": "wampcra", "authprovider": "function", "session": 5140915082691617, "nonce": "4YoonXhegaqWtY4JLJrEzvgiVCtWsnaDPgDCxzsbkFOcWJi3z/nRMyhKOj/vas0R", "timestamp": "2020-08-18T20:47:37.395Z"}`
	ts := time.Date(2020, 8, 18, 22, 47, 37, 395_999_999, time.FixedZone("CEST", 2*3600))
	got := CRAChallenge(5140915082691617, "client1", "frontend", "function",
		"4YoonXhegaqWtY4JLJrEzvgiVCtWsnaDPgDCxzsbkFOcWJi3z/nRMyhKOj/vas0R", ts)
	if got != want {
		t.Errorf("CRAChallenge =\n%s\nwant\n%s", got, want)
	}
}

func TestPyJSONString(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", `""`},
		{"plain", `"plain"`},
		{`a"b\c`, `"a\"b\\c"`},
		{"\b\f\n\r\t", `"\b\f\n\r\t"`},
		{"\x00\x01\x1f\x7f", `"\u0000\u0001\u001f` + "\x7f" + `"`},
		{"é€😀\u2028<>&", "\"é€😀\u2028<>&\""},
		{"bad\xffutf8", "\"bad\uFFFDutf8\""},
	}
	for _, tt := range tests {
		var b strings.Builder
		writePyJSONString(&b, tt.in)
		if b.String() != tt.want {
			t.Errorf("writePyJSONString(%q) = %q, want %q", tt.in, b.String(), tt.want)
		}
	}
}

func TestNewCRANonce(t *testing.T) {
	a, b := NewCRANonce(), NewCRANonce()
	if len(a) != 64 || a == b {
		t.Errorf("nonces %q, %q: want 64 characters, distinct", a, b)
	}
}

func TestVerifyTicket(t *testing.T) {
	tests := []struct {
		want, got string
		ok        bool
	}{
		{"secret!!!", "secret!!!", true},
		{"secret!!!", "secret!!", false},
		{"secret!!!", "", false},
		{"", "", true},
	}
	for _, tt := range tests {
		if VerifyTicket(tt.want, tt.got) != tt.ok {
			t.Errorf("VerifyTicket(%q, %q) = %v", tt.want, tt.got, !tt.ok)
		}
	}
	a, err := Ticket{Ticket: "secret!!!"}.Respond(context.Background(), &wamp.Challenge{AuthMethod: "ticket", Extra: wamp.Dict{}})
	if err != nil || a.Signature != "secret!!!" || a.Extra == nil {
		t.Errorf("Ticket.Respond = %+v, %v", a, err)
	}
}

func BenchmarkCRASignature(b *testing.B) {
	challenge := CRAChallenge(5140915082691617, "client1", "frontend", "function", NewCRANonce(), time.Now())
	b.ReportAllocs()
	for b.Loop() {
		CRASignature(abSecret, challenge)
	}
}

func BenchmarkDeriveCRAKey1000(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		DeriveCRAKey(abSecret, "salt123", 1000, 32)
	}
}
