package agent

import (
	"time"

	"github.com/edgewamp/edgewamp/internal/confdecode"
)

// The configuration file is parsed by wamp.ParseJSON into the value model
// (Dict, List, string, int64, uint64, float64, bool, nil) and mapped onto
// Config by the hand-written functions below: one line per key, so this file
// is the list of the keys the agent reads. No reflection and no
// encoding/json, so the minimal agent links neither for its configuration.
//
// Rules, the same for every key: an absent key and a null leave the field at
// its zero value (its default); a value of the wrong type, an unknown key, a
// bad duration or an integer out of range is an error naming the key's path
// (sensors[1].gpio.line) and the problem. The first problem found is
// reported, in the order the keys are read below (an object's unknown keys
// after its known ones). A key repeated in one object, which ParseJSON would
// let the last one win, is refused before. Errors carry the line and column.

// decodeConfig maps a configuration document onto a Config
// (confdecode.Decode: syntax, repeated keys, types, unknown keys).
func decodeConfig(data []byte) (*Config, error) {
	var c Config
	err := confdecode.Decode(data, func(o *object) {
		o.Str("router", &c.Router)
		o.Str("realm", &c.Realm)
		decodeTLS(o, &c.TLS)
		o.Object("auth", func(a *object) { decodeAuth(a, &c) })
		o.Str("prefix", &c.Prefix)
		o.Str("status_procedure", &c.StatusProcedure)
		o.Object("reconnect", func(r *object) {
			duration(r, "min_backoff", &c.Reconnect.MinBackoff)
			duration(r, "max_backoff", &c.Reconnect.MaxBackoff)
		})
		o.Int("offline_queue", &c.OfflineQueue)
		duration(o, "shutdown_timeout", &c.ShutdownTimeout)
		o.Object("log", func(l *object) {
			l.Str("level", &c.Log.Level)
			l.Str("format", &c.Log.Format)
		})
		o.List("sensors", func(n int) { c.Sensors = make([]SensorConfig, n) }, func(i int, e *object) {
			decodeSensor(e, &c.Sensors[i])
		})
		o.List("actuators", func(n int) { c.Actuators = make([]ActuatorConfig, n) }, func(i int, e *object) {
			decodeActuator(e, &c.Actuators[i])
		})
	})
	if err != nil {
		return nil, err
	}
	return &c, nil
}

// object is one JSON object of the document, read key by key.
type object = confdecode.Object

// duration reads a Duration (a Go duration string).
func duration(o *object, key string, dst *Duration) { o.Duration(key, (*time.Duration)(dst)) }

func decodeAuth(o *object, c *Config) {
	o.Str("authid", &c.Auth.AuthID)
	o.Str("authrole", &c.Auth.AuthRole)
	o.Dict("authextra", &c.Auth.AuthExtra)
	o.Str("ticket", &c.Auth.Ticket)
	o.Str("secret", &c.Auth.Secret)
	o.Str("cryptosign_key_file", &c.Auth.CryptosignKeyFile)
	o.Bool("tls", &c.Auth.TLS)
}

func decodeSensor(o *object, s *SensorConfig) {
	o.Str("name", &s.Name)
	o.Str("kind", &s.Kind)
	o.Str("topic", &s.Topic)
	o.Str("unit", &s.Unit)
	duration(o, "interval", &s.Interval)
	o.Bool("on_change", &s.OnChange)
	o.Float("deadband", &s.Deadband)
	duration(o, "poll", &s.Poll)
	o.Str("path", &s.Path)
	o.FloatPtr("scale", &s.Scale)
	o.Float("offset", &s.Offset)
	o.Strings("argv", &s.Argv)
	duration(o, "timeout", &s.Timeout)
	o.Str("parse", &s.Parse)
	o.Object("gpio", func(g *object) { s.GPIO = decodeGPIO(g) })
	o.FloatPtr("base", &s.Base)
	o.FloatPtr("amplitude", &s.Amplitude)
	duration(o, "period", &s.Period)
}

func decodeGPIO(o *object) *GPIOConfig {
	g := &GPIOConfig{}
	o.Str("chip", &g.Chip)
	o.Uint32Ptr("line", &g.Line)
	o.Bool("active_low", &g.ActiveLow)
	o.Str("bias", &g.Bias)
	o.Str("edge", &g.Edge)
	duration(o, "debounce", &g.Debounce)
	o.Str("drive", &g.Drive)
	o.Int("initial", &g.Initial)
	return g
}

func decodeActuator(o *object, a *ActuatorConfig) {
	o.Str("name", &a.Name)
	o.Str("kind", &a.Kind)
	o.Str("procedure", &a.Procedure)
	o.List("args", func(n int) { a.Args = make([]ArgSpec, n) }, func(i int, e *object) {
		decodeArgSpec(e, &a.Args[i])
	})
	o.Str("path", &a.Path)
	o.Strings("argv", &a.Argv)
	duration(o, "timeout", &a.Timeout)
	o.Object("gpio", func(g *object) { a.GPIO = decodeGPIO(g) })
}

func decodeArgSpec(o *object, s *ArgSpec) {
	o.Str("name", &s.Name)
	o.Str("type", &s.Type)
	o.Values("enum", &s.Enum)
	o.FloatPtr("min", &s.Min)
	o.FloatPtr("max", &s.Max)
	o.Int("max_len", &s.MaxLen)
}
