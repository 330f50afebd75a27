//go:build !edgewamp_noslog

package device

import "log/slog"

// DefaultLogger returns the Logger of a Config that names none: log/slog's
// default logger (in a build with the edgewamp_noslog tag, text lines on
// standard error from level Info).
func DefaultLogger() Logger { return slog.Default() }
