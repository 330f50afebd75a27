package e2ee

import "testing"

// FuzzDecodePlain feeds the parser of an opened box (what a peer holding
// the key sealed) with arbitrary bytes: an error or a payload, never a panic.
func FuzzDecodePlain(f *testing.F) {
	f.Add([]byte(`{"uri": "a.b", "args": [1, "x"], "kwargs": {"k": true}}`))
	f.Add([]byte(`{"uri": "a.c", "args": null}`))
	f.Add([]byte(`[1]`))
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := decodePlain("a.b", b)
		if err != nil && (p.Args != nil || p.Kwargs != nil) {
			t.Fatalf("payload %v with error %v", p, err)
		}
	})
}
