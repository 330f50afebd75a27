package agent

import (
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/edgewamp/edgewamp/wamp"
)

// everyKey sets every key the configuration has to a value other than its
// zero (the values need not make a valid configuration: decodeConfig alone
// reads it).
const everyKey = `{
  "router": "rs://h:1", "realm": "r", "prefix": "p", "status_procedure": "p.s",
  "auth": {"authid": "id", "authrole": "role", "authextra": {"any": [1], "key": null}, "ticket": "t",
           "secret": "s", "cryptosign_key_file": "/k"},
  "reconnect": {"min_backoff": "1ms", "max_backoff": "2m"},
  "offline_queue": 7, "shutdown_timeout": "1.5s",
  "log": {"level": "debug", "format": "json"},
  "sensors": [{"name": "n", "kind": "k", "topic": "t", "unit": "u", "interval": "1s", "on_change": true,
    "deadband": 0.5, "poll": "2s", "path": "/p", "scale": 0.25, "offset": -1e-3, "argv": ["/a", "b"],
    "timeout": "3s", "parse": "string", "base": 1, "amplitude": 18446744073709551615, "period": "1h",
    "gpio": {"chip": "/c", "line": 4294967295, "active_low": true, "bias": "b", "edge": "e",
             "debounce": "4us", "drive": "d", "initial": 1}}],
  "actuators": [{"name": "a", "kind": "k", "procedure": "p", "path": "/p", "argv": ["/a"], "timeout": "1m",
    "gpio": {"line": 5, "chip": "/c", "active_low": true, "bias": "b", "edge": "e", "debounce": "1s",
             "drive": "d", "initial": -1},
    "args": [{"name": "x", "type": "int", "enum": [1, "two", 2.5, null], "min": -1, "max": 1.5, "max_len": 3}]}]
}`

// programOnly are the fields of auth.Credentials that a program sets and
// the configuration file cannot (keys, TLS, custom methods).
var programOnly = map[string]bool{"CryptosignKey": true, "TLS": true, "Custom": true}

func TestDecodeEveryKey(t *testing.T) {
	c, err := decodeConfig([]byte(everyKey))
	if err != nil {
		t.Fatal(err)
	}
	// Every field of every struct is set: a field without a key fails here.
	var walk func(path string, v reflect.Value)
	walk = func(path string, v reflect.Value) {
		if v.IsZero() {
			t.Errorf("%s: not set by any key", path)
			return
		}
		switch v.Kind() {
		case reflect.Pointer:
			walk(path, v.Elem())
		case reflect.Slice:
			if v.Type().Elem().Kind() == reflect.Struct {
				walk(path+"[0]", v.Index(0))
			}
		case reflect.Struct:
			for i := range v.NumField() {
				if f := v.Type().Field(i); f.IsExported() && !programOnly[f.Name] {
					walk(path+"."+f.Name, v.Field(i))
				}
			}
		}
	}
	walk("Config", reflect.ValueOf(c))
	if t.Failed() {
		t.Log("every field must have a key in configdecode.go and be set in everyKey")
	}

	s, a := c.Sensors[0], c.Actuators[0]
	checks := []struct {
		name      string
		got, want any
	}{
		{"auth.authextra", c.Auth.AuthExtra, wamp.Dict{"any": wamp.List{int64(1)}, "key": nil}},
		{"reconnect.max_backoff", c.Reconnect.MaxBackoff.std(), 2 * time.Minute},
		{"offline_queue", c.OfflineQueue, 7},
		{"shutdown_timeout", c.ShutdownTimeout.std(), 1500 * time.Millisecond},
		{"sensors[0].scale", *s.Scale, 0.25},
		{"sensors[0].offset", s.Offset, -0.001},
		{"sensors[0].amplitude", *s.Amplitude, 18446744073709551615.0},
		{"sensors[0].argv", s.Argv, []string{"/a", "b"}},
		{"sensors[0].gpio.line", *s.GPIO.Line, uint32(4294967295)},
		{"sensors[0].gpio.debounce", s.GPIO.Debounce.std(), 4 * time.Microsecond},
		{"actuators[0].gpio.line", *a.GPIO.Line, uint32(5)},
		{"actuators[0].gpio.initial", a.GPIO.Initial, -1},
		{"actuators[0].args[0].enum", a.Args[0].Enum, []any{int64(1), "two", 2.5, nil}},
		{"actuators[0].args[0].max", *a.Args[0].Max, 1.5},
		{"actuators[0].args[0].max_len", a.Args[0].MaxLen, 3},
	}
	for _, ch := range checks {
		if !reflect.DeepEqual(ch.got, ch.want) {
			t.Errorf("%s = %#v, want %#v", ch.name, ch.got, ch.want)
		}
	}
}

func TestDecodeNullAndAbsentAreDefaults(t *testing.T) {
	c, err := Parse(strings.NewReader(`{"router": null, "offline_queue": null, "auth": null, "log": {"level": null},
		"sensors": [{"name": "t", "kind": "simulated", "interval": "1s", "scale": null, "gpio": null, "argv": null}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if c.Router != "" || c.OfflineQueue != 0 || c.hasAuth() || c.Sensors[0].Scale != nil || c.Sensors[0].GPIO != nil || c.Sensors[0].Argv != nil {
		t.Errorf("null should leave the defaults: %+v", c)
	}
	if c, err := Parse(strings.NewReader(`{"offline_queue": 1e3, "log": {}}`)); err != nil || c.OfflineQueue != 1000 {
		t.Errorf("an integral number written 1e3: %v, %+v", err, c)
	}
}

func TestDecodeErrors(t *testing.T) {
	sensor := func(keys string) string {
		return `{"sensors":[{"name":"t","kind":"simulated"` + keys + `}]}`
	}
	actuator := func(keys string) string {
		return `{"actuators":[{"name":"c","kind":"command","argv":["/bin/true"]` + keys + `}]}`
	}
	tests := []struct {
		name, json string
		want       string // the start of the error
		also       string // and a part of it, where the start is not enough
	}{
		// Syntax, with line and column.
		{"syntax", `{"router": }`, "config: line 1, column 12: unexpected '}' at offset 11, expected a value", ""},
		{"syntax line 3", "{\n  \"a\": [1,\n 2 }", "config: line 3, column 4: unexpected '}' at offset 16, expected , or ]", ""},
		{"truncated", "{\"router\": \"rs://h:1\"", "config: line 1, column 22: unexpected end of input, expected , or }", ""},
		{"trailing", `{} {}`, "config: line 1, column 4: unexpected '{' at offset 3, expected end of input", ""},
		{"number too big", `{"offline_queue": 1e999}`, "config: line 1, column ", "number out of range"},
		{"not an object", `["router"]`, "config: want an object, got a list", ""},

		// Unknown keys, at every level.
		{"unknown top", `{"routr": "x"}`, "config: line 1, column 2: routr: unknown key (known: actuators, auth, log, offline_queue, prefix, realm, reconnect, router, sensors, shutdown_timeout, status_procedure, tls)", ""},
		{"unknown auth", `{"auth": {"password": "x"}}`, "config: line 1, column 11: auth.password: unknown key (known: authextra, authid, authrole, cryptosign_key_file, secret, ticket, tls)", ""},
		{"unknown reconnect", `{"reconnect": {"min": "1s"}}`, "config: line 1, column 16: reconnect.min: unknown key (known: max_backoff, min_backoff)", ""},
		{"unknown log", `{"log": {"lvl": "debug"}}`, "config: line 1, column 10: log.lvl: unknown key (known: format, level)", ""},
		{"unknown sensor", sensor(`,"intervall":"1s"`), "config: line 1, column 44: sensors[0].intervall: unknown key (known: amplitude, argv, base, deadband, gpio, interval, kind, name, offset, on_change, parse, path, period, poll, scale, timeout, topic, unit)", ""},
		{"unknown sensor gpio", `{"sensors":[{"gpio":{"pin":2}}]}`, "config: line 1, column 22: sensors[0].gpio.pin: unknown key (known: active_low, bias, chip, debounce, drive, edge, initial, line)", ""},
		{"unknown actuator", actuator(`,"arg":[]`), "config: line 1, column 65: actuators[0].arg: unknown key (known: args, argv, gpio, kind, name, path, procedure, timeout)", ""},
		{"unknown actuator gpio", `{"actuators":[{"gpio":{"line":1,"pull":"up"}}]}`, "config: line 1, column 33: actuators[0].gpio.pull: unknown key (known: active_low, bias, chip, debounce, drive, edge, initial, line)", ""},
		{"unknown arg", actuator(`,"args":[{"type":"int"},{"type":"int","maximum":3}]`), "config: line 1, column 102: actuators[0].args[1].maximum: unknown key (known: enum, max, max_len, min, name, type)", ""},
		{"first unknown in order", `{"zz": 1, "aa": 2}`, "config: line 1, column 11: aa: unknown key", ""},
		{"known before unknown", `{"aa": 1, "realm": 5}`, "config: line 1, column 11: realm: want a string, got 5", ""},

		// Wrong types, one per kind of key.
		{"string", `{"realm": 5}`, "config: line 1, column 2: realm: want a string, got 5", ""},
		{"bool", sensor(`,"on_change":"yes"`), `config: line 1, column 44: sensors[0].on_change: want true or false, got "yes"`, ""},
		{"number", sensor(`,"deadband":"1"`), `config: line 1, column 44: sensors[0].deadband: want a number, got "1"`, ""},
		{"optional number", sensor(`,"scale":true`), "config: line 1, column 44: sensors[0].scale: want a number, got true", ""},
		{"integer", `{"offline_queue": "many"}`, `config: line 1, column 2: offline_queue: want an integer, got "many"`, ""},
		{"integer fraction", `{"offline_queue": 1.5}`, "config: line 1, column 2: offline_queue: want an integer, got 1.5", ""},
		{"duration type", `{"shutdown_timeout": 5}`, `config: line 1, column 2: shutdown_timeout: want a duration string such as "10s", got 5`, ""},
		{"string list", `{"sensors":[{"argv":"/bin/echo"}]}`, `config: line 1, column 14: sensors[0].argv: want a list of strings, got "/bin/echo"`, ""},
		{"string list element", `{"actuators":[{"argv":["/bin/echo",1]}]}`, "config: line 1, column 16: actuators[0].argv[1]: want a string, got 1", ""},
		{"enum", actuator(`,"args":[{"type":"int","enum":1}]`), "config: line 1, column 87: actuators[0].args[0].enum: want a list, got 1", ""},
		{"authextra", `{"auth": {"authextra": []}}`, "config: line 1, column 11: auth.authextra: want an object, got a list", ""},
		{"object", `{"log": "debug"}`, `config: line 1, column 2: log: want an object, got "debug"`, ""},
		{"object list", `{"sensors": {"name": "t"}}`, "config: line 1, column 2: sensors: want a list of objects, got an object", ""},
		{"object list element", `{"actuators": [null]}`, "config: line 1, column 2: actuators[0]: want an object, got null", ""},
		{"long string cut", `{"realm": 1, "log": {"level": 2}}`, "config: line 1, column 2: realm: want a string, got 1", ""},
		{"long value shown cut", `{"offline_queue": "` + strings.Repeat("x", 50) + `"}`, `config: line 1, column 2: offline_queue: want an integer, got "` + strings.Repeat("x", 40) + `"...`, ""},

		// Durations.
		{"bad duration", `{"reconnect":{"min_backoff":"soon"}}`, `config: line 1, column 15: reconnect.min_backoff: bad duration "soon" (want e.g. "500ms", "10s", "1m")`, ""},
		{"duration without unit", sensor(`,"interval":"10"`), `config: line 1, column 44: sensors[0].interval: bad duration "10" (want e.g. "500ms", "10s", "1m")`, ""},
		{"negative duration", `{"shutdown_timeout":"-1s"}`, `config: line 1, column 2: shutdown_timeout: negative duration "-1s"`, ""},
		{"negative gpio duration", `{"sensors":[{"gpio":{"line":1,"debounce":"-5ms"}}]}`, `config: line 1, column 31: sensors[0].gpio.debounce: negative duration "-5ms"`, ""},

		// Integers out of range.
		{"line negative", `{"actuators":[{"gpio":{"line":-1}}]}`, "config: line 1, column 24: actuators[0].gpio.line: -1 is out of range (0 to 4294967295)", ""},
		{"line too big", `{"sensors":[{"gpio":{"line":4294967296}}]}`, "config: line 1, column 22: sensors[0].gpio.line: 4294967296 is out of range (0 to 4294967295)", ""},
		{"line as float too big", `{"sensors":[{"gpio":{"line":1e10}}]}`, "config: line 1, column 22: sensors[0].gpio.line: 10000000000 is out of range (0 to 4294967295)", ""},
		{"int beyond int64", `{"offline_queue": 18446744073709551615}`, "config: line 1, column 2: offline_queue: 18446744073709551615 is out of range", ""},
		{"int float beyond 2^53", `{"offline_queue": 1e300}`, "config: line 1, column 2: offline_queue: 1e+300 is out of range", ""},

		// Duplicate keys (ParseJSON keeps the last; Parse refuses them).
		{"duplicate top", "{\"realm\": \"a\",\n \"realm\": \"b\"}", "config: line 2, column 2: realm: duplicate key (each key may appear once per object)", ""},
		{"duplicate nested", `{"log": {"level": "info", "level": "debug"}}`, "config: line 1, column 27: log.level: duplicate key", ""},
		{"duplicate in list", `{"sensors": [{}, {"a": {"b": 1}, "name": "x", "name": "y"}]}`, "config: line 1, column 47: sensors[1].name: duplicate key", ""},
		{"duplicate escaped", `{"realm": "a", "re\u0061lm": "b"}`, `config: line 1, column 16: realm: duplicate key`, ""},
		{"duplicate in list of lists", `[[{"a": 1, "a": 2}]]`, `config: line 1, column 12: [0][0].a: duplicate key`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := Parse(strings.NewReader(tt.json))
			if err == nil {
				t.Fatalf("Parse(%s) = %+v, want an error %q", tt.json, cfg, tt.want)
			}
			if !strings.HasPrefix(err.Error(), tt.want) || !strings.Contains(err.Error(), tt.also) {
				t.Errorf("Parse(%s):\n got %v\nwant %s", tt.json, err, tt.want)
			}
		})
	}
}

func FuzzParse(f *testing.F) {
	for _, name := range []string{"testdata/full.json", "../cmd/edge-agent/testdata/example.json"} {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(everyKey))
	f.Add([]byte(`{"a": {"b": [1, {"c": 2, "c": 3}]}, "d\"e": "\u0000AAAA"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		cfg, err := Parse(strings.NewReader(string(b)))
		if err == nil && cfg == nil {
			t.Fatal("Parse returned neither a Config nor an error")
		}
	})
}

func TestParseTooLarge(t *testing.T) {
	big := `{"realm": "` + strings.Repeat("x", MaxConfigSize) + `"}`
	if _, err := Parse(strings.NewReader(big)); err == nil || err.Error() != "config: larger than 1048576 bytes" {
		t.Errorf("Parse(%d bytes) = %v", len(big), err)
	}
}

// BenchmarkParse reads the full example configuration (once per start in
// the agent; here to keep the mapping's cost in view).
func BenchmarkParse(b *testing.B) {
	data, err := os.ReadFile("testdata/full.json")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(strings.NewReader(string(data))); err != nil {
			b.Fatal(err)
		}
	}
}
