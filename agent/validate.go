package agent

import (
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"strings"
	"time"
)

// Validate checks the configuration; the error names the offending key,
// e.g. `sensors[1] ("cpu"): interval: ...`. It does not touch the
// hardware: missing files and GPIO chips are reported when the agent starts.
func (c *Config) Validate() error {
	if c.Router != "" {
		u, err := url.Parse(c.Router)
		if err != nil || u.Scheme == "" {
			return fmt.Errorf("config: router: invalid URL %q (want rs://host:port, rss://host:port or unix:///path)", c.Router)
		}
		if !buildHasTLS && strings.EqualFold(u.Scheme, "rss") {
			return fmt.Errorf("config: router: rss:// needs TLS, which this build lacks (built with the edgewamp_notls tag; use the full edge-agent)")
		}
	}
	if !buildHasAuth && c.hasAuth() {
		return fmt.Errorf("config: auth: authentication is not in this build (built with the edgewamp_noauth tag; use the full edge-agent)")
	}
	if c.Realm != "" && !validURI(c.Realm) {
		return fmt.Errorf("config: realm: invalid realm %q", c.Realm)
	}
	if c.Prefix != "" && !validURI(c.Prefix) {
		return fmt.Errorf("config: prefix: invalid URI %q", c.Prefix)
	}
	if c.StatusProcedure != "" && !validURI(c.StatusProcedure) {
		return fmt.Errorf("config: status_procedure: invalid URI %q", c.StatusProcedure)
	}
	if c.OfflineQueue < 0 {
		return fmt.Errorf("config: offline_queue: must not be negative, got %d", c.OfflineQueue)
	}
	if c.Reconnect.MaxBackoff != 0 && c.Reconnect.MaxBackoff < c.Reconnect.MinBackoff {
		return fmt.Errorf("config: reconnect.max_backoff (%v) is below reconnect.min_backoff (%v)",
			time.Duration(c.Reconnect.MaxBackoff), time.Duration(c.Reconnect.MinBackoff))
	}
	switch strings.ToLower(c.Log.Level) {
	case "", "debug", "info", "warn", "warning", "error":
	default:
		return fmt.Errorf("config: log.level: unknown level %q (want debug, info, warn or error)", c.Log.Level)
	}
	switch c.Log.Format {
	case "", "text", "json":
	default:
		return fmt.Errorf("config: log.format: unknown format %q (want text or json)", c.Log.Format)
	}
	names := map[string]bool{}
	uris := map[string]string{}
	claim := func(uri, what string) error {
		if prev, ok := uris[uri]; ok {
			_, shown, _ := strings.Cut(uri, " ")
			return fmt.Errorf("%q is also used by %s", shown, prev)
		}
		uris[uri] = what
		return nil
	}
	if err := claim("procedure "+c.statusProcedure(), "status_procedure"); err != nil {
		return fmt.Errorf("config: %w", err)
	}
	for i := range c.Sensors {
		s := &c.Sensors[i]
		where := fmt.Sprintf("config: sensors[%d]", i)
		if s.Name != "" {
			where += fmt.Sprintf(" (%q)", s.Name)
		}
		if err := s.validate(); err != nil {
			return fmt.Errorf("%s: %w", where, err)
		}
		if names["s:"+s.Name] {
			return fmt.Errorf("%s: name: duplicate sensor name", where)
		}
		names["s:"+s.Name] = true
		if err := claim("topic "+c.topic(s), fmt.Sprintf("sensors[%d]", i)); err != nil {
			return fmt.Errorf("%s: topic: %w", where, err)
		}
	}
	for i := range c.Actuators {
		a := &c.Actuators[i]
		where := fmt.Sprintf("config: actuators[%d]", i)
		if a.Name != "" {
			where += fmt.Sprintf(" (%q)", a.Name)
		}
		if err := a.validate(); err != nil {
			return fmt.Errorf("%s: %w", where, err)
		}
		if names["a:"+a.Name] {
			return fmt.Errorf("%s: name: duplicate actuator name", where)
		}
		names["a:"+a.Name] = true
		set, get := c.procedures(a)
		for _, p := range []string{set, get} {
			if err := claim("procedure "+p, fmt.Sprintf("actuators[%d]", i)); err != nil {
				return fmt.Errorf("%s: procedure: %w", where, err)
			}
		}
	}
	return nil
}

// hasAuth reports whether any credential is configured.
func (c *Config) hasAuth() bool {
	a := &c.Auth
	return a.AuthID != "" || a.AuthRole != "" || a.AuthExtra != nil || a.Ticket != "" || a.Secret != "" || a.CryptosignKeyFile != ""
}

// validName reports whether n is a usable sensor or actuator name.
func validName(n string) bool {
	if n == "" || len(n) > 64 {
		return false
	}
	for i := 0; i < len(n); i++ {
		b := n[i]
		if !(b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9' || b == '_' || b == '-') {
			return false
		}
	}
	return true
}

func (s *SensorConfig) validate() error {
	if !validName(s.Name) {
		return fmt.Errorf("name: %q is not a valid name (letters, digits, _ and -, at most 64)", s.Name)
	}
	if s.Topic != "" && !validURI(s.Topic) {
		return fmt.Errorf("topic: invalid URI %q", s.Topic)
	}
	if s.Interval == 0 && !s.OnChange {
		return errors.New("interval: required unless on_change is true")
	}
	if s.Deadband < 0 {
		return fmt.Errorf("deadband: must not be negative, got %v", s.Deadband)
	}
	if s.Deadband > 0 && !s.OnChange {
		return errors.New("deadband: only applies with on_change")
	}
	only := func(key string, set bool, kinds string) error {
		if set && !strings.Contains(kinds, s.Kind) {
			return fmt.Errorf("%s: does not apply to kind %q", key, s.Kind)
		}
		return nil
	}
	for _, e := range []error{
		only("path", s.Path != "", KindFile),
		only("argv", s.Argv != nil, KindCommand),
		only("timeout", s.Timeout != 0, KindCommand),
		only("parse", s.Parse != "", KindFile+KindCommand),
		only("scale", s.Scale != nil, KindFile+KindCommand),
		only("offset", s.Offset != 0, KindFile+KindCommand),
		only("gpio", s.GPIO != nil, KindGPIO),
		only("base", s.Base != nil, KindSimulated),
		only("amplitude", s.Amplitude != nil, KindSimulated),
		only("period", s.Period != 0, KindSimulated),
	} {
		if e != nil {
			return e
		}
	}
	switch s.Kind {
	case KindFile:
		if s.Path == "" {
			return errors.New("path: required for a file sensor")
		}
		if !filepath.IsAbs(s.Path) {
			return fmt.Errorf("path: %q is not an absolute path", s.Path)
		}
	case KindCommand:
		if err := checkArgv(s.Argv); err != nil {
			return err
		}
	}
	switch s.Kind {
	case KindFile, KindCommand:
		if s.Parse != "" && s.Parse != "number" && s.Parse != "string" {
			return fmt.Errorf("parse: unknown %q (want number or string)", s.Parse)
		}
		if s.Parse == "string" && (s.Scale != nil || s.Offset != 0 || s.Deadband != 0) {
			return errors.New("parse: scale, offset and deadband need parse \"number\"")
		}
	case KindGPIO:
		if s.GPIO == nil {
			return errors.New("gpio: required for a gpio sensor")
		}
		if err := s.GPIO.validate(false); err != nil {
			return fmt.Errorf("gpio.%w", err)
		}
	case KindSimulated:
	case "":
		return errors.New("kind: required (file, command, gpio or simulated)")
	default:
		return fmt.Errorf("kind: unknown %q (want file, command, gpio or simulated)", s.Kind)
	}
	return nil
}

func checkArgv(argv []string) error {
	if len(argv) == 0 {
		return errors.New("argv: required: the program and its arguments")
	}
	if !filepath.IsAbs(argv[0]) {
		return fmt.Errorf("argv: the program %q must be an absolute path (no shell, no PATH lookup)", argv[0])
	}
	return nil
}

func (g *GPIOConfig) validate(output bool) error {
	if g.Line == nil {
		return errors.New("line: required")
	}
	if g.Chip != "" && !filepath.IsAbs(g.Chip) {
		return fmt.Errorf("chip: %q is not an absolute path", g.Chip)
	}
	if _, err := parseBias(g.Bias); err != nil {
		return fmt.Errorf("bias: %w", err)
	}
	if output {
		if g.Edge != "" {
			return errors.New("edge: applies to inputs only")
		}
		if g.Debounce != 0 {
			return errors.New("debounce: applies to inputs only")
		}
		if _, err := parseDrive(g.Drive); err != nil {
			return fmt.Errorf("drive: %w", err)
		}
		if g.Initial != 0 && g.Initial != 1 {
			return fmt.Errorf("initial: want 0 or 1, got %d", g.Initial)
		}
		return nil
	}
	if g.Drive != "" {
		return errors.New("drive: applies to outputs only")
	}
	if g.Initial != 0 {
		return errors.New("initial: applies to outputs only")
	}
	if _, err := parseEdge(g.Edge); err != nil {
		return fmt.Errorf("edge: %w", err)
	}
	return nil
}

func (a *ActuatorConfig) validate() error {
	if !validName(a.Name) {
		return fmt.Errorf("name: %q is not a valid name (letters, digits, _ and -, at most 64)", a.Name)
	}
	if a.Procedure != "" && !validURI(a.Procedure) {
		return fmt.Errorf("procedure: invalid URI %q", a.Procedure)
	}
	for i := range a.Args {
		if err := a.Args[i].validate(); err != nil {
			return fmt.Errorf("args[%d].%w", i, err)
		}
	}
	only := func(key string, set bool, kinds string) error {
		if set && !strings.Contains(kinds, a.Kind) {
			return fmt.Errorf("%s: does not apply to kind %q", key, a.Kind)
		}
		return nil
	}
	for _, e := range []error{
		only("path", a.Path != "", KindFile),
		only("argv", a.Argv != nil, KindCommand),
		only("timeout", a.Timeout != 0, KindCommand),
		only("gpio", a.GPIO != nil, KindGPIO),
		only("args", a.Args != nil, KindFile+KindCommand),
	} {
		if e != nil {
			return e
		}
	}
	switch a.Kind {
	case KindFile:
		if a.Path == "" {
			return errors.New("path: required for a file actuator")
		}
		if !filepath.IsAbs(a.Path) {
			return fmt.Errorf("path: %q is not an absolute path", a.Path)
		}
		if len(a.Args) != 1 {
			return fmt.Errorf("args: a file actuator takes exactly one argument (the value written), %d declared", len(a.Args))
		}
		if len(a.Args[0].Enum) == 0 && a.Args[0].Type != "bool" && (a.Args[0].Min == nil || a.Args[0].Max == nil) && a.Args[0].Type != "string" {
			return errors.New("args[0]: a file actuator's value needs enum or min and max")
		}
		if a.Args[0].Type == "string" && len(a.Args[0].Enum) == 0 {
			return errors.New("args[0].enum: a file actuator's string value needs the allowed values")
		}
	case KindCommand:
		if err := checkArgv(a.Argv); err != nil {
			return err
		}
	case KindGPIO:
		if a.GPIO == nil {
			return errors.New("gpio: required for a gpio actuator")
		}
		if err := a.GPIO.validate(true); err != nil {
			return fmt.Errorf("gpio.%w", err)
		}
	case KindSimulated:
	case "":
		return errors.New("kind: required (file, command, gpio or simulated)")
	default:
		return fmt.Errorf("kind: unknown %q (want file, command, gpio or simulated)", a.Kind)
	}
	return nil
}

func (s *ArgSpec) validate() error {
	switch s.Type {
	case "int", "number", "bool", "string":
	case "":
		return errors.New("type: required (int, number, bool or string)")
	default:
		return fmt.Errorf("type: unknown %q (want int, number, bool or string)", s.Type)
	}
	if (s.Min != nil || s.Max != nil) && s.Type != "int" && s.Type != "number" {
		return fmt.Errorf("min/max: apply to int and number, not %s", s.Type)
	}
	if s.Min != nil && s.Max != nil && *s.Min > *s.Max {
		return fmt.Errorf("min (%v) is above max (%v)", *s.Min, *s.Max)
	}
	if s.MaxLen < 0 || (s.MaxLen != 0 && s.Type != "string") {
		return errors.New("max_len: applies to strings and must be positive")
	}
	for i, e := range s.Enum {
		if _, err := s.check(e); err != nil {
			return fmt.Errorf("enum[%d]: %v", i, err)
		}
	}
	return nil
}

// Defaults derived from the configuration.

func (c *Config) prefix() string {
	if c.Prefix == "" {
		return DefaultPrefix
	}
	return c.Prefix
}

func (c *Config) statusProcedure() string {
	if c.StatusProcedure != "" {
		return c.StatusProcedure
	}
	return c.prefix() + ".status"
}

func (c *Config) topic(s *SensorConfig) string {
	if s.Topic != "" {
		return s.Topic
	}
	return c.prefix() + "." + s.Name
}

// procedures returns an actuator's set and get procedures.
func (c *Config) procedures(a *ActuatorConfig) (set, get string) {
	set = a.Procedure
	if set == "" {
		set = c.prefix() + "." + a.Name + ".set"
	}
	if base, ok := strings.CutSuffix(set, ".set"); ok {
		return set, base + ".get"
	}
	return set, set + ".get"
}
