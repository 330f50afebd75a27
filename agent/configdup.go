package agent

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"

	"github.com/edgewamp/edgewamp/wamp"
)

// duplicateKey reports the first key that appears twice in one object of
// data, a document wamp.ParseJSON has accepted (it keeps the last of
// repeated keys, which in a configuration file hides a mistake: two
// "interval" keys in one sensor, say). The error names the key's path and
// the line and column of its second appearance.
//
// It scans the bytes without building values, relying on data being valid
// JSON: it tracks only the open objects and lists, and the keys seen in
// each open object.
func duplicateKey(data []byte) error {
	type frame struct {
		keys  map[string]bool // nil for a list
		key   string          // the object's current key
		index int             // the list's current index
	}
	var stack []frame
	expectKey := false // inside an object, before a key
	for i := 0; i < len(data); i++ {
		switch c := data[i]; c {
		case '{':
			stack = append(stack, frame{keys: map[string]bool{}})
			expectKey = true
		case '[':
			stack = append(stack, frame{})
		case '}', ']':
			stack = stack[:len(stack)-1]
			expectKey = false
		case ',':
			if top := &stack[len(stack)-1]; top.keys == nil {
				top.index++
			} else {
				expectKey = true
			}
		case '"':
			start := i
			for i++; data[i] != '"'; i++ {
				if data[i] == '\\' {
					i++
				}
			}
			if !expectKey {
				continue
			}
			expectKey = false
			top := &stack[len(stack)-1]
			top.key = keyText(data[start : i+1])
			if top.keys[top.key] {
				var path []string
				for _, f := range stack {
					switch {
					case f.keys == nil && len(path) == 0:
						path = append(path, "["+strconv.Itoa(f.index)+"]")
					case f.keys == nil:
						path[len(path)-1] += "[" + strconv.Itoa(f.index) + "]"
					default:
						path = append(path, f.key)
					}
				}
				return fmt.Errorf("%s: %s: duplicate key (each key may appear once per object)",
					position(data, start), strings.Join(path, "."))
			}
			top.keys[top.key] = true
		}
	}
	return nil
}

// keyText is the text of a JSON string literal (quotes included) as
// wamp.ParseJSON reads it, escapes decoded.
func keyText(lit []byte) string {
	if bytes.IndexByte(lit, '\\') < 0 {
		return string(lit[1 : len(lit)-1])
	}
	if v, err := wamp.ParseJSON(lit); err == nil {
		if s, ok := v.(string); ok {
			return s
		}
	}
	return string(lit) // a string ParseJSON reads as binary: compared as written
}
