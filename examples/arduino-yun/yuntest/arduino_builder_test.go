package yuntest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"testing"
	"time"
)

// fqbns are the Arduino IDE's names of the boards.
var fqbns = map[string]string{"yun": "arduino:avr:yun", "uno": "arduino:avr:uno"}

var (
	sketchUses = regexp.MustCompile(`Sketch uses (\d+) bytes`)
	globalsUse = regexp.MustCompile(`Global variables use (\d+) bytes`)
)

// TestArduinoBuilder builds every example for every board the way the
// Arduino IDE does, with Debian's arduino-builder and the library installed
// as a user installs it (EdgeWamp/ in a libraries folder), and checks that
// the IDE's build comes out at the Makefile's sizes: the library needs
// nothing the Makefile does not give it. Skipped when arduino-builder is
// missing (fails with CI=true or EDGEWAMP_INTEROP=1).
func TestArduinoBuilder(t *testing.T) {
	requireTools(t)
	if _, err := exec.LookPath("arduino-builder"); err != nil {
		msg := "arduino-builder missing: run examples/arduino-yun/install-deps.sh"
		if os.Getenv("CI") == "true" || os.Getenv("EDGEWAMP_INTEROP") == "1" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	dir := t.TempDir()
	libs, tools := filepath.Join(dir, "libraries"), filepath.Join(dir, "tools")
	for _, d := range []string{libs, tools} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink(filepath.Join(exampleDir(), "EdgeWamp"), filepath.Join(libs, "EdgeWamp")); err != nil {
		t.Fatal(err)
	}
	for _, b := range boards {
		for _, e := range examples {
			fw, _ := buildFor(t, b, e)
			flash, ram := avrSize(t, fw.elf)
			out := filepath.Join(dir, b.name+"-"+e)
			if err := os.Mkdir(out, 0o755); err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
			cmd := exec.CommandContext(ctx, "arduino-builder", "-compile",
				"-hardware", "/usr/share/arduino/hardware", "-hardware", "/usr/share/arduino-builder",
				"-tools", tools, "-libraries", libs, "-fqbn", fqbns[b.name], "-build-path", out,
				// Debian's gcc-avr 5.4 float.h lacks DECIMAL_DIG in C++ mode (WString.cpp needs it)
				"-prefs", "compiler.cpp.extra_flags=-DDECIMAL_DIG=17",
				"-prefs", "tools.ctags.path=/usr/bin", "-prefs", "tools.ctags.cmd.path=/usr/bin/arduino-ctags",
				"-prefs", `tools.ctags.pattern="{cmd.path}" -u --language-force=c++ -f - --c++-kinds=svpf --fields=KSTtzns --line-directives "{source_file}"`,
				filepath.Join(exampleDir(), "EdgeWamp", "examples", e, e+".ino"))
			b2, err := cmd.CombinedOutput()
			cancel()
			if err != nil {
				t.Fatalf("arduino-builder %s for %s: %v\n%s", e, b.label, err, b2)
			}
			got := fmt.Sprintf("flash %s, RAM %s", match(sketchUses, b2), match(globalsUse, b2))
			if want := fmt.Sprintf("flash %d, RAM %d", flash, ram); got != want {
				t.Errorf("%s for %s: arduino-builder: %s; the Makefile: %s\n%s", e, b.label, got, want, b2)
			}
			t.Logf("%s for %s: %s in both builds", e, b.label, got)
		}
	}
}

// match returns re's first group in b, or "?".
func match(re *regexp.Regexp, b []byte) string {
	if m := re.FindSubmatch(b); m != nil {
		return string(m[1])
	}
	return "?"
}
