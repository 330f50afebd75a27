package uplink

import "github.com/edgewamp/edgewamp/wamp"

// pptOptions returns the payload passthru options (ppt_*) of an event's
// or invocation's details, or of a journal record's options, nil when
// there are none: the uplink forwards a passthru payload (e.g. an end-to-
// end encrypted reading, which it cannot read) with them, untouched.
func pptOptions(d wamp.Dict) wamp.Dict {
	if _, ok := d["ppt_scheme"]; !ok {
		return nil
	}
	ppt := wamp.Dict{}
	for _, k := range [...]string{"ppt_scheme", "ppt_serializer", "ppt_cipher", "ppt_keyid"} {
		if v, ok := d[k]; ok {
			ppt[k] = v
		}
	}
	return ppt
}
