package agent

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/edgewamp/edgewamp/wamp"
)

// ErrCommandFailed is the error URI of a command actuator whose program
// failed (non-zero exit, timeout); the error's kwargs carry exit_code and
// stderr.
const ErrCommandFailed wamp.URI = "agent.error.command_failed"

// ErrActuatorFailed is the error URI of an actuator that could not act
// (a file that cannot be written, a GPIO line that fails).
const ErrActuatorFailed wamp.URI = "agent.error.actuator_failed"

// actuator acts on the device. set receives arguments already validated;
// set and get may be called concurrently.
type actuator interface {
	set(ctx context.Context, args []any) (any, error)
	get(ctx context.Context) (any, error)
	close() error
}

// boolSpec is the argument of gpio and simulated actuators: true/false or 0/1.
var boolSpecs = []ArgSpec{{Name: "on", Type: "bool"}}

// toBoolArgs accepts 0 and 1 for a boolean argument.
func toBoolArgs(args wamp.List) wamp.List {
	if len(args) == 1 {
		if i, ok := toInt(args[0]); ok && (i == 0 || i == 1) {
			return wamp.List{i == 1}
		}
	}
	return args
}

// fileActuator writes a value to a file such as an LED's brightness.
type fileActuator struct {
	path string
	spec ArgSpec
	mu   sync.Mutex // serializes writes
	last atomic.Value
}

func (a *fileActuator) set(_ context.Context, args []any) (any, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	// No O_CREATE: the file (a sysfs attribute) must exist.
	f, err := os.OpenFile(a.path, os.O_WRONLY|os.O_TRUNC, 0)
	if err != nil {
		return nil, wamp.NewError(ErrActuatorFailed, err.Error())
	}
	_, err = f.WriteString(formatArg(args[0]) + "\n")
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, wamp.NewError(ErrActuatorFailed, fmt.Sprintf("write %s: %v", a.path, err))
	}
	a.last.Store(args[0])
	return args[0], nil
}

// get reads the file back (sysfs shows the current value), falling back to
// the last value written when it cannot be read.
func (a *fileActuator) get(context.Context) (any, error) {
	b, err := os.ReadFile(a.path)
	if err == nil && len(b) <= maxRead {
		if v, err := a.spec.checkNoEnum(parseText(strings.TrimSpace(string(b)), a.spec.Type)); err == nil {
			return v, nil
		}
	}
	return a.last.Load(), nil
}

func (a *fileActuator) close() error { return nil }

// parseText reads a file's text as a value of the given type.
func parseText(t, typ string) any {
	if typ == "string" {
		return t
	}
	if typ == "bool" {
		return t == "1" || t == "true"
	}
	return parseNumber(t)
}

// commandActuator runs its program with the validated arguments appended.
type commandActuator struct {
	argv    []string
	timeout time.Duration
	now     func() time.Time
	mu      sync.Mutex
	last    wamp.Dict // the last run: args, exit_code, output, time
}

func (a *commandActuator) set(ctx context.Context, args []any) (any, error) {
	argv := append([]string(nil), a.argv...)
	for _, v := range args {
		argv = append(argv, formatArg(v))
	}
	out, err := runCommand(ctx, argv, a.timeout)
	state := wamp.Dict{"args": wamp.List(args), "exit_code": 0, "time": a.now().UTC().Format(time.RFC3339Nano)}
	output := strings.TrimSpace(string(out))
	state["output"] = output
	if err != nil {
		var ce *CommandError
		if errors.As(err, &ce) {
			state["exit_code"] = ce.ExitCode
		}
		a.remember(state)
		e := wamp.NewError(ErrCommandFailed, err.Error())
		e.Kwargs = wamp.Dict{"exit_code": state["exit_code"], "output": output}
		return nil, e
	}
	a.remember(state)
	return output, nil
}

func (a *commandActuator) remember(d wamp.Dict) {
	a.mu.Lock()
	a.last = d
	a.mu.Unlock()
}

func (a *commandActuator) get(context.Context) (any, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.last == nil {
		return nil, nil
	}
	return a.last, nil
}

func (a *commandActuator) close() error { return nil }

// gpioActuator drives an output line.
type gpioActuator struct {
	_    [0]func() // not comparable: no equality function to link
	line Line
	mu   sync.Mutex
}

func (a *gpioActuator) set(_ context.Context, args []any) (any, error) {
	on := args[0].(bool)
	v := 0
	if on {
		v = 1
	}
	a.mu.Lock()
	err := a.line.SetValue(v)
	a.mu.Unlock()
	if err != nil {
		return nil, wamp.NewError(ErrActuatorFailed, err.Error())
	}
	return on, nil
}

func (a *gpioActuator) get(context.Context) (any, error) {
	v, err := a.line.Value()
	if err != nil {
		return nil, wamp.NewError(ErrActuatorFailed, err.Error())
	}
	return v == 1, nil
}

func (a *gpioActuator) close() error { return a.line.Close() }

// simActuator is the demo's light: a boolean kept in memory.
type simActuator struct {
	_  [0]func() // not comparable: no equality function to link
	on atomic.Bool
}

func (a *simActuator) set(_ context.Context, args []any) (any, error) {
	on := args[0].(bool)
	a.on.Store(on)
	return on, nil
}

func (a *simActuator) get(context.Context) (any, error) { return a.on.Load(), nil }

func (a *simActuator) close() error { return nil }
