package confdecode

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// sample is a small configuration, mapped the way the binaries map theirs.
type sample struct {
	Name    string
	Every   time.Duration
	Count   int
	Line    *uint32
	Scale   *float64
	On      bool
	Argv    []string
	Items   []item
	Nested  struct{ Level string }
	Private map[string]any
}

type item struct {
	ID   string
	Rate float64
}

func fillSample(o *Object, s *sample) {
	o.Str("name", &s.Name)
	o.Duration("every", &s.Every)
	o.Int("count", &s.Count)
	o.Uint32Ptr("line", &s.Line)
	o.FloatPtr("scale", &s.Scale)
	o.Bool("on", &s.On)
	o.Strings("argv", &s.Argv)
	o.List("items", func(n int) { s.Items = make([]item, n) }, func(i int, e *Object) {
		e.Str("id", &s.Items[i].ID)
		e.Float("rate", &s.Items[i].Rate)
	})
	o.Object("nested", func(n *Object) { n.Str("level", &s.Nested.Level) })
	o.Dict("private", &s.Private)
}

func TestDecode(t *testing.T) {
	var s sample
	doc := `{"name": "n", "every": "1.5s", "count": 3, "line": 7, "scale": 0.5, "on": true, "argv": ["a", "b"],
		"items": [{"id": "x", "rate": 2}], "nested": {"level": "debug"}, "private": {"k": [1]}, "count": null}`
	// A key given twice is an error even when one is null.
	if err := Decode([]byte(doc), func(o *Object) { fillSample(o, &s) }); err == nil || !strings.Contains(err.Error(), "count: duplicate key") {
		t.Fatalf("duplicate count: %v", err)
	}
	doc = strings.Replace(doc, `, "count": null`, "", 1)
	if err := Decode([]byte(doc), func(o *Object) { fillSample(o, &s) }); err != nil {
		t.Fatal(err)
	}
	if s.Name != "n" || s.Every != 1500*time.Millisecond || s.Count != 3 || *s.Line != 7 || *s.Scale != 0.5 || !s.On ||
		len(s.Argv) != 2 || s.Items[0].ID != "x" || s.Items[0].Rate != 2 || s.Nested.Level != "debug" || s.Private["k"] == nil {
		t.Errorf("decoded %+v", s)
	}
}

func TestDecodeErrors(t *testing.T) {
	tests := []struct{ json, want string }{
		{`{"name": }`, "line 1, column 10: unexpected '}' at offset 9, expected a value"},
		{"{\n  \"items\": [{\"id\": \"a\"},\n {\"id\": \"b\", \"rate\": \"fast\"}]}", `line 3, column 14: items[1].rate: want a number, got "fast"`},
		{`{"nme": "x"}`, "line 1, column 2: nme: unknown key (known: argv, count, every, items, line, name, nested, on, private, scale)"},
		{`{"nested": {"lvl": 1}}`, "line 1, column 13: nested.lvl: unknown key (known: level)"},
		{`{"every": "10"}`, `line 1, column 2: every: bad duration "10" (want e.g. "500ms", "10s", "1m")`},
		{`{"every": 10}`, `line 1, column 2: every: want a duration string such as "10s", got 10`},
		{`{"every": "-1s"}`, `every: negative duration "-1s"`},
		{`{"count": 1.5}`, "count: want an integer, got 1.5"},
		{`{"line": -1}`, "line: -1 is out of range (0 to 4294967295)"},
		{`{"argv": ["a", 2]}`, "line 1, column 2: argv[1]: want a string, got 2"},
		{`{"items": [null]}`, "line 1, column 2: items[0]: want an object, got null"},
		{`{"on": "yes"}`, `on: want true or false, got "yes"`},
		{`{"name": "` + strings.Repeat("x", 50) + `", "count": "` + strings.Repeat("y", 50) + `"}`, `count: want an integer, got "` + strings.Repeat("y", 40) + `"...`},
		{`[1]`, "want an object, got a list"},
		{`{"nested": {"level": "a"}, "nested": {}}`, "line 1, column 28: nested: duplicate key (each key may appear once per object)"},
		{`[[{"a": 1, "a": 2}]]`, "line 1, column 12: [0][0].a: duplicate key"},
		{`{"name": "a", "n\u0061me": "b"}`, "line 1, column 15: name: duplicate key"},
	}
	for _, tt := range tests {
		var s sample
		err := Decode([]byte(tt.json), func(o *Object) { fillSample(o, &s) })
		var ce *Error
		if !errors.As(err, &ce) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Decode(%s):\n got %v\nwant %s", tt.json, err, tt.want)
		}
	}
	if err := Decode(make([]byte, MaxSize+1), func(*Object) {}); err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Errorf("a file over MaxSize: %v", err)
	}
}

// TestFail covers a program's own check through Object.Fail and Text.
func TestFail(t *testing.T) {
	type level string
	var lv level
	err := Decode([]byte(`{"log": {"level": "loud"}}`), func(o *Object) {
		o.Object("log", func(l *Object) {
			Text(l, "level", &lv)
			if lv != "info" {
				l.Fail("level", "want info, got %s", Shown(string(lv)))
			}
		})
	})
	if err == nil || err.Error() != `line 1, column 10: log.level: want info, got "loud"` {
		t.Errorf("got %v", err)
	}
}

func TestDuplicateKeyAllowsRepeatsAcrossObjects(t *testing.T) {
	doc := `{"sensors": [{"name": "a", "x": {"name": 1}}, {"name": "b"}], "name": "c", "s": "\"name\" \\"}`
	if err := duplicateKey([]byte(doc)); err != nil {
		t.Errorf("duplicateKey(%s) = %v, want nil", doc, err)
	}
}
