package uplink

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"hash/crc32"
	"strconv"

	"github.com/edgewamp/edgewamp/wamp"
)

// The queue's journal file, format version 2: a header line, then one
// record per line, each sealed with a CRC-32C so that a line the disk (or
// anyone) altered is found and skipped, never delivered:
//
//	#edgewamp-journal 2
//	+XXXXXXXX [16,1,{"_edgewamp_pubseq":[stream,seq]},"topic",...]   an event pushed, as a PUBLISH in JSON
//	-XXXXXXXX seq                                                     every event numbered seq or less has left
//
// XXXXXXXX is the CRC-32C (Castagnoli) in hex of the type byte and of the
// body after the space. A removal names the number it removes through, so
// that a damaged record costs that record only, never its neighbours.
// Version 1 (no header; "+" and a PUBLISH, "-" for "the oldest left") is
// read once, at open, and rewritten as version 2.
const journalHeader = "#edgewamp-journal 2"

// recordBody is where a record's body starts: type byte, 8 hex digits, a
// space.
const recordBody = 10

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// recordSum is the check of a record: its type byte and its body.
func recordSum(typ byte, body []byte) uint32 {
	return crc32.Update(crc32.Update(0, castagnoli, []byte{typ}), castagnoli, body)
}

// startRecord appends the type byte and room for the check; sealRecord
// fills the check in once the body follows, and ends the line.
func startRecord(b []byte, typ byte) []byte {
	return append(b, typ, '0', '0', '0', '0', '0', '0', '0', '0', ' ')
}

// sealRecord fills in the check of the record that starts at b[start:].
func sealRecord(b []byte, start int) []byte {
	var sum [4]byte
	binary.BigEndian.PutUint32(sum[:], recordSum(b[start], b[start+recordBody:]))
	hex.Encode(b[start+1:start+recordBody-1], sum[:])
	return append(b, '\n')
}

// appendPushRecord appends the record of ev, numbered in stream.
func appendPushRecord(b []byte, stream wamp.ID, ev queuedEvent) ([]byte, error) {
	start := len(b)
	b = startRecord(b, '+')
	b, err := wamp.JSON.AppendMessage(b, &wamp.Publish{Request: 1, Options: pubSeqOf(stream, ev), Topic: ev.topic, Payload: ev.p})
	if err != nil {
		return b[:start], err
	}
	return sealRecord(b, start), nil
}

// appendLeftRecord appends the record of the events numbered seq or less
// leaving the queue.
func appendLeftRecord(b []byte, seq wamp.ID) []byte {
	start := len(b)
	b = strconv.AppendUint(startRecord(b, '-'), uint64(seq), 10)
	return sealRecord(b, start)
}

// openRecord checks a version 2 record (a line without its newline) and
// returns its type and body; ok is false when the line is not one or its
// check fails.
func openRecord(line []byte) (typ byte, body []byte, ok bool) {
	if len(line) < recordBody || line[recordBody-1] != ' ' || (line[0] != '+' && line[0] != '-') {
		return 0, nil, false
	}
	var sum [4]byte
	if _, err := hex.Decode(sum[:], line[1:recordBody-1]); err != nil {
		return 0, nil, false
	}
	body = line[recordBody:]
	if binary.BigEndian.Uint32(sum[:]) != recordSum(line[0], body) {
		return 0, nil, false
	}
	return line[0], body, true
}

// recovered is what a journal held.
type recovered struct {
	items   []queuedEvent // the events not yet gone, in order
	stream  wamp.ID       // their stream
	lastSeq wamp.ID       // the highest number seen
	damaged int           // lines that failed their check or made no sense: skipped
}

// readJournal recovers the events a journal (version 1 or 2) holds. A
// version 2 record that fails its check is skipped and counted, never
// returned; so is, after a version 2 header, a line of version 1.
func readJournal(data []byte) recovered {
	var rec recovered
	v2 := false
	var left wamp.ID // version 2: every event numbered left or less has gone
	for line := range bytes.Lines(data) {
		line = bytes.TrimSuffix(line, []byte("\n"))
		if len(line) == 0 {
			continue
		}
		if string(line) == journalHeader {
			v2 = true
			continue
		}
		if typ, body, ok := openRecord(line); ok {
			// a version 2 record, read even when a damaged header hid the version
			if !rec.apply(typ, body, &left) {
				rec.damaged++
			}
			continue
		}
		if v2 || !rec.applyV1(line) {
			rec.damaged++
		}
	}
	return rec
}

// apply applies a checked version 2 record; it reports false when the
// record makes no sense.
func (rec *recovered) apply(typ byte, body []byte, left *wamp.ID) bool {
	if typ == '-' {
		n, err := strconv.ParseUint(string(body), 10, 64)
		if err != nil {
			return false
		}
		*left = max(*left, wamp.ID(n))
		rec.lastSeq = max(rec.lastSeq, *left)
		i := 0
		for i < len(rec.items) && rec.items[i].seq <= *left {
			i++
		}
		rec.items = rec.items[i:]
		return true
	}
	ev, stream, ok := decodeRecordEvent(body)
	if !ok {
		return false
	}
	if ev.seq > *left && (len(rec.items) == 0 || ev.seq > rec.items[len(rec.items)-1].seq) {
		rec.items = append(rec.items, ev)
		rec.stream = stream
	}
	rec.lastSeq = max(rec.lastSeq, ev.seq)
	return true
}

// applyV1 applies a version 1 line; it reports false when the line is
// not one.
func (rec *recovered) applyV1(line []byte) bool {
	switch {
	case len(line) == 1 && line[0] == '-':
		if len(rec.items) > 0 {
			rec.items = rec.items[1:]
		}
		return true
	case len(line) > 1 && line[0] == '+':
		m, err := wamp.JSON.DecodeMessage(line[1:])
		pub, ok := m.(*wamp.Publish)
		if err != nil || !ok {
			return false
		}
		ev := queuedEvent{topic: pub.Topic, p: pub.Payload, ppt: pptOptions(pub.Options)}
		if stream, seq, ok, _ := wamp.PubSeq(pub.Options); ok {
			rec.stream, ev.seq = stream, seq // the stream goes on: resent events keep their numbers
		} else {
			ev.seq = rec.lastSeq + 1 // a journal from before numbering
		}
		rec.lastSeq = ev.seq
		rec.items = append(rec.items, ev)
		return true
	}
	return false
}

// decodeRecordEvent decodes the body of a "+" record: a numbered PUBLISH.
func decodeRecordEvent(body []byte) (queuedEvent, wamp.ID, bool) {
	m, err := wamp.JSON.DecodeMessage(body)
	pub, ok := m.(*wamp.Publish)
	if err != nil || !ok {
		return queuedEvent{}, 0, false
	}
	stream, seq, ok, _ := wamp.PubSeq(pub.Options)
	if !ok {
		return queuedEvent{}, 0, false
	}
	return queuedEvent{topic: pub.Topic, p: pub.Payload, seq: seq, ppt: pptOptions(pub.Options)}, stream, true
}
