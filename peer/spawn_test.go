//go:build !edgewamp_board

package peer

import (
	"sync"
	"testing"
	"time"
)

// TestGoNeverWaits starts more blocking tasks than there are spare
// goroutines: every one must start (Go falls back to new goroutines), and
// once they are done the spare goroutines end after spareIdle.
func TestGoNeverWaits(t *testing.T) {
	UseSpares()
	const tasks = 2 * maxSpare
	var started, done sync.WaitGroup
	release := make(chan struct{})
	started.Add(tasks)
	done.Add(tasks)
	for range tasks {
		Go(func() {
			started.Done()
			<-release
			done.Done()
		})
		if n := spareCount.Load(); n > maxSpare {
			t.Fatalf("%d spare goroutines, at most %d allowed", n, maxSpare)
		}
	}
	waitGroup(t, &started, "every task started")
	close(release)
	waitGroup(t, &done, "every task done")
	deadline := time.Now().Add(spareIdle + 10*time.Second)
	for spareCount.Load() > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("%d spare goroutines still running %v after the last task", spareCount.Load(), spareIdle+10*time.Second)
		}
		time.Sleep(10 * time.Millisecond) // polling for the idle ones to end
	}
}

// TestGoRunsTasksOnce runs tasks one after another: each runs exactly
// once, on at most maxSpare spare goroutines.
func TestGoRunsTasksOnce(t *testing.T) {
	UseSpares()
	const tasks = 200
	runs := make([]int, tasks)
	for i := range tasks {
		ran := make(chan struct{})
		Go(func() { runs[i]++; close(ran) })
		select {
		case <-ran:
		case <-time.After(10 * time.Second):
			t.Fatalf("task %d did not run within 10s", i)
		}
	}
	for i, n := range runs {
		if n != 1 {
			t.Fatalf("task %d ran %d times", i, n)
		}
	}
	if n := spareCount.Load(); n > maxSpare {
		t.Fatalf("%d spare goroutines, at most %d allowed", n, maxSpare)
	}
}

// waitGroup waits for wg, failing after 10s.
func waitGroup(t *testing.T, wg *sync.WaitGroup, what string) {
	t.Helper()
	ch := make(chan struct{})
	go func() { wg.Wait(); close(ch) }()
	select {
	case <-ch:
	case <-time.After(10 * time.Second):
		t.Fatalf("%s: not within 10s", what)
	}
}

// BenchmarkGo hands a task to an idle spare goroutine and waits for it to
// run: the hand-off of each resumed connection and each writer run.
func BenchmarkGo(b *testing.B) {
	UseSpares()
	done := make(chan struct{})
	task := func() { done <- struct{}{} }
	Go(task)
	<-done
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		Go(task)
		<-done
	}
}
