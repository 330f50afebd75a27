package minirouter

import (
	"fmt"
	"os"
	"reflect"
	"testing"
)

// TestMain checks, after every test of the package, that noTables (the
// tables every session without its own reads) was never written: a write
// through tables() instead of ownTables() would share state among
// sessions, and no single test might notice.
func TestMain(m *testing.M) {
	code := m.Run()
	if !reflect.DeepEqual(noTables, sessionTables{}) {
		fmt.Fprintf(os.Stderr, "noTables was written: %+v\n", noTables)
		code = 1
	}
	os.Exit(code)
}
