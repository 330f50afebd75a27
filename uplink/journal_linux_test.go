package uplink

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestJournalFullDisk runs the queue's journal on a 256 KiB tmpfs, mounted
// in a private mount namespace by a child test process (root only): while
// the disk is full the queue goes on in memory and says how many events
// the journal lacks; once space returns the journal is written again
// within a retry, and a queue reopened from it (as after kill -9: nothing
// is buffered in the process) holds every event not delivered.
func TestJournalFullDisk(t *testing.T) {
	dir := os.Getenv("EDGEWAMP_TEST_TMPFS")
	if dir == "" {
		if os.Geteuid() != 0 {
			t.Skip("needs root to mount a tmpfs in a private mount namespace")
		}
		cmd := exec.Command(os.Args[0], "-test.run=^TestJournalFullDisk$", "-test.v", "-test.count=1")
		cmd.Env = append(os.Environ(), "EDGEWAMP_TEST_TMPFS="+t.TempDir())
		cmd.SysProcAttr = &syscall.SysProcAttr{Unshareflags: syscall.CLONE_NEWNS}
		out, err := cmd.CombinedOutput()
		t.Logf("child:\n%s", out)
		if errors.Is(err, syscall.EPERM) || strings.Contains(string(out), "--- SKIP: TestJournalFullDisk") {
			t.Skip("no private mount namespace or tmpfs here")
		}
		if err != nil {
			t.Fatalf("child: %v", err)
		}
		if !strings.Contains(string(out), "--- PASS: TestJournalFullDisk") {
			t.Fatal("child did not run the test")
		}
		return
	}
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, "size=256k"); err != nil {
		t.Skipf("mount tmpfs: %v", err) // a container without CAP_SYS_ADMIN
	}
	defer syscall.Unmount(dir, 0)
	path, log, logs := journalAt(t)
	path = filepath.Join(dir, filepath.Base(path))
	q := openQueue(t, 10000, path, log)
	pushReadings(q, seq(0, 50)...)

	filler := fillDisk(t, dir)
	pushReadings(q, seq(50, 250)...)
	// The journal's last page may have taken a few more records.
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	onDisk := strings.Count(string(data), "\n+")
	if st := q.stats(); st.memoryOnly != 250-onDisk || st.memoryOnly < 100 || st.queued != 250 {
		t.Fatalf("disk full: stats %+v, want %d of 250 in memory only", st, 250-onDisk)
	}
	if !strings.Contains(logs.String(), "memory_only=") {
		t.Errorf("log says nothing of the events in memory only:\n%s", logs)
	}
	for range 10 {
		q.pop() // delivered while the disk is full
	}
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for q.stats().memoryOnly != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("journal not written again after space returned: %+v\n%s", q.stats(), logs)
		}
		time.Sleep(10 * time.Millisecond)
	}
	pushReadings(q, seq(250, 350)...)
	if !strings.Contains(logs.String(), "written again") {
		t.Errorf("log does not say the journal is written again:\n%s", logs)
	}

	// kill -9: the process keeps nothing the journal lacks; reopen.
	q2 := openQueue(t, 10000, path, log)
	got := readings(q2)
	if fmt.Sprint(got) != fmt.Sprint(seq(10, 350)) {
		t.Errorf("reopened queue holds %d events %v..., want 10..349", len(got), got[:min(len(got), 5)])
	}
	if st := q2.stats(); st.damaged != 0 {
		t.Errorf("reopened: %+v", st)
	}
}

// fillDisk fills the file system of dir and returns the file that does.
func fillDisk(t *testing.T, dir string) string {
	t.Helper()
	name := filepath.Join(dir, "filler")
	f, err := os.Create(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	block := make([]byte, 4096)
	for {
		if _, err := f.Write(block); err != nil {
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatal(err)
			}
			return name
		}
	}
}

// seq returns the ints from lo to hi-1.
func seq(lo, hi int) []int {
	s := make([]int, 0, hi-lo)
	for i := lo; i < hi; i++ {
		s = append(s, i)
	}
	return s
}
