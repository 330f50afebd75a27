package agent

import (
	"fmt"
	"math"
	"strconv"

	"github.com/edgewamp/edgewamp/wamp"
)

// DefaultMaxLen bounds string arguments whose ArgSpec.MaxLen is zero.
const DefaultMaxLen = 256

// check converts v (as decoded from JSON or MessagePack) to the spec's type
// (int64, float64, bool or string) and checks range, length and enum.
func (s *ArgSpec) check(v any) (any, error) {
	var out any
	switch s.Type {
	case "int":
		i, ok := toInt(v)
		if !ok {
			return nil, fmt.Errorf("want an integer, got %s", describe(v))
		}
		if err := s.inRange(float64(i)); err != nil {
			return nil, err
		}
		out = i
	case "number":
		f, ok := toFloat(v)
		if !ok {
			return nil, fmt.Errorf("want a number, got %s", describe(v))
		}
		if err := s.inRange(f); err != nil {
			return nil, err
		}
		out = f
	case "bool":
		b, ok := v.(bool)
		if !ok {
			return nil, fmt.Errorf("want true or false, got %s", describe(v))
		}
		out = b
	case "string":
		str, ok := v.(string)
		if !ok {
			return nil, fmt.Errorf("want a string, got %s", describe(v))
		}
		limit := s.MaxLen
		if limit == 0 {
			limit = DefaultMaxLen
		}
		if len(str) > limit {
			return nil, fmt.Errorf("string of %d bytes is longer than %d", len(str), limit)
		}
		out = str
	default:
		return nil, fmt.Errorf("unknown type %q", s.Type)
	}
	if len(s.Enum) > 0 {
		for _, e := range s.Enum {
			if n, err := s.checkNoEnum(e); err == nil && n == out {
				return out, nil
			}
		}
		return nil, fmt.Errorf("%v is not one of %v", out, s.Enum)
	}
	return out, nil
}

func (s *ArgSpec) checkNoEnum(v any) (any, error) {
	c := *s
	c.Enum = nil
	return c.check(v)
}

func (s *ArgSpec) inRange(f float64) error {
	if s.Min != nil && f < *s.Min {
		return fmt.Errorf("%v is below the minimum %v", f, *s.Min)
	}
	if s.Max != nil && f > *s.Max {
		return fmt.Errorf("%v is above the maximum %v", f, *s.Max)
	}
	return nil
}

// checkArgs validates a call's arguments against specs: their count, then
// each one; the error is a wamp.error.invalid_argument naming the argument.
func checkArgs(proc string, specs []ArgSpec, args wamp.List) ([]any, error) {
	if len(args) != len(specs) {
		return nil, wamp.NewError(wamp.ErrInvalidArgument.URI,
			fmt.Sprintf("%s takes %d argument(s), got %d", proc, len(specs), len(args)))
	}
	out := make([]any, len(args))
	for i := range specs {
		v, err := specs[i].check(args[i])
		if err != nil {
			name := specs[i].Name
			if name == "" {
				name = "arg" + strconv.Itoa(i)
			}
			return nil, wamp.NewError(wamp.ErrInvalidArgument.URI, fmt.Sprintf("%s: %s: %v", proc, name, err))
		}
		out[i] = v
	}
	return out, nil
}

// formatArg renders a checked argument for a file or a command line.
func formatArg(v any) string {
	switch x := v.(type) {
	case int64:
		return strconv.FormatInt(x, 10)
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64)
	case bool:
		if x {
			return "1"
		}
		return "0"
	case string:
		return x
	}
	return fmt.Sprint(v)
}

func toInt(v any) (int64, bool) {
	switch x := v.(type) {
	case int:
		return int64(x), true
	case int8:
		return int64(x), true
	case int16:
		return int64(x), true
	case int32:
		return int64(x), true
	case int64:
		return x, true
	case uint:
		return int64(x), uint64(x) <= math.MaxInt64
	case uint8:
		return int64(x), true
	case uint16:
		return int64(x), true
	case uint32:
		return int64(x), true
	case uint64:
		return int64(x), uint64(x) <= math.MaxInt64
	case float32:
		return toInt(float64(x))
	case float64:
		if x != math.Trunc(x) || x < -1<<53 || x > 1<<53 {
			return 0, false
		}
		return int64(x), true
	}
	return 0, false
}

func toFloat(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, !math.IsNaN(x) && !math.IsInf(x, 0)
	case float32:
		return toFloat(float64(x))
	}
	i, ok := toInt(v)
	return float64(i), ok
}

func describe(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return strconv.Quote(v.(string))
	case bool:
		return fmt.Sprint(v)
	case []any:
		return "a list"
	case map[string]any:
		return "an object"
	}
	if _, ok := toFloat(v); ok {
		return fmt.Sprint(v)
	}
	return fmt.Sprintf("a %T", v)
}

// parseNumber reads t as an int64 when it is an integer, else a float64,
// else returns it unchanged.
func parseNumber(t string) any {
	if i, err := strconv.ParseInt(t, 10, 64); err == nil {
		return i
	}
	if f, err := strconv.ParseFloat(t, 64); err == nil {
		return f
	}
	return t
}
