// Package agent turns an edge-agent configuration into a running device
// agent: sensors published as events, actuators registered as procedures and
// a status procedure, all on a device client with reconnection on
// ([device.Reconnect]), so that the agent re-joins, re-registers and
// delivers readings queued while offline by itself.
package agent

import (
	"fmt"
	"io"
	"os"
	"time"

	"github.com/edgewamp/edgewamp/device"
	"github.com/edgewamp/edgewamp/wamp"
)

// Defaults applied to the zero fields of a [Config].
const (
	DefaultRouter          = "rs://127.0.0.1:8081" // sensorbridge's RawSocket port
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
	// rs://127.0.0.1:8081, sensorbridge's RawSocket port.
	Router string
	// Realm to join. Default realm1.
	Realm string
	// TLS verifies an rss:// or wss:// router with a private CA or another
	// name, and presents a client certificate (keys ca_file, cert, key,
	// server_name). Default: the system's roots verify the URL's host.
	TLS TLSFiles
	// Auth are the credentials to join with (authid, authrole, ticket,
	// secret, cryptosign_key_file, authextra). Default: anonymous.
	Auth device.Credentials
	// Prefix starts the default topic of each sensor (PREFIX.NAME), the
	// default procedures of each actuator (PREFIX.NAME.set, .get) and the
	// status procedure (PREFIX.status). Default "agent".
	Prefix string
	// StatusProcedure is the procedure answering the agent's status.
	// Default PREFIX.status.
	StatusProcedure string
	// Reconnect tunes the backoff between connection attempts.
	Reconnect ReconnectConfig
	// OfflineQueue is how many readings are kept, in order, while the
	// router is unreachable; beyond it the oldest are dropped and counted.
	// Default 1000.
	OfflineQueue int
	// ShutdownTimeout bounds the graceful shutdown (GOODBYE). Default 5s.
	ShutdownTimeout Duration
	// Log selects the log level and format.
	Log LogConfig
	// Sensors publish readings.
	Sensors []SensorConfig
	// Actuators are procedures that act on the device.
	Actuators []ActuatorConfig
}

// ReconnectConfig is the backoff between connection attempts: attempt n
// waits a random time up to min(MaxBackoff, MinBackoff·2ⁿ).
type ReconnectConfig struct {
	// MinBackoff is the backoff's base. Default 500ms.
	MinBackoff Duration
	// MaxBackoff caps it. Default 30s.
	MaxBackoff Duration
}

// LogConfig selects the logs.
type LogConfig struct {
	_ [0]func() // not comparable: no equality function to link
	// Level is debug, info, warn or error. Default info.
	Level string
	// Format is text or json. Default text.
	Format string
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
	Name string
	// Kind is file, command, gpio or simulated; required.
	Kind string
	// Topic is where readings are published. Default PREFIX.NAME.
	Topic string
	// Unit is sent with each reading ("C", "%", ...). Default: none.
	Unit string
	// Interval publishes a reading this often. With OnChange it is the
	// longest time between two publications (a heartbeat). At least one of
	// Interval and OnChange is required.
	Interval Duration
	// OnChange publishes a reading when it differs from the last published
	// one by more than Deadband (numbers) or at all (strings, GPIO edges).
	OnChange bool
	// Deadband is the change a number must exceed to count; default 0.
	Deadband float64
	// Poll is how often OnChange sensors other than gpio are read.
	// Default 1s (or Interval when shorter).
	Poll Duration

	// Path is the file read by a file sensor (sysfs, hwmon, thermal zone).
	Path string
	// Scale multiplies a numeric reading (file and command); default 1.
	Scale *float64
	// Offset is added after scaling; default 0.
	Offset float64

	// Argv is a command sensor's program and arguments, run without a
	// shell; Argv[0] must be an absolute path.
	Argv []string
	// Timeout bounds a command (sensor or actuator); default 5s.
	Timeout Duration
	// Parse is how a file's contents or a command's output are read: number (default) or
	// string (trimmed).
	Parse string

	// GPIO selects a gpio sensor's line.
	GPIO *GPIOConfig

	// Base, Amplitude and Period shape a simulated sensor: a sine of
	// Amplitude around Base with Period (defaults 21.5, 3, 10m: the demo's
	// temperature).
	Base      *float64
	Amplitude *float64
	Period    Duration
}

// GPIOConfig selects one line of a GPIO chip.
type GPIOConfig struct {
	_ [0]func() // not comparable: no equality function to link
	// Chip is the character device; default /dev/gpiochip0.
	Chip string
	// Line is the line's offset on the chip; required.
	Line *uint32
	// ActiveLow inverts the logical value.
	ActiveLow bool
	// Bias is as-is (default), pull-up, pull-down or disabled.
	Bias string
	// Edge (inputs) is both (default), rising, falling or none (none: the
	// line is polled every Poll).
	Edge string
	// Debounce (inputs) asks the kernel to debounce; default none.
	Debounce Duration
	// Drive (outputs) is push-pull (default), open-drain or open-source.
	Drive string
	// Initial (outputs) is the value set when the line is requested; default 0.
	Initial int
}

// ActuatorConfig is one actuator: a procedure that sets it and one that
// reads its state.
type ActuatorConfig struct {
	// Name identifies the actuator (letters, digits, _ and -); required.
	Name string
	// Kind is file, command, gpio or simulated; required.
	Kind string
	// Procedure sets the actuator. Default PREFIX.NAME.set. The state
	// procedure is the same URI with ".set" replaced by ".get" (or with
	// ".get" appended).
	Procedure string
	// Args declares the arguments the set procedure takes. file: exactly
	// one (the value written). command: the arguments appended to Argv.
	// gpio and simulated take one boolean (or 0/1) and ignore Args.
	Args []ArgSpec

	// Path is the file a file actuator writes (e.g.
	// /sys/class/leds/NAME/brightness). It must exist.
	Path string
	// Argv is a command actuator's program and fixed arguments, run
	// without a shell; Argv[0] must be an absolute path.
	Argv []string
	// Timeout bounds a command; default 5s.
	Timeout Duration
	// GPIO selects a gpio actuator's output line.
	GPIO *GPIOConfig
}

// ArgSpec declares one argument of an actuator's set procedure.
type ArgSpec struct {
	// Name is shown in error messages; default argN.
	Name string
	// Type is int, number, bool or string; required.
	Type string
	// Enum lists the allowed values; default: any of the type.
	Enum []any
	// Min and Max bound an int or number (inclusive); default unbounded.
	Min *float64
	Max *float64
	// MaxLen bounds a string's length in bytes; default 256.
	MaxLen int
}

// Duration is a time.Duration read from a JSON string such as "1.5s".
type Duration time.Duration

// Load reads and validates the configuration file at path.
func Load(path string) (*Config, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	defer f.Close()
	cfg, err := Parse(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return cfg, nil
}

// MaxConfigSize bounds the configuration Parse reads.
const MaxConfigSize = 1 << 20

// Parse reads and validates a JSON configuration of at most MaxConfigSize
// bytes. Unknown keys are errors, reported with their path (e.g.
// sensors[1].intervall), and so are values of the wrong type, syntax errors
// and keys given twice in one object (with their line and column).
func Parse(r io.Reader) (*Config, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxConfigSize+1))
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	if len(data) > MaxConfigSize {
		return nil, fmt.Errorf("config: larger than %d bytes", MaxConfigSize)
	}
	cfg, err := decodeConfig(data)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return cfg, nil
}

// validURI reports whether u is a valid WAMP URI (loose rules).
func validURI(u string) bool { return wamp.ValidURI(wamp.URI(u), false, false) }

func (d Duration) std() time.Duration { return time.Duration(d) }
