package yuntest

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// requireTools skips the test when the AVR toolchain or simavr is missing,
// or fails it when CI=true or EDGEWAMP_INTEROP=1 says they must be there.
func requireTools(t *testing.T) {
	t.Helper()
	var missing []string
	for _, tool := range []string{"make", "avr-gcc", "avr-g++", "avr-size", "cc", "pkg-config"} {
		if _, err := exec.LookPath(tool); err != nil {
			missing = append(missing, tool)
		}
	}
	if len(missing) == 0 {
		if err := exec.Command("pkg-config", "--exists", "simavr", "simavrparts").Run(); err != nil {
			missing = append(missing, "libsimavr-dev (pkg-config simavr simavrparts)")
		}
	}
	if _, err := os.Stat("/usr/share/arduino/hardware/arduino/avr/cores/arduino/Arduino.h"); err != nil {
		missing = append(missing, "arduino-core-avr")
	}
	if len(missing) == 0 {
		return
	}
	msg := fmt.Sprintf("missing %s: run examples/arduino-yun/install-deps.sh", strings.Join(missing, ", "))
	if os.Getenv("CI") == "true" || os.Getenv("EDGEWAMP_INTEROP") == "1" {
		t.Fatal(msg + " (required: CI=true or EDGEWAMP_INTEROP=1)")
	}
	t.Skip(msg)
}

// A board is one the Makefile builds the examples for: its name there,
// its MCU (simharness -m), the subdirectory of the build holding its ELFs,
// the name the README gives it, and its memories: the flash its bootloader
// leaves to a sketch and the SRAM, in bytes.
type board struct {
	name, mcu, dir, label string
	flash, sram           int
}

var (
	yun    = board{"yun", "atmega32u4", "", "Yun (ATmega32u4)", 28672, 2560}
	uno    = board{"uno", "atmega328p", "uno", "Uno (ATmega328P)", 32256, 2048}
	boards = []board{yun, uno}
)

// examples are the EdgeWamp library's example sketches.
var examples = []string{"YunWamp", "Thermostat"}

// firmware is one example built for one board.
type firmware struct {
	board   board
	example string
	elf     string
}

// built caches the firmware and harness for the package's tests: the
// first test to need them builds every example for every board, the others
// reuse them. TestMain removes the directory.
var built struct {
	sync.Mutex
	dir, harness string
	err          error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if built.dir != "" {
		os.RemoveAll(built.dir)
	}
	os.Exit(code)
}

// build returns the light example (YunWamp) built for the Yun and the
// harness, building everything first when needed.
func build(t *testing.T) (firmware, string) {
	t.Helper()
	return buildFor(t, yun, "YunWamp")
}

// buildFor returns example built for b and the harness, building every
// example for every board with the example's Makefile (once per test binary).
func buildFor(t *testing.T, b board, example string) (firmware, string) {
	t.Helper()
	built.Lock()
	defer built.Unlock()
	if built.harness == "" && built.err == nil {
		built.harness, built.err = makeFirmware(t)
	}
	if built.err != nil {
		t.Fatal(built.err)
	}
	return firmware{b, example, elfPath(b, example)}, built.harness
}

func elfPath(b board, example string) string {
	return filepath.Join(built.dir, b.dir, example+".elf")
}

func makeFirmware(t *testing.T) (harness string, err error) {
	if built.dir, err = os.MkdirTemp("", "yuntest-build-"); err != nil {
		return "", err
	}
	harness = filepath.Join(built.dir, "simharness")
	targets := []string{harness}
	for _, b := range boards {
		for _, e := range examples {
			targets = append(targets, elfPath(b, e))
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	args := append([]string{"-s", "-j2", "-C", exampleDir(), "BUILD=" + built.dir}, targets...)
	if b, err := exec.CommandContext(ctx, "make", args...).CombinedOutput(); err != nil {
		return "", fmt.Errorf("make: %v\n%s", err, b)
	}
	return harness, nil
}

// sim is a running simharness: the firmware's UART on a pty, pin changes
// and command acknowledgements on channels.
type sim struct {
	t     *testing.T
	cmd   *exec.Cmd
	stdin io.WriteCloser
	pty   string
	pin   atomic.Int32  // pin 13's level, as last reported (-1: not yet)
	pinCh chan struct{} // signalled when pin 13 changes
	acks  chan string   // "ADC n", "RESET"
	done  chan struct{}
	mu    sync.Mutex
	log   []string // every stdout line, for failure messages
}

// startSim starts the harness on fw with A0 at mv millivolts; it is
// stopped when the test ends.
func startSim(t *testing.T, harness string, fw firmware, mv int) *sim {
	t.Helper()
	cmd := exec.Command(harness, "-m", fw.board.mcu, "-a", fmt.Sprint(mv), fw.elf)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = io.Discard
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s := &sim{t: t, cmd: cmd, stdin: stdin, pinCh: make(chan struct{}, 1), acks: make(chan string, 8),
		done: make(chan struct{})}
	s.pin.Store(-1)
	ptyc := make(chan string, 1)
	go func() {
		defer close(s.done)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			line := sc.Text()
			s.mu.Lock()
			s.log = append(s.log, line)
			s.mu.Unlock()
			switch {
			case strings.HasPrefix(line, "PTY "):
				ptyc <- strings.TrimPrefix(line, "PTY ")
			case line == "PIN 13 1", line == "PIN 13 0":
				s.pin.Store(int32(line[7] - '0'))
				select {
				case s.pinCh <- struct{}{}:
				default:
				}
			case strings.HasPrefix(line, "ADC "), strings.HasPrefix(line, "MEM "), line == "RESET":
				s.acks <- line
			}
		}
	}()
	t.Cleanup(func() {
		stdin.Close() // end of input: the harness exits
		select {
		case <-s.done:
		case <-time.After(5 * time.Second):
			cmd.Process.Kill()
			<-s.done
		}
		cmd.Wait()
	})
	select {
	case s.pty = <-ptyc:
	case <-s.done:
		t.Fatalf("harness ended before printing its pty: %v", s.lines())
	case <-time.After(10 * time.Second):
		t.Fatalf("harness printed no pty within 10s: %v", s.lines())
	}
	return s
}

func (s *sim) lines() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.log...)
}

// command sends one line to the harness, waits for its acknowledgement,
// which must start with ack, and returns it.
func (s *sim) command(line, ack string) string {
	s.t.Helper()
	if _, err := io.WriteString(s.stdin, line+"\n"); err != nil {
		s.t.Fatalf("harness %q: %v", line, err)
	}
	select {
	case got := <-s.acks:
		if !strings.HasPrefix(got, ack) {
			s.t.Fatalf("harness answered %q to %q, want %q", got, line, ack)
		}
		return got
	case <-time.After(10 * time.Second):
		s.t.Fatalf("harness did not acknowledge %q", line)
		return ""
	}
}

// waitPin waits until pin 13 is at level. The harness reports a change
// when the firmware makes it, before the firmware answers the call that
// caused it, so after such a call the report is at most in transit.
func (s *sim) waitPin(level int, d time.Duration) {
	s.t.Helper()
	deadline := time.After(d)
	for s.pin.Load() != int32(level) {
		select {
		case <-s.pinCh:
		case <-deadline:
			s.t.Fatalf("pin 13 is %d, not %d, after %v", s.pin.Load(), level, d)
		}
	}
}

// minHeadroom is the SRAM a firmware must have left untouched after a test's
// work: the stack's margin.
const minHeadroom = 256

// checkHeadroom fails the test unless at least min bytes of SRAM were never
// written since the harness started (the gap between .bss and the deepest
// stack).
func (s *sim) checkHeadroom(min int) {
	s.t.Helper()
	var free int
	if _, err := fmt.Sscanf(s.command("mem", "MEM "), "MEM %d", &free); err != nil {
		s.t.Fatal(err)
	}
	s.t.Logf("SRAM never written (stack headroom): %d bytes", free)
	if free < min {
		s.t.Fatalf("only %d bytes of SRAM left untouched, want at least %d of headroom", free, min)
	}
}
