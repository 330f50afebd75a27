//go:build !edgewamp_noslog

package device

import "log/slog"

// defaultLogger is the Logger of a Config that names none: log/slog's
// default logger.
func defaultLogger() Logger { return slog.Default() }
