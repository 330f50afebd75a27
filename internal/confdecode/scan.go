package confdecode

import (
	"bytes"
	"strconv"
	"strings"

	"github.com/edgewamp/edgewamp/wamp"
)

// walkKeys calls key for every object key of data, a document
// wamp.ParseJSON has accepted, in the order written: with the key's path
// (a.b[1].c), the keys seen before it in its object, and the offset of its
// opening quote; it stops when key returns false. It scans the bytes without
// building values, relying on data being valid JSON: it tracks only the
// open objects and lists.
func walkKeys(data []byte, key func(path string, seen map[string]bool, name string, off int) bool) {
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
			var path strings.Builder
			for _, f := range stack {
				switch {
				case f.keys == nil:
					path.WriteString("[" + strconv.Itoa(f.index) + "]")
				case path.Len() > 0:
					path.WriteString("." + f.key)
				default:
					path.WriteString(f.key)
				}
			}
			if !key(path.String(), top.keys, top.key, start) {
				return
			}
			top.keys[top.key] = true
		}
	}
}

// duplicateKey reports the first key that appears twice in one object of
// data, a document wamp.ParseJSON has accepted (it keeps the last of
// repeated keys, which in a configuration file hides a mistake: two
// "interval" keys in one sensor, say), at its second appearance.
func duplicateKey(data []byte) error {
	var dup *Error
	walkKeys(data, func(path string, seen map[string]bool, name string, off int) bool {
		if !seen[name] {
			return true
		}
		line, col := position(data, off)
		dup = &Error{Line: line, Column: col, Path: path, Problem: "duplicate key (each key may appear once per object)"}
		return false
	})
	if dup == nil {
		return nil
	}
	return dup
}

// locate returns the line and column of the key path names in data, or of
// the nearest key above it (a list element has no key of its own); 0, 0
// when there is none.
func locate(data []byte, path string) (line, col int) {
	best, off := -1, 0
	walkKeys(data, func(p string, _ map[string]bool, _ string, o int) bool {
		if p == path || strings.HasPrefix(path, p+"[") || strings.HasPrefix(path, p+".") {
			if len(p) > best {
				best, off = len(p), o
			}
		}
		return p != path
	})
	if best < 0 {
		return 0, 0
	}
	return position(data, off)
}

// position returns the line and column (in bytes, both from 1) of offset
// off in data.
func position(data []byte, off int) (line, col int) {
	off = min(off, len(data))
	line = 1 + bytes.Count(data[:off], []byte("\n"))
	col = off - bytes.LastIndexByte(data[:off], '\n')
	return line, col
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
