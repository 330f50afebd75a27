// Package agent turns an edge-agent configuration into a running device
// agent: sensors published as events, actuators registered as procedures and
// a status procedure, all on a reconnecting device client
// ([device.Reconnector]), so that the agent re-joins, re-registers and
// delivers readings queued while offline by itself.
package agent

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/edgewamp/edgewamp/device"
	"github.com/edgewamp/edgewamp/wamp"
)

// Defaults applied to the zero fields of a [Config].
const (
	DefaultRouter          = "rs://127.0.0.1:8080"
	DefaultPrefix          = "agent"
	DefaultPoll            = time.Second
	DefaultCommandTimeout  = 5 * time.Second
	DefaultShutdownTimeout = 5 * time.Second
)

// Config is the agent's configuration, read from one JSON file. Every zero
// field means the default stated in its comment. Durations are JSON strings
// in Go syntax ("500ms", "10s", "1m").
type Config struct {
	// Router is the router's URL: rs://host:port, rss://host:port or
	// unix:///path, optionally with ?serializer=json|msgpack. Default
	// rs://127.0.0.1:8080.
	Router string `json:"router"`
	// Realm to join. Default realm1.
	Realm string `json:"realm"`
	// Auth are the credentials to join with (authid, authrole, ticket,
	// secret, cryptosign_key_file, authextra). Default: anonymous.
	Auth device.Credentials `json:"auth"`
	// Prefix starts the default topic of each sensor (PREFIX.NAME), the
	// default procedures of each actuator (PREFIX.NAME.set, .get) and the
	// status procedure (PREFIX.status). Default "agent".
	Prefix string `json:"prefix"`
	// StatusProcedure is the procedure answering the agent's status.
	// Default PREFIX.status.
	StatusProcedure string `json:"status_procedure"`
	// Reconnect tunes the backoff between connection attempts.
	Reconnect ReconnectConfig `json:"reconnect"`
	// OfflineQueue is how many readings are kept, in order, while the
	// router is unreachable; beyond it the oldest are dropped and counted.
	// Default 1000.
	OfflineQueue int `json:"offline_queue"`
	// ShutdownTimeout bounds the graceful shutdown (GOODBYE). Default 5s.
	ShutdownTimeout Duration `json:"shutdown_timeout"`
	// Log selects the log level and format.
	Log LogConfig `json:"log"`
	// Sensors publish readings.
	Sensors []SensorConfig `json:"sensors"`
	// Actuators are procedures that act on the device.
	Actuators []ActuatorConfig `json:"actuators"`
}

// ReconnectConfig is the backoff between connection attempts: attempt n
// waits a random time up to min(MaxBackoff, MinBackoff·2ⁿ).
type ReconnectConfig struct {
	// MinBackoff is the backoff's base. Default 500ms.
	MinBackoff Duration `json:"min_backoff"`
	// MaxBackoff caps it. Default 30s.
	MaxBackoff Duration `json:"max_backoff"`
}

// LogConfig selects the logs.
type LogConfig struct {
	// Level is debug, info, warn or error. Default info.
	Level string `json:"level"`
	// Format is text or json. Default text.
	Format string `json:"format"`
}

// Sensor kinds.
const (
	KindFile      = "file"
	KindCommand   = "command"
	KindGPIO      = "gpio"
	KindSimulated = "simulated"
)

// SensorConfig is one sensor. Kind decides which source keys apply.
type SensorConfig struct {
	// Name identifies the sensor (letters, digits, _ and -); required.
	Name string `json:"name"`
	// Kind is file, command, gpio or simulated; required.
	Kind string `json:"kind"`
	// Topic is where readings are published. Default PREFIX.NAME.
	Topic string `json:"topic"`
	// Unit is sent with each reading ("C", "%", ...). Default: none.
	Unit string `json:"unit"`
	// Interval publishes a reading this often. With OnChange it is the
	// longest time between two publications (a heartbeat). At least one of
	// Interval and OnChange is required.
	Interval Duration `json:"interval"`
	// OnChange publishes a reading when it differs from the last published
	// one by more than Deadband (numbers) or at all (strings, GPIO edges).
	OnChange bool `json:"on_change"`
	// Deadband is the change a number must exceed to count; default 0.
	Deadband float64 `json:"deadband"`
	// Poll is how often OnChange sensors other than gpio are read.
	// Default 1s (or Interval when shorter).
	Poll Duration `json:"poll"`

	// Path is the file read by a file sensor (sysfs, hwmon, thermal zone).
	Path string `json:"path"`
	// Scale multiplies a numeric reading (file and command); default 1.
	Scale *float64 `json:"scale"`
	// Offset is added after scaling; default 0.
	Offset float64 `json:"offset"`

	// Argv is a command sensor's program and arguments, run without a
	// shell; Argv[0] must be an absolute path.
	Argv []string `json:"argv"`
	// Timeout bounds a command (sensor or actuator); default 5s.
	Timeout Duration `json:"timeout"`
	// Parse is how a file's contents or a command's output are read: number (default) or
	// string (trimmed).
	Parse string `json:"parse"`

	// GPIO selects a gpio sensor's line.
	GPIO *GPIOConfig `json:"gpio"`

	// Base, Amplitude and Period shape a simulated sensor: a sine of
	// Amplitude around Base with Period (defaults 21.5, 3, 10m: the demo's
	// temperature).
	Base      *float64 `json:"base"`
	Amplitude *float64 `json:"amplitude"`
	Period    Duration `json:"period"`
}

// GPIOConfig selects one line of a GPIO chip.
type GPIOConfig struct {
	// Chip is the character device; default /dev/gpiochip0.
	Chip string `json:"chip"`
	// Line is the line's offset on the chip; required.
	Line *uint32 `json:"line"`
	// ActiveLow inverts the logical value.
	ActiveLow bool `json:"active_low"`
	// Bias is as-is (default), pull-up, pull-down or disabled.
	Bias string `json:"bias"`
	// Edge (inputs) is both (default), rising, falling or none (none: the
	// line is polled every Poll).
	Edge string `json:"edge"`
	// Debounce (inputs) asks the kernel to debounce; default none.
	Debounce Duration `json:"debounce"`
	// Drive (outputs) is push-pull (default), open-drain or open-source.
	Drive string `json:"drive"`
	// Initial (outputs) is the value set when the line is requested; default 0.
	Initial int `json:"initial"`
}

// ActuatorConfig is one actuator: a procedure that sets it and one that
// reads its state.
type ActuatorConfig struct {
	// Name identifies the actuator (letters, digits, _ and -); required.
	Name string `json:"name"`
	// Kind is file, command, gpio or simulated; required.
	Kind string `json:"kind"`
	// Procedure sets the actuator. Default PREFIX.NAME.set. The state
	// procedure is the same URI with ".set" replaced by ".get" (or with
	// ".get" appended).
	Procedure string `json:"procedure"`
	// Args declares the arguments the set procedure takes. file: exactly
	// one (the value written). command: the arguments appended to Argv.
	// gpio and simulated take one boolean (or 0/1) and ignore Args.
	Args []ArgSpec `json:"args"`

	// Path is the file a file actuator writes (e.g.
	// /sys/class/leds/NAME/brightness). It must exist.
	Path string `json:"path"`
	// Argv is a command actuator's program and fixed arguments, run
	// without a shell; Argv[0] must be an absolute path.
	Argv []string `json:"argv"`
	// Timeout bounds a command; default 5s.
	Timeout Duration `json:"timeout"`
	// GPIO selects a gpio actuator's output line.
	GPIO *GPIOConfig `json:"gpio"`
}

// ArgSpec declares one argument of an actuator's set procedure.
type ArgSpec struct {
	// Name is shown in error messages; default argN.
	Name string `json:"name"`
	// Type is int, number, bool or string; required.
	Type string `json:"type"`
	// Enum lists the allowed values; default: any of the type.
	Enum []any `json:"enum"`
	// Min and Max bound an int or number (inclusive); default unbounded.
	Min *float64 `json:"min"`
	Max *float64 `json:"max"`
	// MaxLen bounds a string's length in bytes; default 256.
	MaxLen int `json:"max_len"`
}

// Duration is a time.Duration read from a JSON string such as "1.5s".
type Duration time.Duration

// UnmarshalJSON reads a duration string.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("want a duration string such as \"10s\", got %s", b)
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("bad duration %q (want e.g. \"500ms\", \"10s\", \"1m\")", s)
	}
	if v < 0 {
		return fmt.Errorf("negative duration %q", s)
	}
	*d = Duration(v)
	return nil
}

// MarshalJSON writes the duration as a string.
func (d Duration) MarshalJSON() ([]byte, error) {
	return json.Marshal(time.Duration(d).String())
}

// Load reads and validates the configuration file at path.
func Load(path string) (*Config, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	defer f.Close()
	cfg, err := Parse(io.LimitReader(f, 1<<20))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return cfg, nil
}

// Parse reads and validates a JSON configuration. Unknown keys are errors,
// reported with their path (e.g. sensors[1].intervall).
func Parse(r io.Reader) (*Config, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	var tree any
	if err := json.Unmarshal(data, &tree); err != nil {
		return nil, fmt.Errorf("config: %w", jsonError(data, err))
	}
	if err := checkKeys("", tree, reflect.TypeFor[Config]()); err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	var cfg Config
	d := json.NewDecoder(bytes.NewReader(data))
	if err := d.Decode(&cfg); err != nil {
		return nil, fmt.Errorf("config: %w", jsonError(data, err))
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &cfg, nil
}

// jsonError names the key or the position of a decoding error.
func jsonError(data []byte, err error) error {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) && te.Field != "" {
		return fmt.Errorf("%s: want %s, got JSON %s", te.Field, te.Type, te.Value)
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		line := 1 + bytes.Count(data[:min(int(se.Offset), len(data))], []byte("\n"))
		return fmt.Errorf("line %d: %v", line, se)
	}
	return err
}

// checkKeys reports the first key of v (decoded JSON) that type t has no
// field for. It runs once, on the configuration, never per message.
func checkKeys(path string, v any, t reflect.Type) error {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch x := v.(type) {
	case map[string]any:
		if t.Kind() != reflect.Struct {
			return nil // maps (authextra) take any key
		}
		fields := jsonFields(t)
		for k, e := range x {
			ft, ok := fields[k]
			if !ok {
				return fmt.Errorf("%s: unknown key (known: %s)", join(path, k), strings.Join(sortedKeys(fields), ", "))
			}
			if ft != nil {
				if err := checkKeys(join(path, k), e, ft); err != nil {
					return err
				}
			}
		}
	case []any:
		if t.Kind() != reflect.Slice {
			return nil
		}
		for i, e := range x {
			if err := checkKeys(path+"["+strconv.Itoa(i)+"]", e, t.Elem()); err != nil {
				return err
			}
		}
	}
	return nil
}

func join(path, k string) string {
	if path == "" {
		return k
	}
	return path + "." + k
}

// jsonFields maps the JSON keys of struct t to their types (nil for fields
// whose contents are not checked further).
func jsonFields(t reflect.Type) map[string]reflect.Type {
	m := make(map[string]reflect.Type)
	for f := range t.Fields() {
		tag := f.Tag.Get("json")
		name, _, _ := strings.Cut(tag, ",")
		if name == "-" || !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		m[name] = f.Type
	}
	return m
}

func sortedKeys(m map[string]reflect.Type) []string {
	return slices.Sorted(maps.Keys(m))
}

// validURI reports whether u is a valid WAMP URI (loose rules).
func validURI(u string) bool { return wamp.ValidURI(wamp.URI(u), false, false) }

func (d Duration) std() time.Duration { return time.Duration(d) }
