//go:build linux

package ptytest

import (
	"bytes"
	"io"
	"os"
	"testing"
	"time"
)

func TestOpenRaw(t *testing.T) {
	p, err := Open()
	if err != nil {
		t.Skipf("no pty here: %v", err)
	}
	defer p.Close()
	s, err := os.OpenFile(p.SlavePath, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	// every byte value passes both ways untouched (raw mode)
	all := make([]byte, 256)
	for i := range all {
		all[i] = byte(i)
	}
	if _, err := p.Master.Write(all); err != nil {
		t.Fatal(err)
	}
	got := make([]byte, 256)
	s.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.ReadFull(s, got); err != nil || !bytes.Equal(got, all) {
		t.Fatalf("master->slave: % x, %v", got, err)
	}
	if _, err := s.Write(all); err != nil {
		t.Fatal(err)
	}
	p.Master.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.ReadFull(p.Master, got); err != nil || !bytes.Equal(got, all) {
		t.Fatalf("slave->master: % x, %v", got, err)
	}
}
