package agent

import (
	"strings"
	"testing"
	"time"
)

func TestLoadFullExample(t *testing.T) {
	cfg, err := Load("testdata/full.json")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Router != "rs://192.168.1.10:8080" || cfg.Realm != "home" || cfg.Auth.AuthID != "pi-kitchen" || cfg.Auth.Ticket != "s3cret" {
		t.Errorf("connection keys: %+v", cfg)
	}
	if cfg.Reconnect.MinBackoff.std() != 500*time.Millisecond || cfg.Reconnect.MaxBackoff.std() != 30*time.Second {
		t.Errorf("reconnect: %+v", cfg.Reconnect)
	}
	if len(cfg.Sensors) != 5 || len(cfg.Actuators) != 4 {
		t.Fatalf("%d sensors, %d actuators", len(cfg.Sensors), len(cfg.Actuators))
	}
	s := cfg.Sensors[0]
	if *s.Scale != 0.001 || s.Deadband != 0.5 || !s.OnChange || s.Poll.std() != 5*time.Second || cfg.topic(&s) != "home.kitchen.cpu_temp" {
		t.Errorf("sensor 0: %+v", s)
	}
	if g := cfg.Sensors[3].GPIO; *g.Line != 17 || !g.ActiveLow || g.Debounce.std() != 10*time.Millisecond {
		t.Errorf("gpio: %+v", g)
	}
	if set, get := cfg.procedures(&cfg.Actuators[0]); set != "home.kitchen.led.set" || get != "home.kitchen.led.get" {
		t.Errorf("led procedures %s %s", set, get)
	}
	if set, get := cfg.procedures(&cfg.Actuators[2]); set != "home.kitchen.service.restart" || get != "home.kitchen.service.restart.get" {
		t.Errorf("service procedures %s %s", set, get)
	}
	if cfg.statusProcedure() != "home.kitchen.status" {
		t.Errorf("status %s", cfg.statusProcedure())
	}
}

func TestDefaults(t *testing.T) {
	cfg, err := Parse(strings.NewReader(`{"sensors":[{"name":"t","kind":"simulated","interval":"1s"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.statusProcedure() != "agent.status" || cfg.topic(&cfg.Sensors[0]) != "agent.t" {
		t.Errorf("defaults: %s %s", cfg.statusProcedure(), cfg.topic(&cfg.Sensors[0]))
	}
	cfg, err = DemoConfig(DefaultDemoName)
	if err != nil {
		t.Fatal(err)
	}
	if err := cfg.Validate(); err != nil {
		t.Errorf("demo config: %v", err)
	}
}

func TestParseErrors(t *testing.T) {
	const sim = `{"name":"t","kind":"simulated","interval":"1s"}`
	tests := []struct {
		name, json string
		want       string // substring of the error: the key and the problem
	}{
		{"syntax", `{"router": }`, "line 1"},
		{"unknown top key", `{"routr": "rs://h:1"}`, `routr: unknown key`},
		{"unknown nested key", `{"log": {"lvl": "debug"}}`, `log.lvl: unknown key`},
		{"unknown sensor key", `{"sensors":[{"name":"t","kind":"simulated","interval":"1s","intervall":"2s"}]}`, `sensors[0].intervall: unknown key`},
		{"unknown gpio key", `{"sensors":[{"name":"d","kind":"gpio","on_change":true,"gpio":{"line":1,"pin":2}}]}`, `sensors[0].gpio.pin: unknown key`},
		{"unknown arg key", `{"actuators":[{"name":"c","kind":"command","argv":["/bin/true"],"args":[{"type":"int","maximum":3}]}]}`, `actuators[0].args[0].maximum: unknown key`},
		{"unknown auth key", `{"auth":{"password":"x"}}`, `auth.password: unknown key`},
		{"wrong type", `{"offline_queue": "many"}`, `offline_queue`},
		{"bad duration", `{"reconnect":{"min_backoff":"soon"}}`, `bad duration "soon"`},
		{"duration number", `{"shutdown_timeout": 5}`, `duration string`},
		{"bad router", `{"router": "localhost"}`, `router: invalid URL`},
		{"bad realm", `{"realm": "a b"}`, `realm: invalid`},
		{"bad prefix", `{"prefix": "a..b "}`, `prefix: invalid`},
		{"bad status procedure", `{"status_procedure": "x y"}`, `status_procedure: invalid`},
		{"negative queue", `{"offline_queue": -1}`, `offline_queue: must not be negative`},
		{"backoff order", `{"reconnect":{"min_backoff":"10s","max_backoff":"1s"}}`, `reconnect.max_backoff`},
		{"log level", `{"log":{"level":"loud"}}`, `log.level: unknown level "loud"`},
		{"log format", `{"log":{"format":"xml"}}`, `log.format: unknown format "xml"`},
		{"sensor no name", `{"sensors":[{"kind":"simulated","interval":"1s"}]}`, `sensors[0]: name:`},
		{"sensor bad name", `{"sensors":[{"name":"a.b","kind":"simulated","interval":"1s"}]}`, `name: "a.b" is not a valid name`},
		{"sensor no kind", `{"sensors":[{"name":"t","interval":"1s"}]}`, `sensors[0] ("t"): kind: required`},
		{"sensor bad kind", `{"sensors":[{"name":"t","kind":"laser","interval":"1s"}]}`, `kind: unknown "laser"`},
		{"sensor no interval", `{"sensors":[{"name":"t","kind":"simulated"}]}`, `interval: required unless on_change`},
		{"deadband without on_change", `{"sensors":[{"name":"t","kind":"simulated","interval":"1s","deadband":1}]}`, `deadband: only applies with on_change`},
		{"negative deadband", `{"sensors":[{"name":"t","kind":"simulated","on_change":true,"deadband":-1}]}`, `deadband: must not be negative`},
		{"bad topic", `{"sensors":[{"name":"t","kind":"simulated","interval":"1s","topic":"a b"}]}`, `topic: invalid URI`},
		{"file no path", `{"sensors":[{"name":"t","kind":"file","interval":"1s"}]}`, `path: required`},
		{"file relative path", `{"sensors":[{"name":"t","kind":"file","interval":"1s","path":"temp"}]}`, `path: "temp" is not an absolute path`},
		{"key of another kind", `{"sensors":[{"name":"t","kind":"file","interval":"1s","path":"/x","argv":["/bin/echo"]}]}`, `argv: does not apply to kind "file"`},
		{"command no argv", `{"sensors":[{"name":"t","kind":"command","interval":"1s"}]}`, `argv: required`},
		{"command relative", `{"sensors":[{"name":"t","kind":"command","interval":"1s","argv":["echo","1"]}]}`, `must be an absolute path`},
		{"bad parse", `{"sensors":[{"name":"t","kind":"command","interval":"1s","argv":["/bin/echo"],"parse":"hex"}]}`, `parse: unknown "hex"`},
		{"string with scale", `{"sensors":[{"name":"t","kind":"command","interval":"1s","argv":["/bin/echo"],"parse":"string","scale":2}]}`, `parse: scale, offset and deadband`},
		{"gpio missing", `{"sensors":[{"name":"t","kind":"gpio","on_change":true}]}`, `gpio: required`},
		{"gpio no line", `{"sensors":[{"name":"t","kind":"gpio","on_change":true,"gpio":{}}]}`, `gpio.line: required`},
		{"gpio bad edge", `{"sensors":[{"name":"t","kind":"gpio","on_change":true,"gpio":{"line":1,"edge":"up"}}]}`, `gpio.edge: unknown "up"`},
		{"gpio bad bias", `{"sensors":[{"name":"t","kind":"gpio","on_change":true,"gpio":{"line":1,"bias":"strong"}}]}`, `gpio.bias: unknown "strong"`},
		{"gpio input drive", `{"sensors":[{"name":"t","kind":"gpio","on_change":true,"gpio":{"line":1,"drive":"open-drain"}}]}`, `gpio.drive: applies to outputs only`},
		{"gpio output edge", `{"actuators":[{"name":"r","kind":"gpio","gpio":{"line":1,"edge":"both"}}]}`, `gpio.edge: applies to inputs only`},
		{"gpio output initial", `{"actuators":[{"name":"r","kind":"gpio","gpio":{"line":1,"initial":2}}]}`, `gpio.initial: want 0 or 1`},
		{"gpio negative line", `{"actuators":[{"name":"r","kind":"gpio","gpio":{"line":-1}}]}`, `gpio.line`},
		{"duplicate sensor", `{"sensors":[` + sim + `,` + sim + `]}`, `duplicate sensor name`},
		{"same topic", `{"sensors":[{"name":"a","kind":"simulated","interval":"1s","topic":"x"},{"name":"b","kind":"simulated","interval":"1s","topic":"x"}]}`, `sensors[1] ("b"): topic:`},
		{"actuator no kind", `{"actuators":[{"name":"a"}]}`, `actuators[0] ("a"): kind: required`},
		{"actuator bad procedure", `{"actuators":[{"name":"a","kind":"simulated","procedure":"x y"}]}`, `procedure: invalid URI`},
		{"actuator clashes status", `{"actuators":[{"name":"a","kind":"simulated","procedure":"agent.status"}]}`, `procedure: "agent.status" is also used by status_procedure`},
		{"file actuator no args", `{"actuators":[{"name":"led","kind":"file","path":"/x"}]}`, `args: a file actuator takes exactly one argument`},
		{"file actuator unbounded", `{"actuators":[{"name":"led","kind":"file","path":"/x","args":[{"type":"int"}]}]}`, `needs enum or min and max`},
		{"file actuator free string", `{"actuators":[{"name":"led","kind":"file","path":"/x","args":[{"type":"string"}]}]}`, `args[0].enum`},
		{"args on simulated", `{"actuators":[{"name":"a","kind":"simulated","args":[{"type":"int"}]}]}`, `args: does not apply to kind "simulated"`},
		{"arg type", `{"actuators":[{"name":"c","kind":"command","argv":["/bin/true"],"args":[{"type":"float"}]}]}`, `args[0].type: unknown "float"`},
		{"arg no type", `{"actuators":[{"name":"c","kind":"command","argv":["/bin/true"],"args":[{}]}]}`, `args[0].type: required`},
		{"arg min max", `{"actuators":[{"name":"c","kind":"command","argv":["/bin/true"],"args":[{"type":"int","min":5,"max":1}]}]}`, `min (5) is above max (1)`},
		{"arg range on string", `{"actuators":[{"name":"c","kind":"command","argv":["/bin/true"],"args":[{"type":"string","min":1}]}]}`, `min/max: apply to int and number`},
		{"arg enum type", `{"actuators":[{"name":"c","kind":"command","argv":["/bin/true"],"args":[{"type":"int","enum":[1,"two"]}]}]}`, `args[0].enum[1]: want an integer`},
		{"arg max_len", `{"actuators":[{"name":"c","kind":"command","argv":["/bin/true"],"args":[{"type":"int","max_len":3}]}]}`, `max_len: applies to strings`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := Parse(strings.NewReader(tt.json))
			if err == nil {
				t.Fatalf("Parse(%s) = %+v, want an error containing %q", tt.json, cfg, tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Parse(%s):\n got %v\nwant it to contain %q", tt.json, err, tt.want)
			}
		})
	}
}

func TestLoadMissingFile(t *testing.T) {
	if _, err := Load(t.TempDir() + "/none.json"); err == nil || !strings.Contains(err.Error(), "none.json") {
		t.Errorf("Load(missing) = %v", err)
	}
}
