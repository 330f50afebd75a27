package minirouter

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/edgewamp/edgewamp/wamp"
)

// A realm's history file (RealmConfig.HistoryFile) holds its kept events so
// that they survive a restart: historyMagic, then one record per event in
// order of occurrence, each a 4-byte big-endian length and a MessagePack
// PUBLISH [16, publication, {t, d, xa, xr, ea, er}, topic, args, kwargs]
// (t: Unix nanoseconds, d: details, then the authid/authrole filters). It
// is rewritten whole, at most once per historyFlushInterval and when the
// router stops, through a temporary file that is synced and renamed over
// it, so a crash leaves the old file or the new one, never a mix. At
// start, records are read up to the first damaged one (counted in
// FileErrors and logged) and given to the current rules; events no rule
// wants any more are left out.
var historyMagic = []byte("edgewamp-history-1\n")

// encodeHistory returns the file's bytes for evs.
func encodeHistory(evs []*storedEvent) ([]byte, error) {
	b := bytes.Clone(historyMagic)
	for _, ev := range evs {
		o := wamp.Dict{"t": ev.at.UnixNano(), "d": ev.details}
		for k, v := range map[string][]string{"xa": ev.filter.excludeAuthID, "xr": ev.filter.excludeAuthRole,
			"ea": ev.filter.eligibleAuthID, "er": ev.filter.eligibleAuthRole} {
			if v != nil {
				l := make(wamp.List, len(v))
				for i, s := range v {
					l[i] = s
				}
				o[k] = l
			}
		}
		start := len(b)
		b = append(b, 0, 0, 0, 0)
		var err error
		b, err = wamp.MsgPack.AppendMessage(b, &wamp.Publish{Request: ev.pub, Options: o, Topic: ev.topic, Payload: ev.payload})
		if err != nil {
			return nil, fmt.Errorf("event %d on %s: %w", ev.pub, ev.topic, err)
		}
		binary.BigEndian.PutUint32(b[start:], uint32(len(b)-start-4))
	}
	return b, nil
}

// decodeHistory reads the events of a history file, up to the first
// damaged record (err then says what is wrong).
func decodeHistory(b []byte) (evs []*storedEvent, err error) {
	if !bytes.HasPrefix(b, historyMagic) {
		return nil, errors.New("not a history file")
	}
	b = b[len(historyMagic):]
	for len(b) > 0 {
		if len(b) < 4 || int(binary.BigEndian.Uint32(b)) > len(b)-4 {
			return evs, errors.New("truncated record")
		}
		n := binary.BigEndian.Uint32(b)
		m, err := wamp.MsgPack.DecodeMessage(b[4 : 4+n])
		b = b[4+n:]
		if err != nil {
			return evs, err
		}
		pub, ok := m.(*wamp.Publish)
		if !ok {
			return evs, fmt.Errorf("record is a %T", m)
		}
		ev, ok := storedFromPublish(pub)
		if !ok {
			return evs, errors.New("malformed record options")
		}
		evs = append(evs, ev)
	}
	return evs, nil
}

// storedFromPublish rebuilds a kept event from its record.
func storedFromPublish(p *wamp.Publish) (*storedEvent, bool) {
	t, ok1 := wamp.OptInt(p.Options, "t")
	d, ok2 := p.Options["d"].(wamp.Dict)
	if p.Options["d"] == nil {
		d, ok2 = nil, true
	}
	var f publishFilter
	var oks [4]bool
	f.excludeAuthID, oks[0] = optStrings(p.Options, "xa")
	f.excludeAuthRole, oks[1] = optStrings(p.Options, "xr")
	f.eligibleAuthID, oks[2] = optStrings(p.Options, "ea")
	f.eligibleAuthRole, oks[3] = optStrings(p.Options, "er")
	if !ok1 || !ok2 || oks != [4]bool{true, true, true, true} || !wamp.ValidURI(p.Topic, false, false) {
		return nil, false
	}
	ev := &storedEvent{at: time.Unix(0, t), topic: p.Topic, pub: p.Request, details: d, payload: p.Payload, filter: f}
	ev.size = payloadSize(ev.payload) + len(ev.topic)
	return ev, true
}

// loadHistory gives the events of the realm's history file to its rules.
// A missing file is an empty history; a damaged one keeps what could be
// read. rl.mu is not needed: the realm is not serving yet.
func (rl *realm) loadHistory() {
	h := rl.hist
	b, err := os.ReadFile(h.file)
	if errors.Is(err, os.ErrNotExist) {
		return
	}
	var evs []*storedEvent
	if err == nil {
		evs, err = decodeHistory(b)
	}
	if err != nil {
		h.stats.FileErrors++
		rl.r.log.Warn("history file damaged: keeping the events before the damage", "realm", rl.name,
			"file", h.file, "events", len(evs), "err", err)
	}
	for _, ev := range evs {
		if r := h.ruleFor(ev.topic); r != nil && ev.size <= h.maxBytes {
			h.add(r, ev)
		}
	}
	h.fit()
	h.expire(time.Now())
	h.dirty = false
}

// runHistoryFile writes the history to its file when it changed, until
// the router stops, then a last time.
func (rl *realm) runHistoryFile() {
	defer rl.r.wg.Done()
	t := time.NewTicker(historyFlushInterval)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			rl.flushHistory()
		case <-rl.r.ctx.Done():
			rl.flushHistory()
			return
		}
	}
}

// flushHistory writes the history file if the history changed since the
// last write. A failed write is counted, logged, and tried again later.
func (rl *realm) flushHistory() {
	rl.mu.Lock()
	h := rl.hist
	if !h.dirty {
		rl.mu.Unlock()
		return
	}
	h.dirty = false
	var evs []*storedEvent
	for _, r := range h.rules {
		evs = append(evs, r.events...)
	}
	rl.mu.Unlock()
	sortBySeq(evs)
	b, err := encodeHistory(evs)
	if err == nil {
		err = writeFileAtomic(h.file, b)
	}
	if err != nil {
		rl.mu.Lock()
		h.dirty = true
		h.stats.FileErrors++
		n := h.stats.FileErrors
		rl.mu.Unlock()
		if line := "history file not written"; rl.allowLog(line) {
			rl.r.log.Warn(line, "realm", rl.name, "file", h.file, "total_errors", n, "err", err)
		}
	}
}

// writeFileAtomic replaces name with b: a temporary file in the same
// directory, synced, renamed over name, and the directory synced.
func writeFileAtomic(name string, b []byte) error {
	tmp := name + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	_, err = f.Write(b)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, name)
	}
	if err != nil {
		os.Remove(tmp)
		return err
	}
	if d, err := os.Open(filepath.Dir(name)); err == nil {
		d.Sync() // best effort: not every file system syncs directories
		d.Close()
	}
	return nil
}

// startHistory sets up the realm's history from rc: rules, the file's
// events, and the goroutine that writes the file.
func (rl *realm) startHistory(rc RealmConfig) error {
	h, err := newHistory(rc)
	if err != nil || h == nil {
		return err
	}
	rl.hist = h
	if h.file == "" {
		return nil
	}
	rl.loadHistory()
	rl.r.wg.Add(1)
	go rl.runHistoryFile()
	return nil
}
