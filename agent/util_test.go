package agent

import (
	"io"
	"strings"
)

func stringsReader(s string) io.Reader { return strings.NewReader(s) }

func errorsContains(err error, s string) bool { return err != nil && strings.Contains(err.Error(), s) }
