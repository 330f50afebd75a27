package auth

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/edgewamp/edgewamp/wamp"
)

// autobahnPython returns the Python interpreter that has AutobahnPython with
// cryptosign support. Without one the test fails when CI=true or
// EDGEWAMP_INTEROP=1, and is skipped otherwise.
func autobahnPython(t *testing.T) string {
	t.Helper()
	py := "/usr/bin/python3" // Debian's python3-autobahn lives there, not in a pyenv or venv
	if _, err := os.Stat(py); err != nil {
		py = "python3"
	}
	check := exec.Command(py, "-c", "import autobahn.wamp.cryptosign as c, txaio, nacl; assert c.HAS_CRYPTOSIGN")
	if out, err := check.CombinedOutput(); err != nil {
		msg := "AutobahnPython with cryptosign not available (install python3-autobahn, e.g. scripts/install-peers.sh): " +
			err.Error() + ": " + string(bytes.TrimSpace(out))
		if os.Getenv("CI") == "true" || os.Getenv("EDGEWAMP_INTEROP") == "1" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return py
}

type abWCSCase struct {
	Key       string `json:"key"`
	Challenge string `json:"challenge"`
}

type abDeriveCase struct {
	Secret     string `json:"secret"`
	Salt       string `json:"salt"`
	Iterations int    `json:"iterations"`
	KeyLen     int    `json:"keylen"`
}

type abCRAClientCase struct {
	Secret string    `json:"secret"`
	Extra  wamp.Dict `json:"extra"`
}

type abCryptosignCase struct {
	Seed      string `json:"seed"`
	Challenge string `json:"challenge"`
	ChannelID string `json:"channel_id,omitempty"`
}

type abCRAChallengeCase struct {
	Session      uint64 `json:"session"`
	AuthID       string `json:"authid"`
	AuthRole     string `json:"authrole"`
	AuthProvider string `json:"authprovider"`
	Nonce        string `json:"nonce"`
	UnixMicro    int64  `json:"unix_us"`
}

type abInput struct {
	WCS          []abWCSCase          `json:"wcs"`
	Derive       []abDeriveCase       `json:"derive"`
	CRAClient    []abCRAClientCase    `json:"cra_client"`
	Cryptosign   []abCryptosignCase   `json:"cryptosign"`
	KeyFiles     []string             `json:"keyfiles"`
	CRAChallenge []abCRAChallengeCase `json:"cra_challenge"`
}

type abOutput struct {
	WCS        []string `json:"wcs"`
	Derive     []string `json:"derive"`
	CRAClient  []string `json:"cra_client"`
	Cryptosign []struct {
		PubKey    string `json:"pubkey"`
		Signature string `json:"signature"`
	} `json:"cryptosign"`
	KeyFiles     []string `json:"keyfiles"`
	CRAChallenge []string `json:"cra_challenge"`
}

// abString returns a random string mixing ASCII, JSON specials, control
// characters and multi-byte runes (always valid UTF-8, as Python strings are).
func abString(r *rand.Rand, max int) string {
	pool := []rune("abcXYZ019 _-+/=\"\\\n\t\x00\x01\x1f\x7féß€😀\u2028")
	n := r.IntN(max + 1)
	out := make([]rune, n)
	for i := range out {
		out[i] = pool[r.IntN(len(pool))]
	}
	return string(out)
}

func abHex(r *rand.Rand, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return hex.EncodeToString(b)
}

// TestAutobahnCrossCheck computes signatures, derived keys, key files and
// WAMP-CRA challenges with AutobahnPython's own functions
// (testdata/autobahn_vectors.py) for fixed pseudo-random inputs and compares
// them byte for byte with this package's.
func TestAutobahnCrossCheck(t *testing.T) {
	py := autobahnPython(t)
	r := rand.New(rand.NewPCG(2026, 11))

	var in abInput
	in.WCS = append(in.WCS, abWCSCase{abSecret, "[1, 2, 3]"}, abWCSCase{"", ""})
	in.Derive = append(in.Derive, abDeriveCase{abSecret, "salt123", 1000, 32}, abDeriveCase{"", "", 1, 1})
	for range 24 {
		in.WCS = append(in.WCS, abWCSCase{abString(r, 40), abString(r, 300)})
		in.Derive = append(in.Derive, abDeriveCase{abString(r, 20), abString(r, 20), 1 + r.IntN(3000), 1 + r.IntN(80)})
		salt := abString(r, 16)
		in.CRAClient = append(in.CRAClient,
			abCRAClientCase{abString(r, 20), wamp.Dict{"challenge": abString(r, 200)}},
			abCRAClientCase{abString(r, 20), wamp.Dict{"challenge": abString(r, 200), "salt": salt,
				"iterations": 1 + r.IntN(2000), "keylen": 1 + r.IntN(64)}})
		c := abCryptosignCase{Seed: abHex(r, 32), Challenge: abHex(r, 32)}
		if r.IntN(2) == 0 {
			c.ChannelID = abHex(r, 32)
		}
		in.Cryptosign = append(in.Cryptosign, c)
		in.CRAChallenge = append(in.CRAChallenge, abCRAChallengeCase{
			Session: 1 + r.Uint64N(uint64(wamp.MaxID)), AuthID: abString(r, 20), AuthRole: abString(r, 10),
			AuthProvider: abString(r, 10), Nonce: NewCRANonce(),
			UnixMicro: r.Int64N(4102444800_000000), // before 2100
		})
	}
	for _, v := range cryptosignVectors {
		in.Cryptosign = append(in.Cryptosign, abCryptosignCase{v.privateKey, v.challenge, v.channelID})
	}
	dir := t.TempDir()
	var keys []ed25519.PrivateKey
	for i := range 3 {
		k := ed25519.NewKeyFromSeed(mustHex(t, abHex(r, 32)))
		data, err := MarshalCryptosignKey(k)
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, "key"+string(rune('0'+i)))
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		keys = append(keys, k)
		in.KeyFiles = append(in.KeyFiles, p)
	}

	stdin, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, py, filepath.Join("testdata", "autobahn_vectors.py"))
	cmd.Stdin = bytes.NewReader(stdin)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.Output()
	if err != nil {
		t.Fatalf("autobahn_vectors.py: %v\n%s", err, stderr.Bytes())
	}
	var out abOutput
	if err := json.Unmarshal(stdout, &out); err != nil {
		t.Fatalf("decoding the script's output: %v\n%s", err, stdout)
	}
	if len(out.WCS) != len(in.WCS) || len(out.Derive) != len(in.Derive) || len(out.CRAClient) != len(in.CRAClient) ||
		len(out.Cryptosign) != len(in.Cryptosign) || len(out.KeyFiles) != len(in.KeyFiles) ||
		len(out.CRAChallenge) != len(in.CRAChallenge) {
		t.Fatalf("the script answered a different number of cases: %s", stdout)
	}

	for i, c := range in.WCS {
		if got := CRASignature(c.Key, c.Challenge); got != out.WCS[i] {
			t.Errorf("compute_wcs(%q, %q) = %q, CRASignature = %q", c.Key, c.Challenge, out.WCS[i], got)
		}
	}
	for i, c := range in.Derive {
		got, err := DeriveCRAKey(c.Secret, c.Salt, c.Iterations, c.KeyLen)
		if err != nil || got != out.Derive[i] {
			t.Errorf("derive_key(%q, %q, %d, %d) = %q, DeriveCRAKey = %q, %v", c.Secret, c.Salt, c.Iterations, c.KeyLen, out.Derive[i], got, err)
		}
	}
	for i, c := range in.CRAClient {
		a, err := WAMPCRA{Secret: c.Secret}.Respond(context.Background(), &wamp.Challenge{AuthMethod: "wampcra", Extra: c.Extra})
		if err != nil || a.Signature != out.CRAClient[i] {
			t.Errorf("AuthWampCra.on_challenge(%v) = %q, WAMPCRA.Respond = %+v, %v", c.Extra, out.CRAClient[i], a, err)
		}
	}
	for i, c := range in.Cryptosign {
		key := ed25519.NewKeyFromSeed(mustHex(t, c.Seed))
		if got := CryptosignPublicKey(key); got != out.Cryptosign[i].PubKey {
			t.Errorf("case %d: public_key() = %q, CryptosignPublicKey = %q", i, out.Cryptosign[i].PubKey, got)
		}
		got, err := SignCryptosign(key, mustHex(t, c.Challenge), mustHex(t, c.ChannelID))
		if err != nil || got != out.Cryptosign[i].Signature {
			t.Errorf("case %d: sign_challenge = %q, SignCryptosign = %q, %v", i, out.Cryptosign[i].Signature, got, err)
		}
		pub := key.Public().(ed25519.PublicKey)
		if err := VerifyCryptosign(pub, mustHex(t, c.Challenge), mustHex(t, c.ChannelID), out.Cryptosign[i].Signature); err != nil {
			t.Errorf("case %d: VerifyCryptosign(Autobahn's signature): %v", i, err)
		}
	}
	for i, k := range keys {
		if got := CryptosignPublicKey(k); got != out.KeyFiles[i] {
			t.Errorf("from_keyfile(MarshalCryptosignKey output) public key = %q, want %q", out.KeyFiles[i], got)
		}
	}
	for i, c := range in.CRAChallenge {
		got := CRAChallenge(wamp.ID(c.Session), c.AuthID, c.AuthRole, c.AuthProvider, c.Nonce, time.UnixMicro(c.UnixMicro))
		if got != out.CRAChallenge[i] {
			t.Errorf("Crossbar's challenge\n%q\nCRAChallenge\n%q", out.CRAChallenge[i], got)
		}
	}
	t.Logf("compared with AutobahnPython: %d wcs, %d derive_key, %d wampcra on_challenge, %d cryptosign, %d key files, %d challenge strings",
		len(in.WCS), len(in.Derive), len(in.CRAClient), len(in.Cryptosign), len(in.KeyFiles), len(in.CRAChallenge))
}
