//go:build edgewamp_noslog

package device

import (
	"os"

	"github.com/edgewamp/edgewamp/internal/logline"
)

// DefaultLogger returns the Logger of a Config that names none. An
// edgewamp_noslog build links no log/slog: text lines on standard error from
// level Info, in the format of slog's TextHandler.
func DefaultLogger() Logger { return logline.New(os.Stderr, logline.Text, logline.LevelInfo) }
