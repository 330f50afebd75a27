package wamp

// ValidURI reports whether u follows the spec's URI rules ("Identifiers",
// "URIs"). It is safe for concurrent use and does not allocate.
//
// A URI is a sequence of components separated by '.'. With strict false
// (the loose rule, which routers apply by default) a component is any
// non-empty sequence of bytes other than whitespace, '.' and '#'. With strict
// true a component is a non-empty sequence of [0-9a-z_]. With
// allowEmptyComponents true, components may be empty, as in the wildcard
// pattern "com..update" (and so may the whole URI, as the spec's regular
// expression for patterns admits).
func ValidURI(u URI, strict, allowEmptyComponents bool) bool {
	n := 0 // length of the current component
	for i := 0; i < len(u); i++ {
		c := u[i]
		if c == '.' {
			if n == 0 && !allowEmptyComponents {
				return false
			}
			n = 0
			continue
		}
		if strict {
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_') {
				return false
			}
		} else if c == '#' || isSpace(c) {
			return false
		}
		n++
	}
	return n > 0 || allowEmptyComponents
}

// isSpace reports whether c is ASCII whitespace (the \s of the spec's
// regular expressions).
func isSpace(c byte) bool {
	switch c {
	case ' ', '\t', '\n', '\v', '\f', '\r':
		return true
	}
	return false
}
