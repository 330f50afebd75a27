package memtest_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"runtime/pprof"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/edgewamp/edgewamp/internal/memtest"
	"github.com/edgewamp/edgewamp/listen"
	"github.com/edgewamp/edgewamp/minirouter"
	"github.com/edgewamp/edgewamp/rawsocket"
	"github.com/edgewamp/edgewamp/wamp"
)

// idleClientsEnv, set in the environment of this test binary, makes it the
// client process of TestIdleSessionHeap: it joins that many sessions to the
// router at idleAddrEnv, prints "ready" and holds them until its stdin
// closes.
const (
	idleClientsEnv = "EDGEWAMP_MEMTEST_IDLE_CLIENTS"
	idleAddrEnv    = "EDGEWAMP_MEMTEST_IDLE_ADDR"
)

// idleSessionBudget bounds the live heap one joined, idle RawSocket session
// holds in a router served as sensorbridge serves it (the router's default
// Config, listen's RawSocket listener): the session and its connection,
// the transport's and the net package's state, and their map entries
// (about 740 bytes on linux/amd64; BENCHMARKS.md lists them).
const idleSessionBudget = 850

func TestMain(m *testing.M) {
	if n, err := strconv.Atoi(os.Getenv(idleClientsEnv)); err == nil {
		os.Exit(holdIdleClients(os.Getenv(idleAddrEnv), n))
	}
	os.Exit(m.Run())
}

// holdIdleClients is the client process: it joins n sessions at addr and
// holds them until stdin closes.
func holdIdleClients(addr string, n int) int {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	conns := make([]*rawsocket.Conn, 0, n)
	for range n {
		c, err := rawsocket.Dial(ctx, "tcp", addr, rawsocket.ClientConfig{Serializer: wamp.MsgPack})
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		hello := &wamp.Hello{Realm: minirouter.DefaultRealm, Details: wamp.Dict{"roles": wamp.Dict{"publisher": wamp.Dict{}, "subscriber": wamp.Dict{}, "caller": wamp.Dict{}, "callee": wamp.Dict{}}}}
		b, err := wamp.MsgPack.AppendMessage(nil, hello)
		if err == nil {
			err = c.WriteMessages([][]byte{b})
		}
		if err == nil {
			b, err = c.ReadMessage()
		}
		if err == nil {
			var m wamp.Message
			if m, err = wamp.MsgPack.DecodeMessage(b); err == nil && m.Type() != wamp.WELCOME {
				err = fmt.Errorf("%v instead of WELCOME", m)
			}
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "join:", err)
			return 1
		}
		conns = append(conns, c)
	}
	fmt.Println("ready")
	bufio.NewReader(os.Stdin).ReadString('\n')
	for _, c := range conns {
		c.Close()
	}
	return 0
}

// TestIdleSessionHeap joins idle sessions from another process (so that
// the heap measured is the router's alone) and bounds the live heap each
// one holds once parked. EDGEWAMP_MEMTEST_SESSIONS=N joins N sessions
// instead of 1,000; with EDGEWAMP_MEMTEST_PROFILE=FILE it writes a heap
// profile of every allocation (runtime.MemProfileRate 1) to FILE, for
// `go tool pprof -sample_index=inuse_space -lines -top FILE`.
func TestIdleSessionHeap(t *testing.T) {
	if testing.Short() {
		t.Skip("joins 1,000 sessions from a second process")
	}
	if runtime.GOOS != "linux" {
		t.Skip("idle sessions park without a goroutine on Linux only")
	}
	n := 1000
	if v, err := strconv.Atoi(os.Getenv("EDGEWAMP_MEMTEST_SESSIONS")); err == nil {
		n = v
	}
	profile := os.Getenv("EDGEWAMP_MEMTEST_PROFILE")
	if profile != "" {
		runtime.MemProfileRate = 1
	}
	r, err := minirouter.New(minirouter.Config{MaxSessions: n + 100})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	nl, err := listen.Open("rs://127.0.0.1:0", listen.Config{}) // as sensorbridge opens it
	if err != nil {
		t.Fatal(err)
	}
	go nl.Serve(r)
	defer nl.Close()

	// Warm up: the first sessions grow the router's maps and pools, which
	// is no session's own cost.
	holdClients(t, nl.Addr(), 50)
	waitSessions(t, r, 50)

	before := memtest.Heap()
	var msBefore, msAfter runtime.MemStats
	runtime.ReadMemStats(&msBefore)
	release := holdClients(t, nl.Addr(), n)
	waitSessions(t, r, n+50)
	time.Sleep(500 * time.Millisecond) // the readers park (after 10ms without input)
	after := memtest.Heap()
	runtime.ReadMemStats(&msAfter)
	per := float64(int64(after)-int64(before)) / float64(n)
	perSession := func(a, b uint64) float64 { return float64(int64(b)-int64(a)) / float64(n) }
	t.Logf("%d idle sessions: %.0f bytes of live heap each; in use in spans %.0f, other runtime %.0f, stacks %.0f",
		n, per, perSession(msBefore.HeapInuse, msAfter.HeapInuse), perSession(msBefore.OtherSys, msAfter.OtherSys),
		perSession(msBefore.StackInuse, msAfter.StackInuse))
	if profile != "" {
		f, err := os.Create(profile)
		if err != nil {
			t.Fatal(err)
		}
		if err := pprof.Lookup("heap").WriteTo(f, 0); err != nil {
			t.Fatal(err)
		}
		f.Close()
	}
	if per > idleSessionBudget {
		t.Errorf("an idle session holds %.0f bytes of live heap, budget %d", per, idleSessionBudget)
	}
	release()
}

// holdClients starts a client process holding n sessions joined to addr
// and returns the function that lets them go.
func holdClients(t *testing.T, addr string, n int) (release func()) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), idleClientsEnv+"="+strconv.Itoa(n), idleAddrEnv+"="+addr)
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var once sync.Once
	release = func() {
		once.Do(func() {
			in.Close()
			cmd.Wait()
		})
	}
	t.Cleanup(release)
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil || line != "ready\n" {
		t.Fatalf("client process: %q, %v", line, err)
	}
	return release
}

// waitSessions waits (polling, at most a minute) until r has n sessions.
func waitSessions(t *testing.T, r *minirouter.Router, n int) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for r.Stats().Sessions < uint64(n) {
		if time.Now().After(deadline) {
			t.Fatalf("%d sessions joined, want %d", r.Stats().Sessions, n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
