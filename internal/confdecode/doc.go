// Package confdecode reads the JSON configuration files of edgewamp's
// binaries (edge-agent, sensorbridge) with one set of rules and one quality
// of error message.
//
// A file is parsed by wamp.ParseJSON into the value model (Dict, List,
// string, int64, uint64, float64, bool, nil) and mapped onto the program's
// structs by hand-written fill functions, one line per key:
//
//	err := confdecode.Decode(data, func(o *confdecode.Object) {
//		o.Str("realm", &c.Realm)
//		o.Duration("shutdown_timeout", &c.ShutdownTimeout)
//		o.Object("log", func(l *confdecode.Object) { l.Str("level", &c.Log.Level) })
//	})
//
// No reflection and no encoding/json, so that a size-bound binary links
// neither for its configuration. The rules, the same for every key: an
// absent key and a null leave the field at its zero value (its default); a
// value of the wrong type, an unknown key, a bad duration, an integer out of
// range and a key given twice in one object are errors that name the key's
// path (sensors[1].gpio.line), its line and column in the file, and the
// problem: for a wrong type the value found, for an unknown key the keys
// known there. The first problem met is reported, in the order the keys are
// read (an object's unknown keys after its known ones).
package confdecode
