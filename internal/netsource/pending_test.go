package netsource

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"
)

// admitAll admits a connection from each source in srcs, in order, named by source and number
// ("a1", "a2", "b1"), and returns the tickets and the names of those closed so far (appended as
// they are closed).
func admitAll(p *Pending, srcs string) (map[string]*Ticket, *[]string) {
	closed := &[]string{}
	tickets := map[string]*Ticket{}
	count := map[byte]int{}
	for i := range len(srcs) {
		count[srcs[i]]++
		name := fmt.Sprintf("%c%d", srcs[i], count[srcs[i]])
		tickets[name] = p.Admit(fmt.Sprint("192.0.2.", srcs[i]-'a'+1), func() { *closed = append(*closed, name) })
	}
	return tickets, closed
}

func TestPendingEvicts(t *testing.T) {
	for _, tt := range []struct {
		name        string
		max, perSrc int
		srcs        string // one admission per letter, each letter a source
		closed      []string
	}{
		{"within the caps", 4, 2, "abab", nil},
		{"per source: its oldest goes", 8, 2, "aaab", []string{"a1"}},
		{"full: the fullest source's oldest goes", 4, 0, "baaab", []string{"a1"}},
		{"full: a flood from one source costs only it", 3, 0, "aaabcaa", []string{"a1", "a2", "a3", "a4"}},
		{"full, all equal: the oldest goes", 2, 0, "abc", []string{"a1"}},
		{"both caps", 3, 2, "aaabc", []string{"a1", "a2"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p := &Pending{Max: tt.max, MaxPerSource: tt.perSrc}
			_, closed := admitAll(p, tt.srcs)
			if !slices.Equal(*closed, tt.closed) {
				t.Errorf("closed %v, want %v", *closed, tt.closed)
			}
			if want := len(tt.srcs) - len(tt.closed); p.Len() != want || p.Evicted() != uint64(len(tt.closed)) {
				t.Errorf("Len %d, Evicted %d; want %d, %d", p.Len(), p.Evicted(), want, len(tt.closed))
			}
		})
	}
}

func TestPendingDone(t *testing.T) {
	p := &Pending{Max: 2}
	tickets, closed := admitAll(p, "ab")
	if !tickets["a1"].Done() || !tickets["a1"].Done() { // idempotent
		t.Fatal("Done reported a ticket nobody closed as closed")
	}
	if p.Len() != 1 {
		t.Fatalf("Len %d after Done", p.Len())
	}
	admitAll(p, "c")
	if len(*closed) != 0 {
		t.Errorf("closed %v with room left", *closed)
	}
}

// TestPendingDoneAfterClose: a handshake that finishes just as its connection is evicted, or its time
// runs out, learns it from Done: the connection is being closed, so it must not be answered as a success
// (a client would join, then lose its connection unexplained; the server would count the end wrongly).
func TestPendingDoneAfterClose(t *testing.T) {
	p := &Pending{MaxPerSource: 1, LimitLocal: true}
	tickets, closed := admitAll(p, "aa")
	if want := []string{"a1"}; !slices.Equal(*closed, want) {
		t.Fatalf("closed %v, want %v", *closed, want)
	}
	if tickets["a1"].Done() || tickets["a1"].Done() {
		t.Error("Done reported true for an evicted connection")
	}
	if !tickets["a2"].Done() {
		t.Error("Done reported false for the connection that stayed")
	}
	tp := &Pending{Timeout: time.Millisecond}
	expired := make(chan struct{})
	tk := tp.Admit("192.0.2.1", func() { close(expired) })
	<-expired
	if tk.Done() {
		t.Error("Done reported true after the connection's time ran out")
	}
}

func TestPendingLocal(t *testing.T) {
	// Loopback sources are capped per source only with LimitLocal, but the total cap takes from the fullest.
	p := &Pending{Max: 3, MaxPerSource: 1}
	var closed []string
	for i, src := range []string{"127.0.0.1", "127.0.0.1", "127.0.0.2", "127.0.0.1"} {
		p.Admit(src, func() { closed = append(closed, fmt.Sprint(src, "#", i)) })
	}
	if want := []string{"127.0.0.1#0"}; !slices.Equal(closed, want) {
		t.Errorf("closed %v, want %v", closed, want)
	}
	lp := &Pending{MaxPerSource: 1, LimitLocal: true}
	closed = nil
	for i, src := range []string{"local", "local"} {
		lp.Admit(src, func() { closed = append(closed, fmt.Sprint(src, "#", i)) })
	}
	if want := []string{"local#0"}; !slices.Equal(closed, want) {
		t.Errorf("LimitLocal: closed %v, want %v", closed, want)
	}
}

func TestPendingTimeout(t *testing.T) {
	p := &Pending{Timeout: 20 * time.Millisecond}
	expired := make(chan struct{})
	p.Admit("192.0.2.1", func() { close(expired) })
	done := p.Admit("192.0.2.1", func() { t.Error("a connection done in time was closed") })
	if !done.Done() {
		t.Error("Done reported false for a connection done in time")
	}
	select {
	case <-expired:
	case <-time.After(5 * time.Second):
		t.Fatal("not closed after Timeout")
	}
	time.Sleep(50 * time.Millisecond)
	if p.Len() != 0 || p.Expired() != 1 {
		t.Errorf("Len %d, Expired %d", p.Len(), p.Expired())
	}
}

// TestPendingListener: connections a Pending listener accepted stay pending until Done (through a
// wrapper with NetConn) or Close.
func TestPendingListener(t *testing.T) {
	nl, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &Pending{Max: 8}
	l := p.Listener(nl)
	defer l.Close()
	for range 2 {
		c, err := net.Dial("tcp", nl.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
	}
	a, err := l.Accept()
	if err != nil {
		t.Fatal(err)
	}
	b, err := l.Accept()
	if err != nil {
		t.Fatal(err)
	}
	if p.Len() != 2 || !Admitted(wrapped{a}) || Admitted(wrapped{}) {
		t.Fatalf("Len %d, Admitted %v", p.Len(), Admitted(wrapped{a}))
	}
	if !Done(wrapped{a}) || p.Len() != 1 {
		t.Errorf("Done through a wrapper: Len %d", p.Len())
	}
	b.Close()
	if p.Len() != 0 {
		t.Errorf("Len %d after Close", p.Len())
	}
	if got := Of(a); got != "127.0.0.1" {
		t.Errorf("Of = %q", got)
	}
}

// wrapped is a connection that wraps another, as *tls.Conn does.
type wrapped struct{ net.Conn }

func (w wrapped) NetConn() net.Conn { return w.Conn }

// TestOfUnix: a Unix-socket client's source is its process.
func TestOfUnix(t *testing.T) {
	nl, err := net.Listen("unix", filepath.Join(t.TempDir(), "s"))
	if err != nil {
		t.Fatal(err)
	}
	defer nl.Close()
	c, err := net.Dial("unix", nl.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	s, err := nl.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	want := "local"
	if runtime.GOOS == "linux" {
		want = fmt.Sprintf("unix uid %d pid %d", os.Getuid(), os.Getpid())
	}
	if got := Of(s); got != want || !Local(got) {
		t.Errorf("Of = %q, want %q (and local)", got, want)
	}
	if !strings.HasPrefix(Of(wrapped{s}), "unix") && runtime.GOOS == "linux" {
		t.Errorf("Of through a wrapper = %q", Of(wrapped{s}))
	}
}
