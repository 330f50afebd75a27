package uplink

import (
	"bytes"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/edgewamp/edgewamp/minirouter"
	"github.com/edgewamp/edgewamp/wamp"
)

// journalAt returns a journal path in a fresh directory and a logger
// writing into logs.
func journalAt(t *testing.T) (path string, log *slog.Logger, logs *bytes.Buffer) {
	logs = new(bytes.Buffer)
	return filepath.Join(t.TempDir(), "q"), slog.New(slog.NewTextHandler(logs, nil)), logs
}

// openQueue opens the queue at path, closed at the test's end.
func openQueue(t *testing.T, max int, path string, log *slog.Logger) *eventQueue {
	t.Helper()
	q, err := newEventQueue(max, path, log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(q.close)
	return q
}

// pushReadings pushes a reading per value, on topic "t".
func pushReadings(q *eventQueue, values ...int) {
	for _, v := range values {
		q.push(queuedEvent{topic: "t", p: wamp.Payload{Args: wamp.List{v}}})
	}
}

// readings returns the values of the events q holds, in order.
func readings(q *eventQueue) []int64 {
	q.mu.Lock()
	defer q.mu.Unlock()
	var vs []int64
	for _, ev := range q.items {
		vs = append(vs, ev.p.Args[0].(int64))
	}
	return vs
}

// editJournal rewrites the journal's line holding old (the first one) with
// edit applied.
func editJournal(t *testing.T, path, old string, edit func(line string) string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitAfter(string(data), "\n")
	for i, l := range lines {
		if strings.Contains(l, old) {
			lines[i] = edit(l)
			if err := os.WriteFile(path, []byte(strings.Join(lines, "")), 0o600); err != nil {
				t.Fatal(err)
			}
			return
		}
	}
	t.Fatalf("no journal line holds %q:\n%s", old, data)
}

// TestJournalAlteredRecordSkipped alters a reading in the journal (42 ->
// 4042, still valid JSON): the reopened queue skips that record, counts
// and logs it, keeps the damaged file aside, and delivers its neighbours.
func TestJournalAlteredRecordSkipped(t *testing.T) {
	path, log, logs := journalAt(t)
	q := openQueue(t, 10, path, log)
	pushReadings(q, 41, 42, 43)
	q.close()
	editJournal(t, path, "[42]", func(l string) string { return strings.Replace(l, "[42]", "[4042]", 1) })

	q2 := openQueue(t, 10, path, log)
	if got := fmt.Sprint(readings(q2)); got != "[41 43]" {
		t.Errorf("recovered %s, want [41 43]", got)
	}
	if st := q2.stats(); st.damaged != 1 || st.queued != 2 {
		t.Errorf("stats %+v, want 1 damaged, 2 queued", st)
	}
	if !strings.Contains(logs.String(), "damaged_records=1") {
		t.Errorf("log says nothing of the damage:\n%s", logs)
	}
	if kept, err := os.ReadFile(path + ".damaged"); err != nil || !strings.Contains(string(kept), "4042") {
		t.Errorf("damaged journal not kept aside: %v", err)
	}
	// The rewritten journal holds the two, whole.
	q2.close()
	if q3 := openQueue(t, 10, path, log); fmt.Sprint(readings(q3)) != "[41 43]" || q3.stats().damaged != 0 {
		t.Errorf("after rewrite: %v, %+v", readings(q3), q3.stats())
	}
}

// TestJournalAllGarbage opens a journal that is nothing but garbage: no
// event comes out of it, and the log says how many records were lost.
func TestJournalAllGarbage(t *testing.T) {
	path, log, logs := journalAt(t)
	rng := rand.New(rand.NewPCG(1, 2))
	var garbage []byte
	for range 50 {
		line := make([]byte, 20+rng.IntN(100))
		for i := range line {
			line[i] = byte(rng.IntN(256))
			if line[i] == '\n' {
				line[i] = 0
			}
		}
		garbage = append(append(garbage, line...), '\n')
	}
	if err := os.WriteFile(path, garbage, 0o600); err != nil {
		t.Fatal(err)
	}
	q := openQueue(t, 10, path, log)
	if st := q.stats(); st.queued != 0 || st.damaged != 50 {
		t.Errorf("stats %+v, want nothing queued, 50 damaged", st)
	}
	if !strings.Contains(logs.String(), "damaged_records=50") {
		t.Errorf("log does not count the lost records:\n%s", logs)
	}
	if kept, err := os.ReadFile(path + ".damaged"); err != nil || !bytes.Equal(kept, garbage) {
		t.Errorf("garbage journal not kept aside: %v", err)
	}
}

// TestJournalDamageLosesOnlyItself damages the journal after some events
// were delivered, in a delivered record and in one waiting: only the
// waiting damaged one is lost, not its neighbours. A record cut short
// (a write cut by a crash) costs that record alone too, and new events
// are numbered past every number the damaged records may have held.
func TestJournalDamageLosesOnlyItself(t *testing.T) {
	path, log, _ := journalAt(t)
	q := openQueue(t, 100, path, log)
	pushReadings(q, 1, 2, 3, 4, 5)
	q.pop() // 1 delivered
	pushReadings(q, 6, 7, 8, 9, 10)
	q.pop() // 2
	q.pop() // 3
	q.close()
	flip := func(l string) string { return strings.Replace(l, "\"t\"", "\"u\"", 1) }
	editJournal(t, path, "[2]", flip) // delivered
	editJournal(t, path, "[6]", flip) // waiting
	editJournal(t, path, "[10]", func(l string) string { return l[:len(l)/2] })

	q2 := openQueue(t, 100, path, log)
	if got := fmt.Sprint(readings(q2)); got != "[4 5 7 8 9]" {
		t.Errorf("recovered %s, want [4 5 7 8 9]", got)
	}
	if st := q2.stats(); st.damaged != 3 {
		t.Errorf("stats %+v, want 3 damaged", st)
	}
	pushReadings(q2, 11)
	q2.mu.Lock()
	last := q2.items[len(q2.items)-1].seq
	q2.mu.Unlock()
	if last <= 10 {
		t.Errorf("new event numbered %d: may repeat a number a damaged record held", last)
	}
}

// TestJournalVersion1 reads a journal in the format before checks (no
// header, "+" PUBLISH and "-") once, and writes it again as version 2.
func TestJournalVersion1(t *testing.T) {
	path, log, _ := journalAt(t)
	var v1 []byte
	for i := range 4 {
		pub := &wamp.Publish{Request: 1, Options: wamp.Dict{wamp.PubSeqKey: wamp.List{uint64(77), uint64(i + 1)}},
			Topic: "t", Payload: wamp.Payload{Args: wamp.List{i}}}
		b, err := wamp.JSON.AppendMessage([]byte{'+'}, pub)
		if err != nil {
			t.Fatal(err)
		}
		v1 = append(b, '\n')
		if err := appendFile(path, v1); err != nil {
			t.Fatal(err)
		}
	}
	if err := appendFile(path, []byte("-\n")); err != nil {
		t.Fatal(err)
	}
	q := openQueue(t, 10, path, log)
	if got := fmt.Sprint(readings(q)); got != "[1 2 3]" || q.stream != 77 || q.nextSeq != 5 || q.stats().damaged != 0 {
		t.Fatalf("recovered %s stream %d next %d %+v", got, q.stream, q.nextSeq, q.stats())
	}
	q.close()
	data, _ := os.ReadFile(path)
	if !strings.HasPrefix(string(data), journalHeader+"\n+") {
		t.Errorf("not rewritten as version 2:\n%s", data)
	}
	if q2 := openQueue(t, 10, path, log); fmt.Sprint(readings(q2)) != "[1 2 3]" {
		t.Errorf("version 2 reopened: %v", readings(q2))
	}
}

func appendFile(path string, b []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	_, err = f.Write(b)
	if err2 := f.Close(); err == nil {
		err = err2
	}
	return err
}

// TestStatsShowDamagedJournal checks that Uplink.Stats counts the damaged
// records of the queue file it opened.
func TestStatsShowDamagedJournal(t *testing.T) {
	path, _, _ := journalAt(t)
	if err := os.WriteFile(path, []byte(journalHeader+"\n+00000000 [16,1,{},\"t\"]\nnoise\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	r, err := minirouter.New(minirouter.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	u, err := New(r, Config{URL: "rs://127.0.0.1:1", QueueFile: path, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer u.q.close()
	if st := u.Stats(); st.QueueFileDamaged != 2 || st.Queued != 0 || st.QueueMemoryOnly != 0 {
		t.Errorf("stats %+v, want 2 damaged records, nothing queued", st)
	}
}
