package readmetest

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

// section names the part of a README whose fenced sh blocks the test runs: the blocks under the
// heading (an empty heading is the text before the first "## ").
type section struct {
	file, heading string
}

// sections are the README parts that run on a PC with only this repository's binaries.
var sections = []section{
	{file: "README.md", heading: ""},
	{file: "examples/arduino-yun/README.md", heading: "Try the page and the backend without a Yun"},
}

// notRun are the command prefixes of those sections that the test does not run, with the reason. Any
// other command it does not know fails the test, so that a new README command is run or listed here.
var notRun = []struct{ prefix, why string }{
	{"go test ", "the test suite itself"},
	{"sudo ", "installs system packages as root"},
	{"(cd examples/arduino-yun/web && python3 ", "a static web server for a browser, not a binary of this repository"},
	{"NODE_PATH=", "node and the ws package, tested by yuntest's TestPageClient"},
	{"kill ", "the test stops its background processes by PID"},
}

// readmePorts are the fixed ports the READMEs use; the test moves each to a free private port.
var readmePorts = []string{"127.0.0.1:8081", "127.0.0.1:8080"}

// command is one command line of a README's sh block.
type command struct {
	line    string   // the command, without its comment
	comment string   // the trailing "# ..." text
	output  []string // the "#   ..." lines after it: the output the README shows
}

// TestReadmeCommands runs each section's commands in order: lines ending in "&" and gateways
// (sensorbridge, which the README starts in a terminal of its own) start in the background and are
// stopped at the end; the others must exit 0 within a bound and print what the README shows.
func TestReadmeCommands(t *testing.T) {
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("module root not found: %v", err)
	}
	r := &runner{root: root, binDir: t.TempDir(), built: map[string]string{}}
	for _, s := range sections {
		t.Run(s.file, func(t *testing.T) {
			text, err := os.ReadFile(filepath.Join(root, s.file))
			if err != nil {
				t.Fatal(err)
			}
			cmds := shCommands(string(text), s.heading)
			if len(cmds) == 0 {
				t.Fatalf("%s has no sh block under the heading %q", s.file, s.heading)
			}
			r.runSection(t, cmds)
		})
	}
}

// shCommands returns the commands of the fenced sh blocks under heading, in order.
func shCommands(text, heading string) []command {
	var cmds []command
	current, inSh, inFence := "", false, false
	for _, line := range strings.Split(text, "\n") {
		switch {
		case strings.HasPrefix(line, "```"):
			inSh = !inFence && strings.TrimSpace(strings.TrimPrefix(line, "```")) == "sh"
			inFence = !inFence
		case !inFence && strings.HasPrefix(line, "#"):
			level := len(line) - len(strings.TrimLeft(line, "#"))
			current = strings.TrimSpace(line[level:])
			if level == 1 {
				current = "" // the title starts the first screen
			}
		case inSh && current == heading:
			trimmed := strings.TrimSpace(line)
			switch {
			case trimmed == "":
			case strings.HasPrefix(trimmed, "#"):
				if out, ok := strings.CutPrefix(trimmed, "#   "); ok && len(cmds) > 0 {
					cmds[len(cmds)-1].output = append(cmds[len(cmds)-1].output, strings.TrimSpace(out))
				}
			default:
				c := command{line: trimmed}
				if i := commentStart(trimmed); i >= 0 {
					c.line, c.comment = strings.TrimSpace(trimmed[:i]), strings.TrimSpace(trimmed[i+1:])
				}
				cmds = append(cmds, c)
			}
		}
	}
	return cmds
}

// commentStart returns the index of a line's trailing "#" comment (a "#" after a blank, outside
// quotes), or -1.
func commentStart(line string) int {
	var quote byte
	for i := 0; i < len(line); i++ {
		switch c := line[i]; {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '\'' || c == '"':
			quote = c
		case c == '#' && i > 0 && (line[i-1] == ' ' || line[i-1] == '\t'):
			return i
		}
	}
	return -1
}

// runner runs README commands with this repository's binaries, built once.
type runner struct {
	root, binDir string
	built        map[string]string // package path ("./cmd/X") -> binary
}

// sectionRun is the state of one section: where its ports went, what its builds named, what runs.
type sectionRun struct {
	*runner
	dir      string
	ports    map[string]string // README host:port -> private host:port
	binPaths map[string]string // a path the README builds to -> binary
}

func (r *runner) runSection(t *testing.T, cmds []command) {
	s := &sectionRun{runner: r, dir: t.TempDir(), ports: map[string]string{}, binPaths: map[string]string{}}
	for _, p := range readmePorts {
		s.ports[p] = freeAddr(t)
	}
	ran := 0
	for _, c := range cmds {
		if why, skip := notRunReason(c.line); skip {
			t.Logf("not run: %s (%s)", c.line, why)
			continue
		}
		background := strings.HasSuffix(c.line, "&")
		parts := strings.Split(strings.TrimSpace(strings.TrimSuffix(c.line, "&")), "&&")
		for i, part := range parts {
			words := strings.Fields(part)
			if len(words) == 0 || strings.ContainsAny(part, `'"|;<>$`) {
				t.Fatalf("README command %q: the test cannot split it into words; extend readmetest", c.line)
			}
			last := i == len(parts)-1
			if s.build(t, words) {
				if last {
					ran++
				}
				continue
			}
			bin, args, ok := s.binary(t, words)
			if !ok {
				t.Fatalf("README command %q: not a binary of this repository; run it or list it in notRun with the reason", c.line)
			}
			args = s.rewriteArgs(t, args)
			if last && (background || filepath.Base(bin) == "sensorbridge") {
				s.startGateway(t, c, bin, args)
			} else {
				s.runChecked(t, c, bin, args)
			}
			ran++
		}
	}
	if ran == 0 {
		t.Fatal("no README command was run")
	}
}

func notRunReason(line string) (string, bool) {
	for _, n := range notRun {
		if strings.HasPrefix(line, n.prefix) {
			return n.why, true
		}
	}
	return "", false
}

// build handles "go build -o PATH ./cmd/X": later commands naming PATH run the test's build of X.
func (s *sectionRun) build(t *testing.T, words []string) bool {
	if len(words) != 5 || words[0] != "go" || words[1] != "build" || words[2] != "-o" {
		return false
	}
	s.binPaths[words[3]] = s.binaryOf(t, words[4])
	return true
}

// binary maps "go run ./cmd/X args" and "PATH args" (PATH built earlier) to the built binary.
func (s *sectionRun) binary(t *testing.T, words []string) (string, []string, bool) {
	if len(words) >= 3 && words[0] == "go" && words[1] == "run" && strings.HasPrefix(words[2], "./cmd/") {
		return s.binaryOf(t, words[2]), words[3:], true
	}
	if bin, ok := s.binPaths[words[0]]; ok {
		return bin, words[1:], true
	}
	return "", nil, false
}

// binaryOf builds pkg (a "./cmd/X" path) once for the whole test.
func (r *runner) binaryOf(t *testing.T, pkg string) string {
	if bin, ok := r.built[pkg]; ok {
		return bin
	}
	if !strings.HasPrefix(pkg, "./cmd/") {
		t.Fatalf("README builds %s: the test builds only ./cmd/ binaries", pkg)
	}
	bin := filepath.Join(r.binDir, filepath.Base(pkg))
	cmd := exec.Command("go", "build", "-o", bin, pkg)
	cmd.Dir = r.root
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build %s: %v\n%s", pkg, err, out)
	}
	r.built[pkg] = bin
	return bin
}

// rewriteArgs moves the README's ports to the private ones, in the arguments and in the repository
// files the arguments name (a config file is copied with its ports moved).
func (s *sectionRun) rewriteArgs(t *testing.T, args []string) []string {
	out := make([]string, len(args))
	for i, a := range args {
		out[i] = s.movePorts(a)
		if info, err := os.Stat(filepath.Join(s.root, a)); err == nil && info.Mode().IsRegular() {
			data, err := os.ReadFile(filepath.Join(s.root, a))
			if err != nil {
				t.Fatal(err)
			}
			if moved := s.movePorts(string(data)); moved != string(data) {
				out[i] = filepath.Join(s.dir, filepath.Base(a))
				if err := os.WriteFile(out[i], []byte(moved), 0o600); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	return out
}

func (s *sectionRun) movePorts(text string) string {
	for from, to := range s.ports {
		text = strings.ReplaceAll(text, from, to)
	}
	return text
}

var urlInComment = regexp.MustCompile(`\b(?:rs|ws)://[^\s,)]+`)

// startGateway starts a background command, a gateway whose comment names the URLs it serves, and
// waits until each serves on its private port. A sensorbridge given neither listeners nor a config
// file gets the private ports by -listen, and its help must name the comment's URLs as its defaults.
func (s *sectionRun) startGateway(t *testing.T, c command, bin string, args []string) {
	urls := urlInComment.FindAllString(c.comment, -1)
	if len(urls) == 0 {
		t.Fatalf("README command %q runs in the background but its comment names no URL it serves", c.line)
	}
	if filepath.Base(bin) == "sensorbridge" && !slices.Contains(args, "-listen") && !slices.Contains(args, "-config") {
		help, _ := exec.Command(bin, "-h").CombinedOutput()
		defaults := regexp.MustCompile(`\(default [^)]*://[^)]*\)`).FindString(string(help))
		for _, u := range urls {
			if !slices.Contains(strings.Fields(strings.Trim(defaults, "()")), u) {
				t.Errorf("README says %q serves %s, which sensorbridge -h does not list as a default listener: %s", c.line, u, defaults)
			}
			args = append(args, "-listen", s.movePorts(u))
		}
	}
	logFile, err := os.Create(filepath.Join(s.dir, filepath.Base(bin)+".log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, args...)
	cmd.Dir, cmd.Stdout, cmd.Stderr = s.root, logFile, logFile
	if err := cmd.Start(); err != nil {
		t.Fatalf("%q: %v", c.line, err)
	}
	t.Logf("started in the background: %s (run as %s %s)", c.line, filepath.Base(bin), strings.Join(args, " "))
	exited := make(chan struct{}) // closed when the process has ended
	go func() { _ = cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
		logFile.Close()
		if t.Failed() {
			log, _ := os.ReadFile(logFile.Name())
			t.Logf("%s log:\n%s", filepath.Base(bin), log)
		}
	})
	for _, u := range urls {
		parsed, err := url.Parse(s.movePorts(u))
		if err != nil {
			t.Fatalf("README command %q: comment URL %s: %v", c.line, u, err)
		}
		if parsed.Port() == "" {
			t.Fatalf("README command %q: comment URL %s has no host:port", c.line, u)
		}
		waitServing(t, c, parsed.Host, exited)
	}
}

// waitServing waits until addr accepts connections, for at most 20 s, failing if the gateway exits.
func waitServing(t *testing.T, c command, addr string, exited <-chan struct{}) {
	deadline := time.Now().Add(20 * time.Second)
	for {
		conn, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			conn.Close()
			return
		}
		select {
		case <-exited:
			t.Fatalf("README command %q exited before serving %s (its log follows)", c.line, addr)
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("README command %q: nothing serves %s after 20 s", c.line, addr)
		}
	}
}

// runChecked runs a foreground command, bounded by 30 s, and checks that it exits 0 with the output
// the README shows.
func (s *sectionRun) runChecked(t *testing.T, c command, bin string, args []string) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Dir = s.root
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("README command %q (run as %s %s): %v\nstdout:\n%s\nstderr:\n%s", c.line, filepath.Base(bin),
			strings.Join(args, " "), err, stdout.String(), stderr.String())
	}
	lines := nonEmptyLines(stdout.String())
	if err := checkOutput(c, lines); err != nil {
		t.Errorf("README command %q: %v\nstdout:\n%s", c.line, err, stdout.String())
		return
	}
	t.Logf("ran: %s -> %d line(s) as the README shows", c.line, len(lines))
}

func nonEmptyLines(text string) []string {
	var lines []string
	sc := bufio.NewScanner(strings.NewReader(text))
	for sc.Scan() {
		if l := strings.TrimSpace(sc.Text()); l != "" {
			lines = append(lines, l)
		}
	}
	return lines
}

var (
	printsComment  = regexp.MustCompile(`(?:^|\bprints:?\s+)([\[{].*)$`)
	readingComment = regexp.MustCompile(`^(\w+) readings?, one JSON line each`)
	numberWords    = map[string]int{"one": 1, "two": 2, "three": 3, "four": 4, "five": 5}
)

// checkOutput checks lines against what the README shows: the "#   " lines under the command, or
// its comment ("prints [true]", "[true]", "three readings, one JSON line each").
func checkOutput(c command, lines []string) error {
	want := c.output
	if len(want) == 0 {
		if m := printsComment.FindStringSubmatch(c.comment); m != nil {
			want = []string{strings.TrimSpace(m[1])}
		}
	}
	if len(want) > 0 {
		if len(lines) != len(want) {
			return fmt.Errorf("printed %d line(s), the README shows %d: %q", len(lines), len(want), want)
		}
		for i := range want {
			if err := sameShape(want[i], lines[i]); err != nil {
				return fmt.Errorf("line %d: %v", i+1, err)
			}
		}
		return nil
	}
	m := readingComment.FindStringSubmatch(c.comment)
	if m == nil {
		return fmt.Errorf("the README shows no output the test can check (comment %q); show it after \"prints\" or on \"#   \" lines", c.comment)
	}
	n, ok := numberWords[m[1]]
	if !ok {
		return fmt.Errorf("comment %q: unknown count %q", c.comment, m[1])
	}
	if len(lines) != n {
		return fmt.Errorf("printed %d line(s), the README says %d", len(lines), n)
	}
	for i, l := range lines {
		if !json.Valid([]byte(l)) {
			return fmt.Errorf("line %d is not JSON: %s", i+1, l)
		}
	}
	return nil
}

// sameShape compares a printed line with the README's: equal text, or, for JSON, the same
// structure, keys, strings and booleans, where numbers (readings) and timestamps may differ.
func sameShape(want, got string) error {
	var w, g any
	if json.Unmarshal([]byte(want), &w) != nil {
		if want != got {
			return fmt.Errorf("printed %q, the README shows %q", got, want)
		}
		return nil
	}
	if err := json.Unmarshal([]byte(got), &g); err != nil {
		return fmt.Errorf("printed %q, not JSON as the README shows (%s)", got, want)
	}
	if err := shapeDiff(w, g, ""); err != nil {
		return fmt.Errorf("printed %s, the README shows %s: %v", got, want, err)
	}
	return nil
}

func shapeDiff(w, g any, at string) error {
	switch w := w.(type) {
	case map[string]any:
		gm, ok := g.(map[string]any)
		if !ok || len(gm) != len(w) {
			return fmt.Errorf("at %q: want an object with keys %v", at, keys(w))
		}
		for k, wv := range w {
			gv, ok := gm[k]
			if !ok {
				return fmt.Errorf("at %q: no key %q", at, k)
			}
			if err := shapeDiff(wv, gv, at+"."+k); err != nil {
				return err
			}
		}
	case []any:
		ga, ok := g.([]any)
		if !ok || len(ga) != len(w) {
			return fmt.Errorf("at %q: want an array of %d", at, len(w))
		}
		for i := range w {
			if err := shapeDiff(w[i], ga[i], fmt.Sprintf("%s[%d]", at, i)); err != nil {
				return err
			}
		}
	case float64:
		if _, ok := g.(float64); !ok {
			return fmt.Errorf("at %q: want a number", at)
		}
	case string:
		gs, ok := g.(string)
		if _, err := time.Parse(time.RFC3339Nano, w); err == nil && ok {
			if _, err := time.Parse(time.RFC3339Nano, gs); err != nil {
				return fmt.Errorf("at %q: want a time", at)
			}
		} else if !ok || gs != w {
			return fmt.Errorf("at %q: want %q", at, w)
		}
	default: // bool, null
		if w != g {
			return fmt.Errorf("at %q: want %v", at, w)
		}
	}
	return nil
}

func keys(m map[string]any) []string {
	return slices.Sorted(func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	})
}

// freeAddr returns a loopback host:port that was free a moment ago.
func freeAddr(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}
