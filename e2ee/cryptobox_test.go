package e2ee_test

import (
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/edgewamp/edgewamp/e2ee"
	"github.com/edgewamp/edgewamp/wamp"
)

// cryptobox runs testdata/cryptobox_peer.py (AutobahnPython's cryptobox
// KeyRing) with Debian's interpreter, or skips without it.
func cryptobox(t *testing.T, args ...string) string {
	t.Helper()
	const python = "/usr/bin/python3"
	if _, err := os.Stat(python); err != nil {
		t.Skip("no " + python)
	}
	if err := exec.Command(python, "-c", "import autobahn.wamp.cryptobox, nacl").Run(); err != nil {
		if os.Getenv("EDGEWAMP_INTEROP") != "" || os.Getenv("CI") == "true" {
			t.Fatalf("python3-autobahn and python3-nacl needed: %v", err)
		}
		t.Skip("python3-autobahn or python3-nacl missing")
	}
	out, err := exec.Command(python, append([]string{"testdata/cryptobox_peer.py"}, args...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("cryptobox_peer %v: %v\n%s", args, err, out)
	}
	return strings.TrimSpace(string(out))
}

// TestCryptoboxInterop: a payload AutobahnPython's cryptobox seals opens
// here, and one sealed here opens there, with the key given as one
// Curve25519 private key (base64), as cryptobox's KeyRing.set_key takes it.
func TestCryptoboxInterop(t *testing.T) {
	priv := make([]byte, 32)
	for i := range priv {
		priv[i] = byte(i*7 + 1)
	}
	keyB64 := base64.StdEncoding.EncodeToString(priv)
	k, err := e2ee.CryptoboxKey("site", priv)
	if err != nil {
		t.Fatal(err)
	}
	var ring e2ee.Keyring
	ring.Set("sensor.", k)
	const uri = "sensor.temp"

	t.Run("autobahn seals, edgewamp opens", func(t *testing.T) {
		f := strings.Fields(cryptobox(t, "seal", keyB64, uri))
		if len(f) != 3 || f[0] != "cryptobox" || f[1] != "json" {
			t.Fatalf("cryptobox said %q", f)
		}
		b, _ := hex.DecodeString(f[2])
		p, err := ring.Open(uri, wamp.Payload{Args: wamp.List{b}},
			wamp.Dict{"ppt_scheme": e2ee.Scheme, "ppt_serializer": "json", "ppt_cipher": e2ee.Cipher})
		if err != nil || fmt.Sprint(p.Args, p.Kwargs) != "[21.5 celsius] map[sensor:7]" {
			t.Fatalf("Open: %v %v", p, err)
		}
	})
	t.Run("edgewamp seals, autobahn opens", func(t *testing.T) {
		sealed, _, err := ring.Seal(uri, wamp.Payload{Args: wamp.List{19.25, "celsius"}, Kwargs: wamp.Dict{"sensor": 3}})
		if err != nil {
			t.Fatal(err)
		}
		got := cryptobox(t, "open", keyB64, uri, hex.EncodeToString(sealed.Args[0].([]byte)))
		if want := `{"args": [19.25, "celsius"], "kwargs": {"sensor": 3}, "uri": "sensor.temp"}`; got != want {
			t.Fatalf("cryptobox opened %s, want %s", got, want)
		}
	})
}
